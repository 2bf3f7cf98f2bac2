import io

import pytest
from django.core.management import call_command

from issues.models import Customer, HotIssue, Mention, RecoveryCheck

pytestmark = pytest.mark.django_db


def test_demo_builds_a_realistic_log_and_can_run_twice(settings):
    # The issues demo alone: later builders (insights' year of history) add issues of their own.
    settings.DEMO_BUILDERS = settings.DEMO_BUILDERS[: settings.DEMO_BUILDERS.index("issues.demo.build") + 1]
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=io.StringIO())
    assert HotIssue.objects.count() == 21
    # One customer, one timeline: earlier issues joined their customers (by e-mail or phone, however written).
    greta = Customer.objects.get(name="Greta Albers")
    assert greta.issues.count() == 3 and greta.at_risk
    assert HotIssue.objects.get(title="Charged twice for the annual plan").is_repeat
    assert HotIssue.objects.get(title="Passed between four departments about a refund").is_repeat
    assert Customer.objects.get(name="Peter Brandt").at_risk  # two answers of 1 and 2
    assert not Customer.objects.get(name="Henrik Olsen").at_risk
    assert Customer.objects.filter(name="Jonas Weber").count() == 2  # a duplicate to merge
    assert HotIssue.objects.filter(runaround=True).exists()
    assert HotIssue.objects.filter(status="resolved", satisfaction__isnull=False).exists()
    assert Mention.objects.filter(state="new").count() == 3
    # One issue came back: asked again after its resolution, the customer answered 2.
    came_back = HotIssue.objects.get(came_back_at__isnull=False)
    assert came_back.is_open
    assert RecoveryCheck.objects.get(issue=came_back, score=2).came_back
