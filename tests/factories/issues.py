import factory
from django.utils import timezone

from issues.models import Customer, Department, HotIssue, MentionFeed, Source

from .advocacy import ProgramFactory, UserFactory

__all__ = ["CustomerFactory", "DepartmentFactory", "HotIssueFactory", "MentionFeedFactory"]


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Department {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    program = factory.SubFactory(ProgramFactory)
    name = factory.Faker("name")
    email = factory.Faker("email")


class HotIssueFactory(factory.django.DjangoModelFactory):
    """A bare issue row; tests of behaviour create issues through services.create_issue."""

    class Meta:
        model = HotIssue

    program = factory.SubFactory(ProgramFactory)
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Issue {n}")
    words = "It broke again."
    level = 3
    source = Source.STAFF
    created_at = factory.LazyFunction(timezone.now)
    first_outreach_due_at = factory.LazyAttribute(lambda o: o.created_at + timezone.timedelta(hours=24))


class MentionFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentionFeed

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Feed {n}")
    url = "http://127.0.0.1:1/feed.xml"
