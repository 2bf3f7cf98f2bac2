import io

import pytest
from django.core.management import call_command

from issues.models import HotIssue, Mention, RecoveryCheck

pytestmark = pytest.mark.django_db


def test_demo_builds_a_realistic_log_and_can_run_twice(settings):
    # The issues demo alone: later builders (insights' year of history) add issues of their own.
    settings.DEMO_BUILDERS = settings.DEMO_BUILDERS[: settings.DEMO_BUILDERS.index("issues.demo.build") + 1]
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=io.StringIO())
    assert HotIssue.objects.count() == 15
    assert HotIssue.objects.filter(runaround=True).exists()
    assert HotIssue.objects.filter(status="resolved", satisfaction__isnull=False).exists()
    assert Mention.objects.filter(state="new").count() == 3
    # One issue came back: asked again after its resolution, the customer answered 2.
    came_back = HotIssue.objects.get(came_back_at__isnull=False)
    assert came_back.is_open
    assert RecoveryCheck.objects.get(issue=came_back, score=2).came_back
