"""Fixtures for rotations: a program with eligible members and a fixed clock."""

from datetime import UTC, date, datetime, time

import pytest

from advocacy.models import Membership
from rotations import services
from tests.factories import MembershipFactory, ProgramFactory

NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def desk(db):
    """A quarterly Berlin program handing off at 09:00."""
    return ProgramFactory(name="Desk", slug="desk", time_zone="Europe/Berlin", term_months=3, handoff_time=time(9, 0))


@pytest.fixture
def boss(desk):
    return MembershipFactory(program=desk, role=Membership.Role.MANAGER, is_eligible=False, user__username="boss").user


@pytest.fixture
def people(desk):
    """Four eligible members in roster order: ann, ben, cat, dan."""
    return [MembershipFactory(program=desk, user__username=name).user for name in ("ann", "ben", "cat", "dan")]


@pytest.fixture
def make_term(desk):
    def make(start: date, advocate=None, program=None):
        return services.create_term(program=program or desk, start_date=start, advocate=advocate)

    return make
