from datetime import timedelta

import pytest
from django.utils import timezone

from issues import selectors, services
from issues.models import HotIssue
from tests.factories import closing

pytestmark = pytest.mark.django_db


def test_level_counts_and_overdue_in_one_query(make_issue, django_assert_num_queries):
    make_issue(level=5, created_at=timezone.now() - timedelta(hours=5))
    make_issue(level=5)
    make_issue(level=2)
    with django_assert_num_queries(1):
        counts = selectors.level_counts(HotIssue.objects.all())
    assert counts[5] == {"n": 2, "overdue": 1} and counts[2] == {"n": 1, "overdue": 0} and counts[1]["n"] == 0


def test_lazy_log_rows_fetch_a_window_of_rows_in_one_query(make_issue, django_assert_num_queries):
    for level in (1, 5, 3):
        make_issue(level=level)
    page = selectors.LazyLogRows(HotIssue.objects.all())
    with django_assert_num_queries(1):
        rows = page[0:2]
        names = [(r.level, r.owner.username, r.program.slug) for r in rows]
    assert [n[0] for n in names] == [5, 3]


def test_program_summary(make_issue, program, manager):
    make_issue(level=5, created_at=timezone.now() - timedelta(hours=5))
    make_issue(level=1)
    done = make_issue(level=4)
    services.resolve(issue=done, actor=manager, resolution="ok", **closing(done))
    summary = selectors.program_issue_summary(program=program)
    assert (summary["open"], summary["overdue"], summary["runaround"]) == (2, 1, 0)
    assert summary["levels"][0] == (5, 1)
