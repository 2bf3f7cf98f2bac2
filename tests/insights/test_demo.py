"""The demo gives a manager a year of health figures, a brief, term reports, a reflection and champions."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from advocacy.models import Program
from insights.models import BriefQuestion, BriefSubscription, Recognition, TermReport
from insights.selectors import customers_chair_brief, program_health
from issues.models import Customer
from issues.services import create_issue
from rotations.models import Term

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_demo_shows_health_brief_reports_and_champions_and_can_run_twice():
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=StringIO())
    desk = Program.objects.get(slug="support-desk")
    health = program_health(program=desk)
    assert health.current is not None and len(health.previous) >= 3
    assert all(t.figures.received and t.figures.outreach_median is not None for t in health.terms)
    assert sum(w.figures.received for w in health.weeks) > 300
    assert health.current.figures.outreach_median < health.previous[-1].figures.outreach_median  # getting faster
    brief = customers_chair_brief(program=desk)
    assert brief.top_issues and brief.by_department and brief.questions
    assert BriefQuestion.objects.filter(program=desk).count() == 3
    assert BriefSubscription.objects.filter(program=desk).count() == 2
    assert Customer.objects.filter(program=desk, name__startswith="Past customer ").count() == 40
    # The past customers are matched by e-mail like any other: a new issue from one joins their record.
    past = Customer.objects.get(program=desk, name="Past customer 3")
    again = create_issue(
        program=desk,
        actor=User.objects.get(username="maria"),
        title="Charged twice again",
        level=3,
        customer_email=" Past3@Example.com ",
    )
    assert again.customer_id == past.pk

    completed = Term.objects.filter(status=Term.Status.COMPLETED, advocate__isnull=False).count()
    assert TermReport.objects.count() == completed
    worked = TermReport.objects.exclude(reflection={}).get()
    assert worked.advocate.username == "sam"
    assert worked.figures["handed_on"] >= 1 and worked.figures["resolved"] >= 4
    assert worked.declaration
    assert Recognition.objects.count() == 2
