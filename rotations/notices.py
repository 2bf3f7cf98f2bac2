"""Every notice rotations sends: its wording, its link, and the one way to tell a program's managers.

The services and the reminders build a Notice here and send it with `send`
or `tell_managers`; no wording lives anywhere else. Notices speak only of
what rotations itself did: what the apps above did at a handoff arrives as
the summary lines its participants returned (see rotations.hooks).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from advocacy.models import Program
from advocacy.notifications import notify
from advocacy.selectors import display_name
from core.when import format_day

from .selectors import managers_of


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    body: str
    url: str


def fmt(day: date) -> str:
    """Return a day as people read it in a notice, as on the pages: "1 Jul 2026"."""
    return format_day(day)


def span(first: date, last: date) -> str:
    return f"{fmt(first)} to {fmt(last)}"


def url(name: str, **kwargs) -> str:
    return reverse(f"rotations:{name}", kwargs=kwargs)


def schedule_url(program: Program) -> str:
    return url("schedule", slug=program.slug)


def term_url(term) -> str:
    return url("term_detail", slug=term.program.slug, pk=term.pk)


# ---------------------------------------------------------------- sending


def send(notice: Notice, *, user: AbstractBaseUser, program: Program, key: str) -> bool:
    """Send one notice to one person, once per dedupe `key`; return whether it was new."""
    return bool(
        notify(
            user=user,
            program=program,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
            url=notice.url,
            dedupe_key=key,
        )
    )


class Managers:
    """A program's managers, looked up once per program for one run (a request, a reminder run)."""

    def __init__(self) -> None:
        self._by_program: dict[int, list[AbstractBaseUser]] = {}

    def of(self, program: Program) -> list[AbstractBaseUser]:
        if program.pk not in self._by_program:
            self._by_program[program.pk] = managers_of(program)
        return self._by_program[program.pk]


def tell_managers(
    notice: Notice,
    *,
    program: Program,
    key: str,
    managers: Managers | None = None,
    skip: Iterable[int] = (),
) -> int:
    """Send `notice` to every manager of `program` (but those in `skip`); return how many were new.

    Each manager's dedupe key is `key` followed by ":<their id>".
    """
    managers = managers or Managers()
    skip = set(skip)
    return sum(
        send(notice, user=manager, program=program, key=f"{key}:{manager.pk}")
        for manager in managers.of(program)
        if manager.pk not in skip
    )


# ---------------------------------------------------------------- terms and planning


def term_assigned(term) -> Notice:
    program = term.program
    return Notice(
        "term_assigned",
        f"You are {program.name}'s advocate from {fmt(term.start_date)}",
        f"You now have the term {span(term.start_date, term.last_day)} in {program.name}.",
        schedule_url(program),
    )


def term_taken_away(term) -> Notice:
    program = term.program
    return Notice(
        "term_unassigned",
        f"Your {program.name} term from {fmt(term.start_date)} moved",
        f"The term {span(term.start_date, term.last_day)} is no longer yours.",
        schedule_url(program),
    )


def terms_moved(program: Program, *, gained: list[str], lost: list[str]) -> Notice:
    lines = [f"You now serve {g}." for g in gained] + [f"You no longer serve {x}." for x in lost]
    return Notice("terms_moved", f"Your {program.name} advocate terms changed", "\n".join(lines), schedule_url(program))


def term_starting(term, *, days: int, role) -> Notice:
    role_text = ""
    if role:
        points = "\n".join(f"- {p}" for p in role.mandate_points)
        role_text = f"\n\n{role.title}\n{role.summary}\n{points}"
    return Notice(
        "term_starting",
        f"Your {term.program.name} advocate term starts in {days} days",
        f"You take the baton on {fmt(term.start_date)} and serve until {fmt(term.last_day)}." + role_text,
        term_url(term),
    )


def term_ending(term, *, days: int) -> Notice:
    note = "You have a note drafted; check it is complete." if term.handoff_note else "Write your handoff note now."
    return Notice(
        "term_ending",
        f"Your {term.program.name} term ends in {days} days: write the handoff note",
        f"The baton passes on {fmt(term.end_date)}. {note} Open issues, promises made to customers "
        "and who to call help the next advocate start well.",
        term_url(term),
    )


def term_without_advocate(term) -> Notice:
    return Notice(
        "term_unassigned",
        f"{term.program.name} has no advocate from {fmt(term.start_date)}",
        f"The term {span(term.start_date, term.last_day)} has nobody assigned. Assign someone or run the planner.",
        schedule_url(term.program),
    )


def coverage_gap(term, *, next_start: date | None) -> Notice:
    if next_start:
        title = f"{term.program.name} has no advocate from {fmt(term.end_date)} to {fmt(next_start)}"
        body = "There is a gap between two saved terms. Assign a term or a cover so no customer is left without an advocate."
    else:
        title = f"Nothing is planned in {term.program.name} after {fmt(term.last_day)}"
        body = "After this term there is no advocate. Plan the next terms so no customer is left without one."
    return Notice("coverage_gap", title, body, schedule_url(term.program))


# ---------------------------------------------------------------- handoffs


def handoff_incoming(handoff, *, effects: list[str]) -> Notice:
    """The incoming advocate's notice; `effects` are the lines the handoff's participants returned."""
    program, incoming_term = handoff.program, handoff.incoming_term
    outgoing = handoff.outgoing_advocate
    body = (
        f"Your term runs until {fmt(incoming_term.last_day)}. Read the handoff note"
        f"{' from ' + display_name(outgoing) if outgoing else ''}, acknowledge it "
        "and write your declaration for the term."
    )
    return Notice(
        "handoff_incoming",
        f"You are now {program.name}'s customer advocate",
        " ".join([body, *effects]),
        url("handoff_detail", slug=program.slug, pk=handoff.pk),
    )


def handoff_outgoing(handoff, *, effects: list[str]) -> Notice:
    """The outgoing advocate's notice; `effects` are the lines the handoff's participants returned."""
    program, incoming = handoff.program, handoff.incoming_advocate
    return Notice(
        "handoff_outgoing",
        f"You passed the {program.name} baton",
        " ".join(
            [
                f"{display_name(incoming) if incoming else 'Nobody'} is the advocate now.",
                *effects,
                "Thank you for your term.",
            ]
        ),
        url("handoff_detail", slug=program.slug, pk=handoff.pk),
    )


def handoff_unacknowledged(handoff) -> Notice:
    return Notice(
        "handoff_unacknowledged",
        f"{display_name(handoff.incoming_advocate)} has not acknowledged the {handoff.program.name} handoff",
        "Two working days have passed since the baton passed. Check in with them so no "
        "customer falls between two advocates.",
        url("handoff_detail", slug=handoff.program.slug, pk=handoff.pk),
    )


# ---------------------------------------------------------------- leave and covers


def leave_conflict(leave, term, *, replacement: AbstractBaseUser | None, take_over: bool) -> Notice:
    away = display_name(leave.user)
    if replacement is None:
        proposal = "Nobody else eligible is free then; consider leaving the term open or asking someone."
    elif take_over:
        proposal = f"Proposed: {display_name(replacement)} takes the term instead."
    else:
        proposal = f"Proposed: {display_name(replacement)} covers {span(leave.first_day, leave.last_day)}."
    return Notice(
        "leave_conflict",
        f"{away} is on leave during their {term.program.name} term",
        f"{away} is away {span(leave.first_day, leave.last_day)}, "
        f"inside the term {span(term.start_date, term.last_day)}. {proposal}",
        schedule_url(term.program),
    )


def cover_assigned(cover) -> Notice:
    term, program = cover.term, cover.term.program
    return Notice(
        "cover_assigned",
        f"You cover as {program.name}'s advocate {span(cover.first_day, cover.last_day)}",
        f"You stand in for {display_name(term.advocate) if term.advocate else 'the advocate'}; "
        "you are the program's advocate during the cover.",
        schedule_url(program),
    )


def cover_added(cover) -> Notice:
    return Notice(
        "cover_added",
        f"{display_name(cover.person)} covers for you {span(cover.first_day, cover.last_day)}",
        "You get the baton back when the cover ends.",
        schedule_url(cover.term.program),
    )


def cover_started(cover) -> Notice:
    return Notice(
        "cover_started",
        f"You are {cover.term.program.name}'s advocate until {fmt(cover.last_day)}",
        "Your cover has begun: you are the program's advocate until it ends.",
        term_url(cover.term),
    )


def cover_ended_for_advocate(cover) -> Notice:
    return Notice(
        "cover_ended",
        f"The {cover.term.program.name} baton is back with you",
        f"{display_name(cover.person)} covered for you {span(cover.first_day, cover.last_day)}. "
        "You are the advocate again; ask them what is still open.",
        term_url(cover.term),
    )


def cover_ended_for_person(cover) -> Notice:
    return Notice(
        "cover_ended",
        f"Your {cover.term.program.name} cover has ended",
        f"The baton is back with {display_name(cover.term.advocate)}. Pass on anything a customer is still "
        "waiting for.",
        term_url(cover.term),
    )


def cover_cancelled_by_handover(cover, *, to: AbstractBaseUser) -> Notice:
    program = cover.term.program
    return Notice(
        "cover_cancelled",
        f"Your {program.name} cover {span(cover.first_day, cover.last_day)} is cancelled",
        f"The term you were to cover for {display_name(cover.term.advocate)} was handed over early to "
        f"{display_name(to)}, so the cover is no longer needed. Nothing is planned for you on those days.",
        schedule_url(program),
    )


# ---------------------------------------------------------------- swaps


def swap_requested(swap) -> Notice:
    term, program = swap.term, swap.term.program
    return Notice(
        "swap_requested",
        f"{display_name(swap.requested_by)} asks you to take their {program.name} term",
        f"The term {span(term.start_date, term.last_day)}"
        + (f", in exchange for yours from {fmt(swap.target_term.start_date)}" if swap.target_term else "")
        + (f". “{swap.message}”" if swap.message else "."),
        url("swap_list", slug=program.slug),
    )


def swap_to_approve(swap) -> Notice:
    program = swap.term.program
    return Notice(
        "swap_to_approve",
        f"A {program.name} swap waits for your approval",
        f"{display_name(swap.accepted_by)} takes {display_name(swap.requested_by)}'s term from "
        f"{fmt(swap.term.start_date)}.",
        url("swap_list", slug=program.slug),
    )


def swap_done(swap, term, other) -> Notice:
    program = term.program
    summary = f"{display_name(swap.accepted_by)} now serves {span(term.start_date, term.last_day)}" + (
        f"; {display_name(swap.requested_by)} serves {span(other.start_date, other.last_day)}" if other else ""
    )
    return Notice("swap_done", f"{program.name} swap done", summary + ".", schedule_url(program))


def swap_declined(swap, *, by: AbstractBaseUser) -> Notice:
    program = swap.term.program
    return Notice(
        "swap_declined",
        f"Your {program.name} swap request was declined",
        f"{display_name(by)} declined it; your term from {fmt(swap.term.start_date)} stays yours.",
        url("swap_list", slug=program.slug),
    )


def swap_follow_up(swap) -> Notice:
    program = swap.term.program
    if swap.status == swap.Status.ACCEPTED:
        title = f"A {program.name} swap still waits for your approval"
    elif swap.target_id:
        title = f"{display_name(swap.requested_by)} still asks you to take their {program.name} term"
    else:
        title = f"Nobody has taken your {program.name} term yet"
    return Notice(
        "swap_follow_up",
        title,
        f"The term {span(swap.term.start_date, swap.term.last_day)}.",
        url("swap_list", slug=program.slug),
    )


# ---------------------------------------------------------------- roster


def roster_review(review, *, affected: int, joined: bool) -> Notice:
    return Notice(
        "roster_review",
        f"{display_name(review.user)} {review.get_change_display()}: {affected} planned "
        f"term{'s' if affected != 1 else ''} to review",
        (
            "The planned terms are unchanged; you can replan them to include them."
            if joined
            else "Their terms are unchanged until you decide: keep them, or open them for replanning."
        ),
        schedule_url(review.program),
    )


# ---------------------------------------------------------------- e-mail choices

# The switches a person finds on their profile for these notices (registered in
# RotationsConfig.ready). Every notice stays in the app; these choose the e-mail.
EMAIL_CHOICES = (
    {
        "key": "handoffs",
        "label": "Handoffs",
        "help_text": "The baton passes to you or from you, or a handoff waits to be acknowledged.",
        "kinds": {"handoff_incoming", "handoff_outgoing", "handoff_unacknowledged"},
    },
    {
        "key": "reminders",
        "label": "Reminders",
        "help_text": "Your term starts or ends soon; a swap still waits for you.",
        "kinds": {"term_starting", "term_ending", "swap_follow_up"},
    },
    {
        "key": "terms",
        "label": "Changes to terms and the plan",
        "help_text": "Terms given to you or moved, gaps in the plan, leave during a term, roster reviews.",
        "kinds": {"term_assigned", "term_unassigned", "terms_moved", "coverage_gap", "leave_conflict", "roster_review"},
    },
    {
        "key": "covers_swaps",
        "label": "Covers and swaps",
        "help_text": "Someone covers for you or you cover; swap requests, approvals and answers.",
        "kinds": {
            "cover_assigned",
            "cover_added",
            "cover_started",
            "cover_ended",
            "cover_cancelled",
            "swap_requested",
            "swap_to_approve",
            "swap_done",
            "swap_declined",
        },
    },
)
