"""The demo shows a manager term reports, a reflection and champions."""

from io import StringIO

import pytest
from django.core.management import call_command

from insights.models import Recognition, TermReport
from rotations.models import Term


@pytest.mark.django_db
def test_demo_builds_reports_for_completed_terms_and_can_run_twice():
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=StringIO())
    completed = Term.objects.filter(status=Term.Status.COMPLETED, advocate__isnull=False).count()
    assert TermReport.objects.count() == completed
    worked = TermReport.objects.exclude(reflection={}).get()
    assert worked.advocate.username == "sam"
    assert worked.figures["resolved"] == 4 and worked.figures["handed_on"] == 1
    assert worked.declaration
    assert Recognition.objects.count() == 2
