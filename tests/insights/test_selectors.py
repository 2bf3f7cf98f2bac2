"""Health figures checked against values computed by hand."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insights import selectors
from insights.selectors import figures
from issues.models import HotIssue, Mention
from tests.factories import MentionFeedFactory, ProgramFactory

from .conftest import NOW

HOUR = 3600.0


def test_an_empty_program_has_no_figures_rather_than_zeros(program):
    health = selectors.program_health(program=program, now=NOW)
    assert health.terms == [] and health.current is None
    assert len(health.weeks) == selectors.WEEKS_SHOWN
    assert all(w.figures.received == 0 for w in health.weeks)
    last = health.weeks[-1].figures
    assert last.outreach_median is None and last.resolution_p90 is None
    assert last.resolution_rate is None and last.satisfaction is None
    assert health.summary["open"] == 0 and health.summary["overdue"] == 0


def _build(program, issue_at, other_program=None):
    day = NOW - timedelta(days=10)  # inside the current term
    # Current term: five issues, four contacted after 1, 2, 3, 4 hours; two resolved after 10 and 20 hours.
    issue_at(day, outreach=1, resolution=10, satisfaction=4, level=5)
    issue_at(day, outreach=2, resolution=20, satisfaction=5, level=4)
    issue_at(day, outreach=3, level=4, runaround=True)
    issue_at(day, outreach=4, level=2)
    issue_at(day, level=1)
    # Previous term: two issues, one contacted after 6 hours, none resolved.
    issue_at(NOW - timedelta(days=40), outreach=6, level=3)
    issue_at(NOW - timedelta(days=41), level=3)
    # Before any term shown: counted in the weekly trend only.
    issue_at(NOW - timedelta(days=100), outreach=50, resolution=60, level=1)
    if other_program is not None:  # another program's issues at the same moments never count
        for _ in range(3):
            issue_at(day, outreach=100, resolution=200, satisfaction=1, prog=other_program, level=5)


@pytest.mark.parametrize("percentile_cont", [True, False], ids=["percentile_cont", "window-fallback"])
def test_term_figures_match_hand_computed_values(program, terms, issue_at, monkeypatch, percentile_cont):
    monkeypatch.setattr(selectors.sql, "percentiles_supported", lambda: percentile_cont)
    _build(program, issue_at, other_program=ProgramFactory())
    feed = MentionFeedFactory(program=program)
    for i, state in enumerate(["promoted", "new", "dismissed"]):
        Mention.objects.create(
            feed=feed, program=program, entry_id=str(i), title="m", fetched_at=NOW - timedelta(days=2), state=state
        )

    health = selectors.program_health(program=program, now=NOW)

    assert [t.term.advocate.username for t in health.terms] == ["ben", "ana"]
    current, previous = health.current.figures, health.previous[0].figures
    assert current.received == 5 and current.reached == 4 and current.resolved == 2 and current.runaround == 1
    assert current.outreach_median == pytest.approx(2.5 * HOUR)
    assert current.outreach_p90 == pytest.approx(3.7 * HOUR)  # 3 h + 0.7 of the way to 4 h
    assert current.resolution_median == pytest.approx(15 * HOUR)
    assert current.resolution_p90 == pytest.approx(19 * HOUR)
    assert current.resolution_rate == 40.0
    assert current.satisfaction == 4.5 and current.answers == 2
    assert current.levels == {1: 1, 2: 1, 3: 0, 4: 2, 5: 1}
    assert current.mentions == 3 and current.promoted == 1

    assert previous.received == 2 and previous.reached == 1
    assert previous.outreach_median == pytest.approx(6 * HOUR) and previous.outreach_p90 == pytest.approx(6 * HOUR)
    assert previous.resolution_median is None and previous.resolution_p90 is None
    assert previous.resolution_rate == 0.0 and previous.satisfaction is None
    assert previous.mentions == 0


@pytest.mark.parametrize("percentile_cont", [True, False], ids=["percentile_cont", "window-fallback"])
def test_weekly_trend_groups_issues_by_the_week_they_arrived(program, issue_at, monkeypatch, percentile_cont):
    monkeypatch.setattr(selectors.sql, "percentiles_supported", lambda: percentile_cont)
    _build(program, issue_at)
    health = selectors.program_health(program=program, now=NOW)
    weeks = {w.week.date(): w.figures for w in health.weeks}
    assert health.weeks[-1].week.date().isoformat() == "2026-03-16"  # the Monday of NOW's week
    assert sum(f.received for f in weeks.values()) == 8
    week = weeks[(NOW - timedelta(days=10)).date() - timedelta(days=(NOW - timedelta(days=10)).weekday())]
    assert week.received == 5 and week.outreach_median == pytest.approx(2.5 * HOUR)
    old = [f for f in weeks.values() if f.resolution_median is not None and f.received == 1]
    assert len(old) == 1 and old[0].resolution_median == pytest.approx(60 * HOUR)
    data = health.chart_data()
    assert len(data["labels"]) == 52 and data["outreach_median"][-1] is None


def test_no_terms_and_no_resolutions_show_dashes_on_the_page(client_for, member, program, issue_at):
    issue_at(NOW - timedelta(days=1), outreach=2)
    response = client_for(member).get(f"/programs/{program.slug}/health/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No terms yet" in body and "—" in body


def test_health_queries_do_not_grow_with_the_number_of_issues(
    client_for, member, program, terms, issue_at, django_assert_max_num_queries
):
    client = client_for(member)
    url = f"/programs/{program.slug}/health/"
    issue_at(NOW - timedelta(days=3), outreach=1, resolution=2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(60):
        issue_at(NOW - timedelta(days=i * 5 + 1), outreach=i % 7, resolution=i % 5 + 8 if i % 2 else None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    assert len(few.captured_queries) <= 22  # the summary, the term figures, handoffs, decisions per term


@pytest.mark.parametrize("vendor_path", ["search", "case"])
def test_periods_are_found_alike_out_of_order_and_with_gaps(program, issue_at, monkeypatch, vendor_path):
    """Each issue counts in the period it arrived in, none in a gap between periods, whichever way they
    are found (PostgreSQL's search of the periods' starts, or the CASE of every period)."""
    if vendor_path == "case":  # as on SQLite, or for periods that overlap
        monkeypatch.setattr(figures, "connection", type("Other", (), {"vendor": "other"})())
    at = [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (2, 3, 9, 12, 16)]
    for when in at:
        issue_at(when, outreach=2)
    periods = [  # given out of order; 9-11 March is in no period
        figures.Period(key="b", start=datetime(2026, 3, 12, tzinfo=UTC), end=datetime(2026, 3, 19, tzinfo=UTC)),
        figures.Period(key="a", start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 3, 9, tzinfo=UTC)),
    ]
    rows = figures.cohort_rows(HotIssue.objects.filter(program=program), periods, NOW)
    assert {key: (row["received"], row["reached"]) for key, row in rows.items()} == {"a": (2, 2), "b": (2, 2)}
