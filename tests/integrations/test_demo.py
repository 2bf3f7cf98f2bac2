import pytest
from django.core.management import call_command

from integrations.models import Delivery, Mail, Source
from issues.models import HotIssue
from issues.models import Source as IssueSource

pytestmark = pytest.mark.django_db


def test_demo_adds_sources_with_deliveries_of_each_kind_and_can_run_twice():
    call_command("demo")
    call_command("demo")
    assert Source.objects.filter(program__slug="support-desk").count() == 2
    outcomes = set(Delivery.objects.values_list("outcome", flat=True))
    assert {"issue_created", "good_rating", "duplicate", "refused"} <= outcomes


def test_demo_forwards_one_e_mail_that_becomes_an_issue_and_ignores_an_auto_reply():
    call_command("demo")
    call_command("demo")
    assert sorted(Mail.objects.values_list("outcome", flat=True)) == ["automatic", "issue_created"]
    issue = HotIssue.objects.get(source=IssueSource.EMAIL, customer__email="rosa.ramirez@example.net")
    assert issue.title == "Third time I am writing about my refund" and "dispute the charge" in issue.words
    assert Mail.objects.get(outcome="issue_created").issue == issue
