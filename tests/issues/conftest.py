from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from issues import services
from rotations.models import Term
from tests.factories import DepartmentFactory, MembershipFactory


@pytest.fixture
def advocate(program):
    return MembershipFactory(program=program, user__username="dana", user__first_name="Dana").user


@pytest.fixture
def term(program, advocate):
    now = timezone.now()
    return Term.objects.create(
        program=program,
        advocate=advocate,
        start_date=(now - timedelta(days=10)).date(),
        end_date=(now + timedelta(days=80)).date(),
        starts_at=now - timedelta(days=10),
        ends_at=now + timedelta(days=80),
        status=Term.Status.ACTIVE,
    )


@pytest.fixture
def departments(program):
    return [DepartmentFactory(program=program, name=n) for n in ("Billing", "Shipping", "Tech")]


@pytest.fixture
def make_issue(program, manager):
    """Create an issue through the service, as the manager, with sensible defaults."""

    def make(**kwargs):
        kwargs.setdefault("program", program)
        kwargs.setdefault("actor", manager)
        kwargs.setdefault("title", "Invoice charged twice")
        kwargs.setdefault("words", "You charged me twice and nobody answers the phone.")
        kwargs.setdefault("level", 3)
        return services.create_issue(**kwargs)

    return make


@pytest.fixture
def manager_membership(program, manager):
    return Membership.objects.get(program=program, user=manager)


@pytest.fixture
def statements_run(monkeypatch):
    """The (sql, params) of every statement run through core.prepared.fetch_all from here on, in order."""
    from issues import selectors

    run = []
    fetch_all = selectors.prepared.fetch_all

    def recording(sql, params=(), **options):
        run.append((sql, list(params)))
        return fetch_all(sql, params, **options)

    monkeypatch.setattr(selectors.prepared, "fetch_all", recording)
    return run
