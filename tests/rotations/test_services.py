"""Services: terms never overlap, handoffs happen once and in order, leave, covers, swaps, roster changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from advocacy import services as advocacy_services
from advocacy.models import Notification, RoleDescriptionVersion
from advocacy.selectors import display_name
from issues.models import HotIssue
from rotations import boundaries, services
from rotations.models import Cover, Handoff, LedgerEntry, RosterReview, SwapRequest, Term
from rotations.selectors import current_advocate, current_term, schedule_for
from tests import hook_participants
from tests.factories import HotIssueFactory, MembershipFactory, TermFactory

pytestmark = pytest.mark.django_db


def at(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=UTC)


# ------------------------------------------------------------------ terms


def test_create_term_computes_calendar_aligned_local_boundaries(make_term, people):
    term = make_term(date(2026, 1, 1), people[0])
    assert term.end_date == date(2026, 4, 1)
    assert term.starts_at == at(2026, 1, 1, 8)  # 09:00 CET
    assert term.ends_at == at(2026, 4, 1, 7)  # 09:00 CEST
    assert term.last_day == date(2026, 3, 31)


def test_service_refuses_overlapping_terms_with_a_clear_message(make_term, desk):
    make_term(date(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.create_term(program=desk, start_date=date(2026, 3, 1))
    assert error.value.messages == [services.OVERLAP % {"start": "1 Jan 2026", "end": "31 Mar 2026"}]


def test_back_to_back_terms_do_not_overlap(make_term):
    make_term(date(2026, 1, 1))
    assert make_term(date(2026, 4, 1)).start_date == date(2026, 4, 1)


def test_the_database_refuses_overlap_even_when_the_service_is_bypassed(make_term, desk):
    make_term(date(2026, 1, 1))
    with pytest.raises(IntegrityError, match="term_no_overlap"), transaction.atomic():
        TermFactory(program=desk, advocate=None, start_date=date(2026, 2, 1))


def test_other_programs_may_use_the_same_dates(make_term, other_program):
    make_term(date(2026, 1, 1))
    assert make_term(date(2026, 1, 1), program=other_program).pk


def test_assign_term_pins_the_advocate_and_tells_both_people(make_term, people, boss, run_jobs):
    ann, ben = people[:2]
    term = make_term(date(2026, 7, 1), ann)
    services.assign_term(term=term, advocate=ben, actor=boss)
    term.refresh_from_db()
    assert term.advocate == ben and term.pinned
    assert Notification.objects.filter(user=ben, kind="term_assigned").exists()
    assert Notification.objects.filter(user=ann, kind="term_unassigned").exists()
    run_jobs()
    assert {m.to[0] for m in mail.outbox} >= {"ann@example.com", "ben@example.com"}


def test_assign_term_refuses_non_managers_ineligible_people_and_people_on_leave(make_term, people, boss, desk):
    ann, ben = people[:2]
    term = make_term(date(2026, 7, 1), ann)
    with pytest.raises(PermissionDenied):
        services.assign_term(term=term, advocate=ben, actor=ann)
    with pytest.raises(ValidationError, match="not an eligible member"):
        services.assign_term(term=term, advocate=boss, actor=boss)
    services.record_leave(user=ben, first_day=date(2026, 8, 1), last_day=date(2026, 8, 10))
    with pytest.raises(ValidationError, match="on leave during this term"):
        services.assign_term(term=term, advocate=ben, actor=boss)


def test_active_and_past_terms_cannot_be_reassigned(make_term, people, boss, now):
    term = make_term(date(2026, 4, 1), people[0])
    services.run_due_handoffs(now=now)
    with pytest.raises(ValidationError) as error:
        services.assign_term(term=term, advocate=people[1], actor=boss)
    assert error.value.messages == [services.NOT_PLANNED]


# ------------------------------------------------------------------ handoffs


@pytest.fixture
def with_participant(settings):
    """Add a test participant (by its name in tests.hook_participants) after the real ones."""
    hook_participants.reset()

    def add(name: str, hook: str = "HANDOFF_PARTICIPANTS"):
        setattr(settings, hook, [*getattr(settings, hook), f"tests.hook_participants.{name}"])

    yield add
    hook_participants.reset()


def test_due_handoff_completes_outgoing_activates_incoming_and_pins_role_version(
    make_term, people, now, desk, with_participant
):
    ann, ben = people[:2]
    first = make_term(date(2026, 1, 1), ann)
    second = make_term(date(2026, 4, 1), ben)
    with_participant("record")
    assert services.run_due_handoffs(now=now) == 2
    received = hook_participants.SEEN
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Term.Status.COMPLETED, Term.Status.ACTIVE)
    assert second.role_version == RoleDescriptionVersion.objects.order_by("-number").first()
    assert [(c.outgoing_advocate, c.incoming_advocate) for c in received] == [(None, ann), (ann, ben)]
    assert received[1].at == second.starts_at and received[1].program == desk
    assert received[1].outgoing_term == first and received[1].incoming_term == second
    assert Handoff.objects.get(incoming_term=second).outgoing_term == first


def test_the_handoff_records_what_each_participant_returned(make_term, people, now, with_participant):
    make_term(date(2026, 1, 1), people[0])
    second = make_term(date(2026, 4, 1), people[1])
    with_participant("record")
    services.run_due_handoffs(now=now)
    handoff = Handoff.objects.get(incoming_term=second)
    names = [effect.participant for effect in handoff.effect_list]
    assert names == ["issues.open_issues", "insights.term_report", "tests.record"]
    assert handoff.effect_list[-1].count == 2
    assert handoff.effect_summaries[-1] == "Recorded handoff 2."
    outgoing = Notification.objects.get(user=people[0], kind="handoff_outgoing")
    incoming = Notification.objects.get(user=people[1], kind="handoff_incoming")
    assert "Recorded handoff 2." in outgoing.body and "Recorded handoff 2." in incoming.body


def test_handoff_runs_once_when_run_twice(make_term, people, now):
    make_term(date(2026, 4, 1), people[0])
    assert services.run_due_handoffs(now=now) == 1
    assert services.run_due_handoffs(now=now) == 0
    assert Handoff.objects.count() == 1
    assert Notification.objects.filter(kind="handoff_incoming").count() == 1


def test_the_outgoing_notice_says_how_many_open_issues_the_handoff_moved(make_term, people, now, desk):
    ann, ben = people[:2]
    make_term(date(2026, 1, 1), ann)
    services.run_due_handoffs(now=at(2026, 2, 1))
    second = make_term(date(2026, 4, 1), ben)
    moved = [HotIssueFactory(program=desk, owner=ann) for _ in range(3)]
    services.run_due_handoffs(now=now)
    handoff = Handoff.objects.get(incoming_term=second)
    (issues_effect,) = [e for e in handoff.effect_list if e.participant == "issues.open_issues"]
    assert issues_effect.count == 3 and set(issues_effect.ids) == {i.pk for i in moved}
    assert set(HotIssue.objects.filter(owner=ben).values_list("pk", flat=True)) == {i.pk for i in moved}
    outgoing = Notification.objects.get(user=ann, kind="handoff_outgoing")
    name = display_name(ben)
    assert outgoing.body == f"{name} is the advocate now. 3 open issues moved to {name}. Thank you for your term."
    incoming = Notification.objects.get(user=ben, kind="handoff_incoming")
    assert f"3 open issues moved to {name}." in incoming.body


def test_a_handoff_with_nothing_to_move_says_so_and_promises_nothing(make_term, people, now):
    make_term(date(2026, 1, 1), people[0])
    second = make_term(date(2026, 4, 1), people[1])
    services.run_due_handoffs(now=now)
    outgoing = Notification.objects.get(user=people[0], kind="handoff_outgoing")
    assert "no open issues to move" in outgoing.body and "moved with the baton" not in outgoing.body
    assert Handoff.objects.get(incoming_term=second).effect_list[0].count == 0


def test_catch_up_after_days_down_performs_missed_handoffs_in_order(make_term, people, with_participant):
    terms = [make_term(date(2026, m, 1), p) for m, p in zip((1, 4, 7), people, strict=False)]
    with_participant("record")
    services.run_due_handoffs(now=at(2026, 7, 20))
    assert [c.incoming_term.pk for c in hook_participants.SEEN] == [t.pk for t in terms]
    assert [t.status for t in Term.objects.order_by("starts_at")] == ["completed", "completed", "active"]


def test_a_failing_participant_rolls_the_whole_handoff_back(make_term, people, now, with_participant):
    first = make_term(date(2026, 1, 1), people[0])
    services.run_due_handoffs(now=at(2026, 2, 1))
    make_term(date(2026, 4, 1), people[1])
    with_participant("boom")
    with pytest.raises(RuntimeError):
        services.run_due_handoffs(now=now)
    first.refresh_from_db()
    assert first.status == Term.Status.ACTIVE
    assert Handoff.objects.count() == 1


def test_an_active_term_ending_into_a_gap_is_completed(make_term, people):
    term = make_term(date(2026, 1, 1), people[0])
    services.run_due_handoffs(now=at(2026, 1, 2))
    services.run_due_handoffs(now=at(2026, 4, 2))
    term.refresh_from_db()
    assert term.status == Term.Status.COMPLETED


def test_hand_over_now_splits_the_term_and_hands_over_at_once(make_term, people, boss, now, desk):
    ann, ben = people[:2]
    term = make_term(date(2026, 4, 1), ann)
    services.run_due_handoffs(now=now)
    handoff = services.hand_over_now(term=term, to=ben, actor=boss, now=now)
    term.refresh_from_db()
    assert term.status == Term.Status.COMPLETED and term.ends_at == now
    incoming = handoff.incoming_term
    assert (incoming.advocate, incoming.status, incoming.starts_at, incoming.end_date) == (
        ben,
        Term.Status.ACTIVE,
        now,
        date(2026, 7, 1),
    )
    assert handoff.early and current_advocate(program=desk, at=now + timedelta(minutes=1)) == ben


def test_hand_over_now_only_for_the_current_term(make_term, people, boss, now):
    term = make_term(date(2026, 7, 1), people[0])
    with pytest.raises(ValidationError) as error:
        services.hand_over_now(term=term, to=people[1], actor=boss, now=now)
    assert error.value.messages == [services.NOT_CURRENT]


def test_handoff_note_acknowledgement_and_declaration(make_term, people, now):
    ann, ben = people[:2]
    first = make_term(date(2026, 1, 1), ann)
    services.run_due_handoffs(now=at(2026, 2, 1))
    services.write_handoff_note(term=first, author=ann, note="Call Mrs. Albers on Friday.")
    with pytest.raises(PermissionDenied):
        services.write_handoff_note(term=first, author=ben, note="not mine")
    second = make_term(date(2026, 4, 1), ben)
    services.run_due_handoffs(now=now)
    handoff = Handoff.objects.get(incoming_term=second)
    with pytest.raises(PermissionDenied):
        services.acknowledge_handoff(handoff=handoff, user=ann)
    services.acknowledge_handoff(handoff=handoff, user=ben, declaration="Every customer hears from us in a day.")
    second.refresh_from_db()
    assert second.declaration.startswith("Every customer")
    with pytest.raises(ValidationError):
        services.acknowledge_handoff(handoff=handoff, user=ben)
    with pytest.raises(ValidationError):
        services.write_handoff_note(term=first, author=ann, note="too late")


# ------------------------------------------------------------------ covers and leave


def test_during_a_cover_the_cover_person_is_the_advocate_and_the_baton_returns(make_term, people, boss, desk):
    ann, ben = people[:2]
    term = make_term(date(2026, 4, 1), ann)
    cover = services.add_cover(
        term=term, person=ben, first_day=date(2026, 5, 4), last_day=date(2026, 5, 8), actor=boss, reason="Holiday"
    )
    assert cover.starts_at == at(2026, 5, 4, 7) and cover.ends_at == at(2026, 5, 9, 7)
    assert current_advocate(program=desk, at=at(2026, 5, 3)) == ann
    assert current_advocate(program=desk, at=at(2026, 5, 6)) == ben
    assert current_advocate(program=desk, at=at(2026, 5, 9, 8)) == ann
    assert current_term(program=desk, at=at(2026, 5, 6)) == term
    assert Notification.objects.filter(user=ben, kind="cover_assigned").exists()


def test_cover_must_fit_inside_the_term_and_not_overlap(make_term, people, boss):
    ann, ben, cat = people[:3]
    term = make_term(date(2026, 4, 1), ann)
    with pytest.raises(ValidationError, match="inside the term"):
        services.add_cover(term=term, person=ben, first_day=date(2026, 6, 25), last_day=date(2026, 7, 5), actor=boss)
    services.add_cover(term=term, person=ben, first_day=date(2026, 5, 1), last_day=date(2026, 5, 5), actor=boss)
    with pytest.raises(ValidationError) as error:
        services.add_cover(term=term, person=cat, first_day=date(2026, 5, 5), last_day=date(2026, 5, 9), actor=boss)
    assert error.value.messages == [services.COVER_OVERLAP]
    with pytest.raises(ValidationError) as error:
        services.add_cover(term=term, person=ann, first_day=date(2026, 6, 1), last_day=date(2026, 6, 2), actor=boss)
    assert error.value.messages == [services.COVER_SELF]


def test_leave_overlapping_a_term_warns_managers_once_with_a_proposal(make_term, people, boss):
    ann = people[0]
    make_term(date(2026, 7, 1), ann)
    leave = services.record_leave(user=ann, first_day=date(2026, 8, 3), last_day=date(2026, 8, 14))
    notes = Notification.objects.filter(user=boss, kind="leave_conflict")
    assert notes.count() == 1
    assert "Proposed:" in notes.get().body and "covers" in notes.get().body
    services.warn_leave_conflicts(leave=leave)
    assert notes.count() == 1


def test_schedule_marks_gaps_covers_and_leave_conflicts(make_term, people, boss, desk, now):
    ann, ben = people[:2]
    current = make_term(date(2026, 4, 1), ann)
    make_term(date(2026, 10, 1), None)
    services.add_cover(term=current, person=ben, first_day=date(2026, 6, 1), last_day=date(2026, 6, 5), actor=boss)
    services.record_leave(user=ann, first_day=date(2026, 6, 20), last_day=date(2026, 6, 22))
    sched = schedule_for(program=desk, at=now)
    assert sched.current.term == current
    assert [r.kind for r in sched.upcoming] == ["gap", "term"]
    assert sched.gap_count == 2 and sched.conflict_count == 1


def test_schedule_queries_do_not_grow_with_terms(make_term, people, desk, now, django_assert_max_num_queries):
    for i in range(12):
        make_term(boundaries.add_months(date(2025, 1, 1), 3 * i), people[i % 4])
    with django_assert_max_num_queries(8):
        sched = schedule_for(program=desk, at=now)
        [list(r.term.covers.all()) for r in sched.upcoming + sched.past if r.term]


# ------------------------------------------------------------------ swaps


def test_swap_trade_waits_for_a_manager_then_swaps_and_tells_everyone(make_term, people, boss):
    ann, ben = people[:2]
    mine = make_term(date(2026, 7, 1), ann)
    theirs = make_term(date(2026, 10, 1), ben)
    swap = services.request_swap(term=mine, requester=ann, target=ben, target_term=theirs)
    assert Notification.objects.filter(user=ben, kind="swap_requested").exists()
    swap = services.accept_swap(swap=swap, user=ben)
    assert swap.status == SwapRequest.Status.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.approve_swap(swap=swap, actor=ann)
    services.approve_swap(swap=swap, actor=boss)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.advocate, theirs.advocate) == (ben, ann)
    assert set(Notification.objects.filter(kind="swap_done").values_list("user__username", flat=True)) == {
        "ann",
        "ben",
        "boss",
    }


def test_swap_to_anyone_auto_approved_when_the_program_says_so(make_term, people, boss, desk):
    ann, ben, cat = people[:3]
    services.save_rotation_settings(
        program=desk, actor=boss, allow_back_to_back=False, max_terms_per_year=0, auto_approve_swaps=True
    )
    term = make_term(date(2026, 7, 1), ann)
    swap = services.request_swap(term=term, requester=ann)
    assert Notification.objects.filter(kind="swap_requested").count() == 3  # ben, cat, dan
    swap = services.accept_swap(swap=swap, user=cat)
    term.refresh_from_db()
    assert swap.status == SwapRequest.Status.APPROVED and term.advocate == cat


def test_swap_addressed_to_someone_cannot_be_taken_by_another(make_term, people):
    ann, ben, cat = people[:3]
    swap = services.request_swap(term=make_term(date(2026, 7, 1), ann), requester=ann, target=ben)
    with pytest.raises(PermissionDenied):
        services.accept_swap(swap=swap, user=cat)
    with pytest.raises(ValidationError):
        services.request_swap(term=swap.term, requester=ann, target=cat)


def test_swap_is_stale_when_the_term_changed_meanwhile(make_term, people, boss):
    ann, ben, cat = people[:3]
    term = make_term(date(2026, 7, 1), ann)
    swap = services.accept_swap(swap=services.request_swap(term=term, requester=ann, target=ben), user=ben)
    services.assign_term(term=term, advocate=cat, actor=boss)
    with pytest.raises(ValidationError) as error:
        services.approve_swap(swap=swap, actor=boss)
    assert error.value.messages == [services.SWAP_STALE]


# ------------------------------------------------------------------ roster changes


def test_roster_change_never_reshuffles_saved_terms_but_asks_the_manager(make_term, people, boss, desk):
    ann = people[0]
    term = make_term(date(2026, 7, 1), ann)
    membership = ann.memberships.get(program=desk)
    advocacy_services.update_membership(membership=membership, actor=boss, role="member", is_eligible=False)
    term.refresh_from_db()
    assert term.advocate == ann
    review = RosterReview.objects.get()
    assert list(review.terms.all()) == [term] and review.change == RosterReview.Change.INELIGIBLE
    assert Notification.objects.filter(user=boss, kind="roster_review").exists()
    assert services.resolve_roster_review(review=review, actor=boss, action="unassign") == [term.pk]
    term.refresh_from_db()
    assert term.advocate is None


def test_removing_a_member_keeps_their_terms_until_the_manager_decides(make_term, people, boss, desk):
    ben = people[1]
    term = make_term(date(2026, 7, 1), ben)
    advocacy_services.remove_member(membership=ben.memberships.get(program=desk), actor=boss)
    review = RosterReview.objects.get()
    services.resolve_roster_review(review=review, actor=boss, action="keep")
    term.refresh_from_db()
    assert term.advocate == ben and review.terms.count() == 1


def test_a_newcomer_joins_the_ledger_level_with_the_others(make_term, people, boss, desk):
    for i, person in enumerate(people):
        make_term(boundaries.add_months(date(2025, 1, 1), 3 * i), person)
    newcomer = MembershipFactory.build(program=desk).user
    newcomer.save()
    advocacy_services.add_member(program=desk, actor=boss, user=newcomer)
    assert LedgerEntry.objects.get(user=newcomer).baseline == 1


def test_cover_ends_when_the_term_is_handed_over_early(make_term, people, boss, now):
    ann, ben, cat = people[:3]
    term = make_term(date(2026, 4, 1), ann)
    services.run_due_handoffs(now=now)
    services.add_cover(term=term, person=cat, first_day=date(2026, 6, 1), last_day=date(2026, 6, 5), actor=boss)
    services.hand_over_now(term=term, to=ben, actor=boss, now=now)
    assert not Cover.objects.exists()


def test_changing_the_program_zone_moves_future_boundaries_not_past_ones(make_term, people, boss, desk):
    from django.utils import timezone

    today = boundaries.local_date(program=desk, at=timezone.now())
    this_quarter = boundaries.add_months(today.replace(day=1), -((today.month - 1) % 3))
    past = make_term(boundaries.add_months(this_quarter, -3), people[0])
    current = make_term(this_quarter, people[1])
    future = make_term(current.end_date, people[2])
    services.run_due_handoffs()
    past_ends = Term.objects.get(pk=past.pk).ends_at
    advocacy_services.update_program(program=desk, actor=boss, time_zone="America/New_York")
    future.refresh_from_db()
    current.refresh_from_db()
    local = future.starts_at.astimezone(future.program.zone)
    assert (local.date(), local.hour) == (future.start_date, 9)
    assert future.starts_at == boundaries.local_instant(
        day=future.start_date, at=desk.handoff_time, zone=__import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert current.ends_at == future.starts_at
    assert Term.objects.get(pk=past.pk).ends_at == past_ends


def test_only_update_program_moves_boundaries_and_only_when_zone_or_handoff_time_change(
    make_term, people, boss, desk, with_participant
):
    future = make_term(date(2027, 1, 1), people[0])
    starts_at = future.starts_at
    desk.time_zone = "America/New_York"
    desk.save()  # a bare save is no workflow: nothing listens to it
    future.refresh_from_db()
    assert future.starts_at == starts_at
    desk.refresh_from_db()
    with_participant("record", "PROGRAM_CHANGED_PARTICIPANTS")
    advocacy_services.update_program(program=desk, actor=boss, name="Renamed desk", time_zone=desk.time_zone)
    assert hook_participants.SEEN == []  # the boundaries did not move: no hook
    future.refresh_from_db()
    assert future.starts_at == starts_at
    advocacy_services.update_program(program=desk, actor=boss, handoff_time=time(10, 0))
    (change,) = hook_participants.SEEN
    assert change.boundaries_moved and change.previous_time_zone == "America/New_York"
    future.refresh_from_db()
    local = future.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour) == (date(2027, 1, 1), 10)


def test_terms_record_the_zone_and_handoff_time_their_boundaries_follow(make_term, desk):
    term = make_term(date(2026, 7, 1))
    assert (term.time_zone, term.handoff_time) == ("Europe/Berlin", desk.handoff_time)


def test_a_newcomer_is_offered_for_a_replan_but_nothing_moves(
    make_term, people, boss, desk, django_capture_on_commit_callbacks
):
    planned = make_term(date(2026, 7, 1), people[0])
    newcomer = MembershipFactory.build(program=desk).user
    newcomer.save()
    advocacy_services.add_member(program=desk, actor=boss, user=newcomer)
    review = RosterReview.objects.get(change=RosterReview.Change.JOINED)
    assert list(review.terms.all()) == [planned]
    planned.refresh_from_db()
    assert planned.advocate == people[0]
    with pytest.raises(ValidationError) as error:
        services.resolve_roster_review(review=review, actor=boss, action="unassign")
    assert error.value.messages == [services.REVIEW_NEWCOMER]


def test_becoming_eligible_again_makes_the_earlier_review_moot(make_term, people, boss, desk):
    term = make_term(date(2026, 7, 1), people[0])
    membership = people[0].memberships.get(program=desk)
    advocacy_services.update_membership(membership=membership, actor=boss, role="member", is_eligible=False)
    advocacy_services.update_membership(membership=membership, actor=boss, role="member", is_eligible=True)
    review = RosterReview.objects.get(change=RosterReview.Change.INELIGIBLE)
    assert review.resolution == "moot"
    term.refresh_from_db()
    assert term.advocate == people[0]


@pytest.mark.parametrize("history", [1, 12])
def test_a_handoff_takes_the_same_queries_whatever_the_history(make_term, people, desk, history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = date(2020, 1, 1)
    for i in range(history):
        make_term(boundaries.add_months(start, 3 * i), people[i % 4])
    services.run_due_handoffs(now=at(2026, 1, 1))
    make_term(date(2026, 4, 1), people[0])
    make_term(date(2026, 7, 1), people[1])
    services.run_due_handoffs(now=at(2026, 4, 2))
    with CaptureQueriesContext(connection) as queries:
        assert services.perform_due_handoffs(program_id=desk.pk, now=at(2026, 7, 2)) == 1
    # 16, plus the three outbox rows written in the handoff's transaction: the e-mails of its
    # two notices and the outgoing term's report; plus the one look for chat channels that hear of handoffs.
    assert len(queries) <= 20, [q["sql"][:80] for q in queries]


def test_loading_a_program_with_deferred_fields_does_not_recurse(db):
    from advocacy.models import Program
    from tests.factories import ProgramFactory

    ProgramFactory(slug="deferred")
    program = Program.objects.only("pk", "name").get(slug="deferred")
    assert program.name
    assert program.time_zone == "Europe/Berlin"  # loads the deferred field once, without recursion
