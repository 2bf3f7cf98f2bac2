"""Decision records: anyone proposes, the advocate on duty writes the customer's side, the owner records the outcome."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership
from insights import decisions
from insights.models import Decision
from insights.selectors import decisions_ahead, decisions_per_term
from tests.factories import MembershipFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def advocate(desk):
    """Ann, the desk's advocate on duty: her term runs from ten days ago."""
    ann = MembershipFactory(program=desk, user__username="ann", user__first_name="Ann").user
    TermFactory(program=desk, advocate=ann, start_date=timezone.localdate() - timedelta(days=10), status="active")
    return ann


@pytest.fixture
def proposer(desk):
    return MembershipFactory(program=desk, user__username="pia", user__first_name="Pia").user


@pytest.fixture
def decision(desk, proposer):
    return decisions.propose_decision(
        program=desk, actor=proposer, title="Close the phone line at 17:00", decided_by="Ops", decide_on=date.today()
    )


def test_a_member_proposes_and_the_text_is_tidied(desk, proposer):
    made = decisions.propose_decision(
        program=desk, actor=proposer, title="  Move   refunds\nto finance ", decided_by="CFO", decide_on=date.today()
    )
    assert made.title == "Move refunds to finance"
    assert made.status == Decision.Status.OPEN and made.proposed_by == proposer


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": " "}, "title", decisions.TITLE_REQUIRED),
        ({"decided_by": ""}, "decided_by", decisions.DECIDED_BY_REQUIRED),
        ({"title": "x" * 201}, "title", "Keep this under 200 characters."),
        ({"decide_on": None}, "decide_on", "Give the date the decision is taken."),
        ({"decide_on": date(9999, 12, 31)}, "decide_on", None),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(desk, proposer, fields, field, message):
    values = {"title": "Cut the SLA", "decided_by": "Ops", "decide_on": date.today(), **fields}
    with pytest.raises(ValidationError) as error:
        decisions.propose_decision(program=desk, actor=proposer, **values)
    assert field in error.value.message_dict
    if message:
        assert message in error.value.message_dict[field]
    assert not Decision.objects.exists()


def test_only_members_propose(desk, other_program):
    stranger = MembershipFactory(program=other_program).user
    with pytest.raises(PermissionDenied):
        decisions.propose_decision(program=desk, actor=stranger, title="x", decided_by="y", decide_on=date.today())


def test_the_advocate_on_duty_writes_the_customer_side_and_nobody_else(decision, advocate, proposer, boss):
    for person in (proposer, boss):  # a manager may not, while someone holds the baton
        with pytest.raises(PermissionDenied):
            decisions.write_customer_side(decision=decision, actor=person, impact="x")
    decisions.write_customer_side(
        decision=decision, actor=advocate, impact="Customers who call after work reach nobody.", question="Who calls?"
    )
    decision.refresh_from_db()
    assert decision.has_customer_side and decision.customer_side_by == advocate
    assert decision.customer_question == "Who calls?"


def test_with_nobody_holding_the_baton_a_manager_fills_the_chair(decision, boss, proposer):
    decisions.write_customer_side(decision=decision, actor=boss, impact="They wait a day.")
    assert Decision.objects.get().customer_side_by == boss
    with pytest.raises(PermissionDenied):
        decisions.write_customer_side(decision=decision, actor=proposer, impact="x")


def test_the_customer_side_needs_words(decision, advocate):
    with pytest.raises(ValidationError) as error:
        decisions.write_customer_side(decision=decision, actor=advocate, impact="   ")
    assert error.value.message_dict == {"customer_impact": [decisions.IMPACT_REQUIRED]}
    assert not Decision.objects.get().has_customer_side


def test_the_outcome_closes_it_and_freezes_the_customer_side(decision, advocate, proposer, boss):
    decisions.write_customer_side(decision=decision, actor=advocate, impact="They wait a day.")
    with pytest.raises(PermissionDenied):
        decisions.record_outcome(decision=decision, actor=advocate, outcome="Kept open")  # not the owner
    decisions.record_outcome(decision=decision, actor=proposer, outcome="Kept open until 19:00.")
    with pytest.raises(ValidationError, match="no longer open"):
        decisions.write_customer_side(decision=decision, actor=advocate, impact="Changed my mind")
    with pytest.raises(ValidationError, match="no longer open"):
        decisions.withdraw_decision(decision=decision, actor=boss)
    decision.refresh_from_db()
    assert decision.status == "decided" and decision.customer_impact == "They wait a day."


def test_a_manager_withdraws_and_edits(decision, boss):
    decisions.update_decision(
        decision=decision, actor=boss, title="Close at 18:00", decided_by="Ops", decide_on=date.today(), details=""
    )
    decisions.withdraw_decision(decision=decision, actor=boss)
    decision.refresh_from_db()
    assert (decision.title, decision.status) == ("Close at 18:00", "withdrawn")


def test_counts_per_term_count_decisions_taken_and_the_customer_side_written_first(desk, proposer, boss):
    first = TermFactory(program=desk, start_date=date(2025, 1, 1), status="completed")
    second = TermFactory(program=desk, start_date=date(2025, 4, 1), status="completed")

    def taken(day, *, side=True, status="decided"):
        d = Decision.objects.create(program=desk, title="t", decided_by="Ops", decide_on=day, status=status)
        now = timezone.now()
        Decision.objects.filter(pk=d.pk).update(
            customer_side_at=now if side else None, outcome_at=now + timedelta(minutes=1)
        )

    taken(date(2025, 1, 5))
    taken(date(2025, 3, 31), side=False)
    taken(date(2025, 4, 1))
    taken(date(2025, 4, 2), status="withdrawn")  # not taken
    taken(date(2025, 2, 1), status="open")  # not yet taken
    counts = [(row.taken, row.with_customer_side) for row in decisions_per_term(program=desk, terms=[first, second])]
    assert counts == [(2, 1), (1, 1)]


def test_the_brief_lists_open_decisions_soonest_first_with_the_customer_side(desk, proposer, client_for, boss):
    later = decisions.propose_decision(
        program=desk, actor=proposer, title="Later one", decided_by="Ops", decide_on=date.today() + timedelta(days=9)
    )
    sooner = decisions.propose_decision(
        program=desk, actor=proposer, title="Sooner one", decided_by="Ops", decide_on=date.today() + timedelta(days=1)
    )
    decisions.write_customer_side(decision=sooner, actor=boss, impact="Refunds wait a week longer.")
    assert decisions_ahead(program=desk) == [sooner, later]
    page = client_for(proposer).get(reverse("insights:brief", args=[desk.slug])).content.decode()
    assert page.index("Sooner one") < page.index("Later one")
    assert "Refunds wait a week longer." in page and "The customer's side is not written yet." in page


def test_the_pages_run_the_whole_record(desk, proposer, advocate, client_for, client):
    list_url = reverse("insights:decision_list", args=[desk.slug])
    response = client_for(proposer).post(
        list_url, {"title": "Charge for delivery", "decided_by": "Board", "decide_on": "2026-12-20"}
    )
    decision = Decision.objects.get()
    assert response.status_code == 302 and response["Location"] == decision.get_absolute_url()
    assert "Charge for delivery" in client.get(list_url).content.decode()

    # The proposer cannot write the customer's side; the page refuses and nothing changes.
    assert client.post(decision.get_absolute_url(), {"action": "customer_side", "impact": "x"}).status_code == 403
    client.force_login(advocate)
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "Save the customer" in page
    response = client.post(
        decision.get_absolute_url(), {"action": "customer_side", "impact": "Small orders stop.", "question": "Why?"}
    )
    assert response.status_code == 302
    client.force_login(proposer)
    response = client.post(decision.get_absolute_url(), {"action": "decide", "outcome": ""})
    assert response.status_code == 200 and decisions.OUTCOME_REQUIRED in response.content.decode()
    client.post(decision.get_absolute_url(), {"action": "decide", "outcome": "Free over 50 euros."})
    decision.refresh_from_db()
    assert decision.status == "decided" and decision.customer_impact == "Small orders stop."
    page = client.get(decision.get_absolute_url()).content.decode()
    assert "Free over 50 euros." in page and "Small orders stop." in page
    assert "Open" in client.get(list_url, {"status": "open"}).content.decode()  # the filter tab
    assert "Charge for delivery" not in client.get(list_url, {"status": "open"}).content.decode()


def test_a_decision_of_another_program_is_not_found(desk, other_program, proposer, client_for):
    theirs = Decision.objects.create(program=other_program, title="Secret", decided_by="x", decide_on=date.today())
    url = reverse("insights:decision_detail", args=[desk.slug, theirs.pk])
    assert client_for(proposer).get(url).status_code == 404


def test_the_list_costs_the_same_queries_for_3_and_30_decisions(
    desk, proposer, client_for, django_assert_max_num_queries
):
    client = client_for(proposer)
    url = reverse("insights:decision_list", args=[desk.slug])

    def make(n):
        Decision.objects.bulk_create(
            Decision(program=desk, title=f"d{i}", decided_by="Ops", decide_on=date.today(), proposed_by=proposer)
            for i in range(n)
        )

    make(3)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    make(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_membership_roles_do_not_matter_for_proposing(desk):
    manager = MembershipFactory(program=desk, role=Membership.Role.MANAGER).user
    assert decisions.propose_decision(program=desk, actor=manager, title="t", decided_by="d", decide_on=date.today())
