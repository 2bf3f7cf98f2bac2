"""Fixtures for insights: programs with terms and issues of known history (desk, boss, ann, ben: tests/conftest.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from issues.models import HotIssue
from rotations.models import Term
from tests.factories import HotIssueFactory, TermFactory, UserFactory

# A Wednesday; the current term started on 1 March, the previous one ran January and February.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
CURRENT_START = datetime(2026, 3, 1, tzinfo=UTC)
PREVIOUS_START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def terms(program):
    previous = TermFactory(
        program=program,
        advocate=UserFactory(username="ana", first_name="Ana", last_name="Previous"),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 1),
        starts_at=PREVIOUS_START,
        ends_at=CURRENT_START,
    )
    current = TermFactory(
        program=program,
        advocate=UserFactory(username="ben", first_name="Ben", last_name="Current"),
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 1),
        starts_at=CURRENT_START,
        ends_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    return previous, current


@pytest.fixture
def issue_at(program):
    """Make an issue received at `created`, contacted after `outreach` hours and resolved after `resolution` hours."""

    def make(created, *, outreach=None, resolution=None, satisfaction=None, level=3, runaround=False, prog=None):
        issue = HotIssueFactory(
            program=prog or program,
            created_at=created,
            first_outreach_due_at=created + timedelta(hours=24),
            first_outreach_at=created + timedelta(hours=outreach) if outreach is not None else None,
            resolved_at=created + timedelta(hours=resolution) if resolution is not None else None,
            status="resolved" if resolution is not None else ("contacted" if outreach is not None else "new"),
            satisfaction=satisfaction,
            level=level,
            runaround=runaround,
        )
        HotIssue.history.model.objects.filter(id=issue.pk).update(history_date=created)  # as if logged then
        return issue

    return make


@pytest.fixture
def finished_term(desk, ann):
    """Ann's completed quarter, 1 Jan – 1 Apr 2025 (Berlin, 09:00)."""
    return TermFactory(program=desk, advocate=ann, start_date=date(2025, 1, 1), status=Term.Status.COMPLETED)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def days():
    return lambda term, n, hours=0: term.starts_at + timedelta(days=n, hours=hours)
