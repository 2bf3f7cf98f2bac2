import pytest
from django.core.management import call_command

from issues.models import HotIssue, Mention

pytestmark = pytest.mark.django_db


def test_demo_builds_a_realistic_log_and_can_run_twice():
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert HotIssue.objects.count() == 14 + 5  # the log, plus Sam's past quarter from the insights demo
    assert HotIssue.objects.filter(runaround=True).exists()
    assert HotIssue.objects.filter(status="resolved", satisfaction__isnull=False).exists()
    assert Mention.objects.filter(state="new").count() == 3
