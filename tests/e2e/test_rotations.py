"""Journeys in headless Chromium: a manager plans the year, edits a term and approves a swap;
the incoming advocate reads the handoff note, acknowledges it and declares their stand;
the first morning after a handoff: the note on the log, acknowledged there, the inherited issues."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.models import Membership
from rotations import boundaries, services
from rotations.models import SwapRequest, Term
from tests.factories import PASSWORD, HotIssueFactory, MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team():
    program = ProgramFactory(name="Support Desk", slug="support-desk", time_zone="Europe/Berlin", term_months=3)
    manager = MembershipFactory(
        program=program,
        role=Membership.Role.MANAGER,
        is_eligible=False,
        user__username="maria",
        user__first_name="Maria",
    ).user
    names = [("dana", "Dana"), ("sam", "Sam"), ("priya", "Priya"), ("leo", "Leo")]
    people = {
        u: MembershipFactory(program=program, user__username=u, user__first_name=f, user__last_name="Test").user
        for u, f in names
    }
    today = boundaries.local_date(program=program, at=timezone.now())
    start = boundaries.add_months(today.replace(day=1), -((today.month - 1) % 3))
    current = services.create_term(program=program, start_date=start, advocate=people["dana"])
    services.run_due_handoffs()
    return program, manager, people, current


def test_manager_plans_the_next_year_edits_a_term_and_approves_a_swap(page, sign_in, live_server, team):
    program, manager, people, current = team
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/support-desk/")
    expect(page.get_by_test_id("current-advocate")).to_contain_text("Dana Test")
    page.get_by_role("link", name="Schedule").first.click()
    page.get_by_role("link", name="Plan the next terms").click()
    page.get_by_label("Number of terms").fill("4")
    page.get_by_role("button", name="Preview the plan").click()
    expect(page.get_by_role("heading", name="Preview: 4 changes")).to_be_visible()
    assert Term.objects.filter(program=program).count() == 1, "a preview saves nothing"
    page.get_by_role("button", name="Save this plan").click()
    expect(page.get_by_text("Plan saved.")).to_be_visible()
    planned = list(Term.objects.filter(program=program, status=Term.Status.PLANNED).order_by("starts_at"))
    assert len(planned) == 4 and all(t.advocate_id for t in planned)

    # Edit one term by hand.
    second = planned[1]
    new = next(p for p in people.values() if p.pk not in (second.advocate_id,))
    page.locator(f"#term-{second.pk}").get_by_role("link", name=re.compile("Assign")).click()
    page.get_by_label("Advocate").select_option(label=f"{new.first_name} Test")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"{new.first_name} Test now has the term")).to_be_visible()
    second.refresh_from_db()
    assert second.advocate == new and second.pinned

    # Approve a swap two members agreed on.
    third, fourth = planned[2], planned[3]
    swap = services.request_swap(term=third, requester=third.advocate, target=fourth.advocate, target_term=fourth)
    services.accept_swap(swap=swap, user=fourth.advocate)
    page.get_by_role("link", name="Swaps").click()
    page.get_by_test_id(f"swap-{swap.pk}").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Swap approved and applied")).to_be_visible()
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.APPROVED
    third_before, fourth_before = third.advocate_id, fourth.advocate_id
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert (third.advocate_id, fourth.advocate_id) == (fourth_before, third_before)


def test_incoming_advocate_reads_and_acknowledges_the_handoff(page, sign_in, live_server, team):
    program, manager, people, current = team
    services.write_handoff_note(term=current, author=people["dana"], note="Call Mrs. Albers back every Friday.")
    services.hand_over_now(term=current, to=people["sam"], actor=manager)
    sign_in(page, "sam", PASSWORD)
    page.goto(f"{live_server.url}/programs/support-desk/")
    expect(page.get_by_test_id("current-advocate")).to_contain_text("Sam Test")
    page.get_by_role("link", name="Read the handoff note").click()
    expect(page.get_by_test_id("handoff-note")).to_contain_text("Call Mrs. Albers back every Friday.")
    page.get_by_label("My declaration for this term").fill("Every unhappy customer hears from a person within a day.")
    page.get_by_role("button", name=re.compile("acknowledge")).click()
    expect(page.get_by_text("Handoff acknowledged.")).to_be_visible()
    expect(page.get_by_text("Every unhappy customer hears from a person within a day.")).to_be_visible()
    assert timezone.now() - program.handoffs.get(early=True).acknowledged_at < timedelta(minutes=5)


def test_the_first_morning_after_a_handoff(page, sign_in, live_server, team):
    """Sam gets the baton early: the log shows Dana's note on top, Sam acknowledges it there and
    filters the log to the issues that came with the baton; each says whom it was inherited from."""
    program, manager, people, current = team
    services.write_handoff_note(term=current, author=people["dana"], note="Globex is waiting for a refund call.")
    inherited = HotIssueFactory(program=program, owner=people["dana"], title="Refund for Globex")
    HotIssueFactory(program=program, owner=people["priya"], title="Priya's own customer")
    handoff = services.hand_over_now(term=current, to=people["sam"], actor=manager)

    sign_in(page, "sam", PASSWORD)
    page.goto(f"{live_server.url}/issues/")
    note = page.get_by_test_id("pending-handoff")
    expect(note).to_contain_text("Dana Test's handoff note")
    expect(note).to_contain_text("Globex is waiting for a refund call.")
    note.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Handoff acknowledged.")).to_be_visible()
    assert page.url.rstrip("/").endswith("/issues")
    expect(page.get_by_test_id("pending-handoff")).to_have_count(0)
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is not None

    page.goto(f"{live_server.url}/issues/?inherited=yes")
    expect(page.get_by_test_id("inherited-filter")).to_be_visible()
    results = page.locator("#log-results")
    expect(results).to_contain_text("Refund for Globex")
    expect(results).not_to_contain_text("Priya's own customer")
    results.get_by_role("link", name="Refund for Globex").first.click()
    expect(page.get_by_test_id("inherited-from")).to_have_text(re.compile("inherited from Dana Test"))
    assert f"/issues/{inherited.pk}/" in page.url
