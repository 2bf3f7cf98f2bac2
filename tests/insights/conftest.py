"""Fixtures for insights: a quarterly program, its people and a completed term with a known history."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from advocacy.models import Membership
from rotations.models import Term
from tests.factories import MembershipFactory, ProgramFactory, TermFactory


@pytest.fixture
def desk(db):
    return ProgramFactory(name="Desk", slug="desk", time_zone="Europe/Berlin", term_months=3, handoff_time=time(9, 0))


@pytest.fixture
def boss(desk):
    return MembershipFactory(program=desk, role=Membership.Role.MANAGER, is_eligible=False, user__username="boss").user


@pytest.fixture
def ann(desk):
    return MembershipFactory(program=desk, user__username="ann", user__first_name="Ann").user


@pytest.fixture
def ben(desk):
    return MembershipFactory(program=desk, user__username="ben", user__first_name="Ben").user


@pytest.fixture
def finished_term(desk, ann):
    """Ann's completed quarter, 1 Jan – 1 Apr 2025 (Berlin, 09:00)."""
    return TermFactory(program=desk, advocate=ann, start_date=date(2025, 1, 1), status=Term.Status.COMPLETED)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def days():
    return lambda term, n, hours=0: term.starts_at + timedelta(days=n, hours=hours)
