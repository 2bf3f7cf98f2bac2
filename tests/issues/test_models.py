"""Overdue has one definition: `overdue_q` in SQL and `HotIssue.overdue_by` on a row, the same at every edge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights.selectors import top_issues
from issues import selectors
from issues.models import HotIssue, Status, overdue_q

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)

# (name, offset of the first-outreach target from now, status, contacted?, overdue?)
CASES = [
    ("due one second ago", -SECOND, Status.NEW, False, True),
    ("due exactly now", timedelta(0), Status.NEW, False, False),
    ("due in one second", SECOND, Status.NEW, False, False),
    ("in progress, due one second ago", -SECOND, Status.IN_PROGRESS, False, True),
    ("first outreach made", -timedelta(hours=1), Status.CONTACTED, True, False),
    ("resolved", -timedelta(hours=1), Status.RESOLVED, False, False),
    ("closed unreachable", -timedelta(hours=1), Status.UNREACHABLE, False, False),
]


@pytest.fixture
def at_edge(make_issue):
    """Return (issue, now) with the issue's target, status and first outreach set for one case."""

    def make(offset, status, contacted):
        issue = make_issue(level=5)
        now = timezone.now()
        HotIssue.objects.filter(pk=issue.pk).update(
            first_outreach_due_at=now + offset,
            status=status,
            first_outreach_at=now - timedelta(minutes=5) if contacted else None,
        )
        issue.refresh_from_db()
        return issue, now

    return make


@pytest.mark.parametrize(("name", "offset", "status", "contacted", "expected"), CASES, ids=[c[0] for c in CASES])
def test_sql_and_row_agree_on_overdue_at_the_boundary(at_edge, name, offset, status, contacted, expected):
    issue, now = at_edge(offset, status, contacted)
    in_sql = HotIssue.objects.filter(overdue_q(now), pk=issue.pk).exists()
    assert in_sql is expected
    assert issue.is_overdue_at(now) is expected
    assert (issue.overdue_by(now) == now - issue.first_outreach_due_at) if expected else issue.overdue_by(now) is None


@pytest.mark.parametrize(("name", "offset", "status", "contacted", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_reader_of_overdue_uses_the_one_definition(at_edge, program, name, offset, status, contacted, expected):
    issue, now = at_edge(offset, status, contacted)
    assert selectors.level_counts(HotIssue.objects.all(), now=now)[5]["overdue"] == int(expected)
    assert selectors.program_issue_summary(program=program, now=now)["overdue"] == int(expected)
    (row,) = selectors.LazyLogRows(HotIssue.objects.filter(pk=issue.pk), now=now)[0:1]
    assert row.is_overdue_at(now) is expected
    annotated = selectors.with_priority(HotIssue.objects.filter(pk=issue.pk), now=now).get()
    assert annotated.overdue is expected
    if issue.is_open:
        assert [i.overdue for i in top_issues(program=program, now=now)] == [expected]
