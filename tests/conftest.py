"""Shared fixtures: people in a program with each role, and signed-in clients."""

import pytest

from advocacy.models import Membership
from tests.factories import PASSWORD, MembershipFactory, ProgramFactory, UserFactory


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def program(db):
    return ProgramFactory(name="Support Desk", slug="support-desk")


@pytest.fixture
def manager(program):
    return MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="manager").user


@pytest.fixture
def member(program):
    return MembershipFactory(program=program, user__username="member").user


@pytest.fixture
def other_program(db):
    return ProgramFactory(name="Other Team", slug="other-team")


@pytest.fixture
def outsider(other_program):
    """A manager of another program: must see nothing of `program`."""
    return MembershipFactory(program=other_program, role=Membership.Role.MANAGER, user__username="outsider").user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def client_for(client):
    """Return a function that signs a user in on the test client."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys last.

    Playwright's sync API keeps an event loop running in the main thread for
    the whole browser session; Django's async views (e.g. the health check)
    cannot be called through the test client while it runs.
    """
    items.sort(key=lambda item: "tests/e2e/" in str(item.path))


@pytest.fixture(autouse=True)
def _seeded_data(request):
    """Restore what data migrations seed after a transactional test flushed it."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from advocacy.defaults import ensure_default_role
        from advocacy.models import RoleDescription, RoleDescriptionVersion

        request.getfixturevalue("transactional_db")
        ensure_default_role(RoleDescription, RoleDescriptionVersion)
