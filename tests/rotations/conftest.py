"""Fixtures for rotations: eligible members of the shared desk (tests/conftest.py) and a fixed clock."""

from datetime import UTC, date, datetime

import pytest

from rotations import services
from tests.factories import MembershipFactory

NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def people(desk):
    """Four eligible members in roster order: ann, ben, cat, dan."""
    return [MembershipFactory(program=desk, user__username=name).user for name in ("ann", "ben", "cat", "dan")]


@pytest.fixture
def make_term(desk):
    def make(start: date, advocate=None, program=None):
        return services.create_term(program=program or desk, start_date=start, advocate=advocate)

    return make
