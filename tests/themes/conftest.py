import pytest

from issues import services as issue_services
from tests.factories import root_cause_for
from tests.issues.conftest import advocate, term  # noqa: F401 — the current advocate and their term
from themes import services


@pytest.fixture
def cause(program):
    issue_services.seed_default_root_causes(program=program)
    return root_cause_for(program, "Billing error")


@pytest.fixture
def make_issue(program, manager):
    def make(**kwargs):
        kwargs.setdefault("program", program)
        kwargs.setdefault("actor", manager)
        kwargs.setdefault("title", "Invoice charged twice")
        kwargs.setdefault("level", 3)
        return issue_services.create_issue(**kwargs)

    return make


@pytest.fixture
def theme(program, manager, cause):
    return services.create_theme(
        program=program,
        actor=manager,
        title="Double charges",
        root_cause=cause,
        owner_member=manager,
        fix="Charge once.",
    )
