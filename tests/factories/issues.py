import factory
from django.utils import timezone

from issues.models import Customer, Department, HotIssue, MentionFeed, RootCause, Source

from .advocacy import ProgramFactory, UserFactory

__all__ = [
    "CustomerFactory",
    "DepartmentFactory",
    "HotIssueFactory",
    "MentionFeedFactory",
    "RootCauseFactory",
    "closing",
    "root_cause_for",
]


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


class RootCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RootCause

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Root cause {n}")
    position = factory.Sequence(lambda n: n)


def root_cause_for(program, name: str = "Billing error") -> RootCause:
    """Return the program's root cause `name`, created if the program has no such one yet."""
    cause, _ = RootCause.objects.get_or_create(program=program, name=name, defaults={"position": 1})
    return cause


def closing(issue_or_program, **extra) -> dict:
    """Return what every close asks (a root cause of the issue's program, no lasting fix), for a service call."""
    program = getattr(issue_or_program, "program", issue_or_program)
    return {"root_cause": root_cause_for(program), "lasting_fix_needed": False, **extra}
