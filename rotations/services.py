"""Writes for rotations: terms, planning, handoffs, leave, covers, swaps, roster reviews, feeds.

Every function is one business action: keyword-only arguments, validation
with messages a person understands (module constants that tests reuse), all
writes in one transaction, notifications sent on commit.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.notifications import notify
from advocacy.permissions import Actor, acting_person, require_manager
from advocacy.selectors import display_name, role_version_for_program
from core.outbox import enqueue

from . import boundaries, planner
from .models import (
    CalendarToken,
    Cover,
    Handoff,
    Leave,
    LedgerEntry,
    RosterReview,
    RotationSettings,
    SwapRequest,
    Term,
)
from .selectors import leaves_overlapping, rotation_settings
from .signals import handoff_performed

User = get_user_model()

OVERLAP = "This term would overlap the term from %(start)s to %(end)s. Terms of one program cannot overlap."
NOT_PLANNED = "Only future terms can be changed. The current term can only be handed over with “Hand over now”."
NOT_ELIGIBLE = "%(name)s is not an eligible member of this program."
ON_LEAVE = "%(name)s is on leave during this term (%(first)s to %(last)s)."
NOT_CURRENT = "Only the current term can be handed over now."
SAME_ADVOCATE = "%(name)s is already the advocate of this term."
NOT_THE_ADVOCATE = "Only the term's advocate can do that."
NOT_INCOMING = "Only the incoming advocate can acknowledge the handoff."
ALREADY_ACKNOWLEDGED = "This handoff was already acknowledged."
PLAN_CHANGED = "The schedule changed since you looked at the preview. Here is a fresh preview; check it and save again."
PLAN_COUNT = "Plan between 1 and %(max)s terms."
LEAVE_ORDER = "The last day of leave cannot be before the first day."
COVER_OUTSIDE = "A cover must lie inside the term (%(first)s to %(last)s)."
COVER_OVERLAP = "This cover overlaps another cover of the same term."
COVER_SELF = "The term's own advocate cannot cover for themself."
COVER_PAST = "This term is over; it cannot get a cover."
SWAP_OWN_TERM = "You can only offer your own future terms for a swap."
SWAP_TARGET_TERM = "Pick one of %(name)s's future terms in this program to trade."
SWAP_NOT_OPEN = "This swap request is no longer open."
SWAP_NOT_ACCEPTED = "This swap request is not waiting for a manager."
SWAP_NOT_FOR_YOU = "This swap request is addressed to someone else."
SWAP_STALE = "The terms changed since the swap was requested; it can no longer be applied."
SWAP_PENDING = "There is already an open swap request for this term."
SWAP_SELF = "You cannot swap with yourself."
REVIEW_DONE = "This roster change was already dealt with."
MAX_PLAN = 120


def _url(name: str, **kwargs) -> str:
    return reverse(f"rotations:{name}", kwargs=kwargs)


def _fmt(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def managers_of(program: Program) -> list[AbstractBaseUser]:
    return list(
        User.objects.filter(memberships__program=program, memberships__role=Membership.Role.MANAGER, is_active=True)
    )


def _eligible_ids(program: Program) -> list[int]:
    return list(
        Membership.objects.filter(program=program, is_eligible=True, user__is_active=True)
        .order_by("joined_at", "user_id")
        .values_list("user_id", flat=True)
    )


def _check_eligible(program: Program, user: AbstractBaseUser) -> None:
    if user.pk not in _eligible_ids(program):
        raise ValidationError(NOT_ELIGIBLE, params={"name": display_name(user)}, code="not_eligible")


def _check_no_leave(user: AbstractBaseUser, first: date, end_exclusive: date) -> None:
    leave = leaves_overlapping(user_ids=[user.pk], first=first, last=end_exclusive - timedelta(days=1)).first()
    if leave:
        raise ValidationError(
            ON_LEAVE,
            params={"name": display_name(user), "first": _fmt(leave.first_day), "last": _fmt(leave.last_day)},
            code="on_leave",
        )


def check_no_overlap(
    *, program: Program, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> None:
    """Raise OVERLAP if [starts_at, ends_at) meets another term of the program."""
    clash = (
        Term.objects.filter(program=program, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=exclude_pk)
        .order_by("starts_at")
        .first()
    )
    if clash:
        raise ValidationError(
            OVERLAP, params={"start": _fmt(clash.start_date), "end": _fmt(clash.last_day)}, code="overlap"
        )


# ---------------------------------------------------------------- terms


@transaction.atomic
def create_term(
    *,
    program: Program,
    start_date: date,
    end_date: date | None = None,
    advocate: AbstractBaseUser | None = None,
    pinned: bool = False,
) -> Term:
    """Create a planned term; its end and UTC instants follow the program's length and zone."""
    end_date = end_date or boundaries.term_end_date(program=program, start_date=start_date)
    term = Term(
        program=program,
        advocate=advocate,
        start_date=start_date,
        end_date=end_date,
        starts_at=boundaries.boundary(program=program, day=start_date),
        ends_at=boundaries.boundary(program=program, day=end_date),
        pinned=pinned,
    )
    term.full_clean()
    check_no_overlap(program=program, starts_at=term.starts_at, ends_at=term.ends_at)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError as error:  # the exclusion constraint, when two writers race
        if "term_no_overlap" in str(error):
            raise ValidationError(OVERLAP, params={"start": _fmt(start_date), "end": _fmt(end_date)}) from error
        raise
    return term


@transaction.atomic
def assign_term(*, term: Term, advocate: AbstractBaseUser | None, actor: Actor) -> Term:
    """Give a future term to `advocate` (or leave it open), by hand; tell both people."""
    require_manager(program=term.program, actor=actor)
    term = Term.objects.select_for_update(of=("self",)).select_related("program", "advocate").get(pk=term.pk)
    if term.status != Term.Status.PLANNED:
        raise ValidationError(NOT_PLANNED, code="not_planned")
    if advocate is not None:
        if advocate.pk == term.advocate_id:
            raise ValidationError(SAME_ADVOCATE, params={"name": display_name(advocate)}, code="same")
        _check_eligible(term.program, advocate)
        _check_no_leave(advocate, term.start_date, term.end_date)
    previous = term.advocate
    term.advocate = advocate
    term.pinned = advocate is not None
    term.full_clean()
    term.save()
    _tell_term_moved(term=term, previous=previous, key=f"assign:{term.pk}:{timezone.now().timestamp()}")
    queue_program_reminders(program=term.program)
    return term


def _tell_term_moved(*, term: Term, previous: AbstractBaseUser | None, key: str) -> None:
    when = f"{_fmt(term.start_date)} to {_fmt(term.last_day)}"
    url = _url("schedule", slug=term.program.slug)
    if term.advocate is not None:
        notify(
            user=term.advocate,
            program=term.program,
            kind="term_assigned",
            title=f"You are {term.program.name}'s advocate from {_fmt(term.start_date)}",
            body=f"You now have the term {when} in {term.program.name}.",
            url=url,
            dedupe_key=f"{key}:to:{term.advocate.pk}",
        )
    if previous is not None and previous.pk != term.advocate_id:
        notify(
            user=previous,
            program=term.program,
            kind="term_unassigned",
            title=f"Your {term.program.name} term from {_fmt(term.start_date)} moved",
            body=f"The term {when} is no longer yours.",
            url=url,
            dedupe_key=f"{key}:from:{previous.pk}",
        )


@transaction.atomic
def save_rotation_settings(
    *,
    program: Program,
    actor: Actor,
    allow_back_to_back: bool,
    max_terms_per_year: int,
    auto_approve_swaps: bool,
) -> RotationSettings:
    require_manager(program=program, actor=actor)
    found, _ = RotationSettings.objects.select_for_update().get_or_create(program=program)
    found.allow_back_to_back = allow_back_to_back
    found.max_terms_per_year = max_terms_per_year
    found.auto_approve_swaps = auto_approve_swaps
    found.full_clean()
    found.save()
    return found


@transaction.atomic
def reschedule_program_terms(*, program: Program, now: datetime | None = None) -> int:
    """Recompute the UTC instants of terms and covers still ahead after a program's zone or handoff time changed.

    Local dates stay as they are (saved terms are never reshuffled); only
    boundaries that have not passed yet move. Returns how many terms moved.
    """
    now = now or timezone.now()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS term_no_overlap DEFERRED")
    moved = 0
    for term in Term.objects.select_for_update().filter(program=program, ends_at__gt=now):
        starts_at = boundaries.boundary(program=program, day=term.start_date)
        ends_at = boundaries.boundary(program=program, day=term.end_date)
        changed = []
        if term.status == Term.Status.PLANNED and starts_at != term.starts_at:
            term.starts_at = starts_at
            changed.append("starts_at")
        if ends_at != term.ends_at and ends_at > now:
            term.ends_at = ends_at
            changed.append("ends_at")
        if changed:
            term.time_zone, term.handoff_time = program.time_zone, program.handoff_time
            term.save(update_fields=[*changed, "time_zone", "handoff_time", "updated_at"])
            moved += 1
    for cover in (
        Cover.objects.select_for_update(of=("self",))
        .select_related("term")
        .filter(term__program=program, ends_at__gt=now)
    ):
        cover.starts_at = max(boundaries.boundary(program=program, day=cover.first_day), cover.term.starts_at)
        cover.ends_at = min(
            boundaries.boundary(program=program, day=cover.last_day + timedelta(days=1)), cover.term.ends_at
        )
        cover.save(update_fields=["starts_at", "ends_at", "updated_at"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS term_no_overlap IMMEDIATE")
    return moved


# ---------------------------------------------------------------- planning


@dataclass
class PlanRow:
    start_date: date
    end_date: date
    term: Term | None
    old: AbstractBaseUser | None
    new: AbstractBaseUser | None
    reason: str

    @property
    def last_day(self) -> date:
        return self.end_date - timedelta(days=1)

    @property
    def is_new(self) -> bool:
        return self.term is None

    @property
    def changed(self) -> bool:
        return self.term is None or self.term.advocate_id != (self.new.pk if self.new else None)


@dataclass
class PlanPreview:
    program: Program
    rows: list[PlanRow]
    fingerprint: str
    ledger: list[tuple[AbstractBaseUser, int, int]]  # person, counted before, after

    @property
    def change_count(self) -> int:
        return sum(1 for r in self.rows if r.changed)


def _ledger_counts(program: Program, people: list[int], exclude_term_ids: set[int]) -> dict[int, int]:
    counts = dict(
        Term.objects.filter(program=program, advocate_id__in=people)
        .exclude(pk__in=exclude_term_ids)
        .values_list("advocate_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    baselines = dict(LedgerEntry.objects.filter(program=program, user_id__in=people).values_list("user_id", "baseline"))
    return {p: counts.get(p, 0) + baselines.get(p, 0) for p in people}


def preview_plan(
    *,
    program: Program,
    count: int,
    start_date: date | None = None,
    now: datetime | None = None,
    only_terms: list[int] | None = None,
) -> PlanPreview:
    """Return what planning the next `count` terms would do, without saving anything.

    The window is the program's planned (future) terms, soonest first, then
    new terms chained after the last one. Past and active terms are never in
    the window; terms assigned by hand keep their advocate. `only_terms`
    limits the replanning to those planned terms (used after a roster change).
    """
    if not 1 <= count <= MAX_PLAN:
        raise ValidationError(PLAN_COUNT, params={"max": MAX_PLAN}, code="count")
    now = now or timezone.now()
    terms = list(Term.objects.filter(program=program).select_related("advocate").order_by("starts_at"))
    planned = [t for t in terms if t.status == Term.Status.PLANNED and t.starts_at > now]
    if only_terms is not None:
        planned = [t for t in planned if t.pk in set(only_terms)]
        count = len(planned)
    window_terms = planned[:count]
    slots: list[planner.Slot] = [
        planner.Slot(
            t.start_date, t.end_date, t.advocate_id if (t.pinned and t.advocate_id) else None, current=t.advocate_id
        )
        for t in window_terms
    ]
    if only_terms is None:
        last_end = terms[-1].end_date if terms else None
        if last_end is None:
            local_today = boundaries.local_date(program=program, at=now)
            last_end = start_date or boundaries.first_of_next_month(local_today)
        while len(slots) < count:
            end = boundaries.term_end_date(program=program, start_date=last_end)
            slots.append(planner.Slot(last_end, end))
            last_end = end
    window_ids = {t.pk for t in window_terms}
    first_start = slots[0].start_date if slots else None
    people = _eligible_ids(program)
    before = [t for t in terms if t.pk not in window_ids and first_start and t.start_date < first_start]
    history = [(t.advocate_id, t.start_date) for t in before if t.advocate_id]
    last_served: dict[int, date] = {}
    for person, start in history:
        last_served[person] = max(start, last_served.get(person, start))
    previous = before[-1].advocate_id if before and first_start and before[-1].end_date >= first_start else None
    leave: dict[int, list[tuple[date, date]]] = {}
    if slots:
        for lv in leaves_overlapping(user_ids=people, first=slots[0].start_date, last=slots[-1].end_date):
            leave.setdefault(lv.user_id, []).append((lv.first_day, lv.last_day))
    settings_ = rotation_settings(program=program)
    ledger = _ledger_counts(program, people, window_ids)
    picks = planner.plan(
        planner.PlanInput(
            slots=slots,
            people=people,
            ledger=ledger,
            last_served=last_served,
            leave=leave,
            history=history,
            previous_advocate=previous,
            allow_back_to_back=settings_.allow_back_to_back,
            max_per_year=settings_.max_terms_per_year,
        )
    )
    users = User.objects.in_bulk(
        set(people) | {p.advocate for p in picks if p.advocate} | {t.advocate_id for t in window_terms if t.advocate_id}
    )
    rows = []
    for i, pick in enumerate(picks):
        term = window_terms[i] if i < len(window_terms) else None
        rows.append(
            PlanRow(
                start_date=pick.slot.start_date,
                end_date=pick.slot.end_date,
                term=term,
                old=term.advocate if term else None,
                new=users.get(pick.advocate) if pick.advocate else None,
                reason=pick.reason,
            )
        )
    after = dict(ledger)
    for pick in picks:
        if pick.advocate in after:
            after[pick.advocate] += 1
    ledger_rows = [(users[p], ledger[p], after[p]) for p in people]
    digest = hashlib.sha256(
        repr(
            [
                (
                    r.start_date,
                    r.end_date,
                    r.term.pk if r.term else None,
                    r.old.pk if r.old else None,
                    r.new.pk if r.new else None,
                )
                for r in rows
            ]
        ).encode()
    ).hexdigest()[:16]
    return PlanPreview(program=program, rows=rows, fingerprint=digest, ledger=ledger_rows)


@transaction.atomic
def save_plan(
    *,
    program: Program,
    actor: Actor,
    count: int,
    fingerprint: str,
    start_date: date | None = None,
    now: datetime | None = None,
    only_terms: list[int] | None = None,
) -> PlanPreview:
    """Save the plan the manager saw in the preview; tell everyone whose terms moved.

    If anything changed since the preview (its fingerprint differs), nothing
    is saved and PLAN_CHANGED is raised so the manager looks again.
    """
    require_manager(program=program, actor=actor)
    Program.objects.select_for_update().filter(pk=program.pk).first()
    preview = preview_plan(program=program, count=count, start_date=start_date, now=now, only_terms=only_terms)
    if preview.fingerprint != fingerprint:
        raise ValidationError(PLAN_CHANGED, code="plan_changed")
    moved: dict[int, tuple[AbstractBaseUser, list[str], list[str]]] = {}

    def mark(user, gained: bool, row: PlanRow):
        entry = moved.setdefault(user.pk, (user, [], []))
        entry[1 if gained else 2].append(f"{_fmt(row.start_date)} to {_fmt(row.last_day)}")

    new_terms = []
    for row in preview.rows:
        if row.term is None:
            # New terms chain after the last saved one (computed under the program lock),
            # so they cannot overlap; the exclusion constraint still guards the database.
            new_terms.append(
                Term(
                    program=program,
                    advocate=row.new,
                    start_date=row.start_date,
                    end_date=row.end_date,
                    starts_at=boundaries.boundary(program=program, day=row.start_date),
                    ends_at=boundaries.boundary(program=program, day=row.end_date),
                    time_zone=program.time_zone,
                    handoff_time=program.handoff_time,
                )
            )
            if row.new:
                mark(row.new, True, row)
        elif row.changed:
            term = row.term
            term.advocate = row.new
            term.save(update_fields=["advocate", "updated_at"])
            if row.new:
                mark(row.new, True, row)
            if row.old:
                mark(row.old, False, row)
    if new_terms:
        check_no_overlap(program=program, starts_at=new_terms[0].starts_at, ends_at=new_terms[-1].ends_at)
        Term.objects.bulk_create(new_terms)
    url = _url("schedule", slug=program.slug)
    for user, gained, lost in moved.values():
        lines = [f"You now serve {g}." for g in gained] + [f"You no longer serve {x}." for x in lost]
        notify(
            user=user,
            program=program,
            kind="terms_moved",
            title=f"Your {program.name} advocate terms changed",
            body="\n".join(lines),
            url=url,
            dedupe_key=f"plan:{program.pk}:{preview.fingerprint}:{user.pk}",
        )
    queue_program_reminders(program=program)
    return preview


# ---------------------------------------------------------------- handoffs


def due_program_ids(*, now: datetime) -> list[int]:
    """Return programs with a handoff due at `now` (a planned term started, or the active one ended)."""
    ids = Term.objects.filter(
        Q(status=Term.Status.PLANNED, starts_at__lte=now) | Q(status=Term.Status.ACTIVE, ends_at__lte=now)
    ).values_list("program_id", flat=True)
    return sorted(set(ids))


def run_due_handoffs(*, now: datetime | None = None) -> int:
    """Perform every due handoff of every program, each program in its own transaction; return how many."""
    now = now or timezone.now()
    return sum(handoffs_for_program(program_id=pid, now=now) for pid in due_program_ids(now=now))


def handoffs_for_program(*, program_id: int, now: datetime | None = None) -> int:
    """Perform a program's due handoffs in order, all or nothing; return how many were performed.

    The program row is locked with SKIP LOCKED: a second worker running at the
    same moment skips the program instead of doing the work twice, and the
    state is re-read under the lock, so a repeated run finds nothing to do.
    """
    now = now or timezone.now()
    with transaction.atomic():
        program = Program.objects.select_for_update(skip_locked=True).filter(pk=program_id).first()
        if program is None:
            return 0
        return _perform_due(program=program, now=now)


def _perform_due(*, program: Program, now: datetime) -> int:
    terms = list(
        Term.objects.select_for_update(of=("self",))
        .filter(program=program)
        .filter(Q(status=Term.Status.ACTIVE) | Q(status=Term.Status.PLANNED, starts_at__lte=now))
        .select_related("advocate")
        .order_by("starts_at")
    )
    active = next((t for t in terms if t.status == Term.Status.ACTIVE), None)
    due = [t for t in terms if t.status == Term.Status.PLANNED]
    performed = 0
    role_version = None
    for incoming in due:
        if role_version is None:
            role_version = role_version_for_program(program=program)
        _handoff(
            program=program,
            outgoing=active,
            incoming=incoming,
            at=incoming.starts_at,
            now=now,
            role_version=role_version,
        )
        active = incoming
        performed += 1
    if active is not None and active.ends_at <= now:
        active.status = Term.Status.COMPLETED
        active.save(update_fields=["status", "updated_at"])
    return performed


def _handoff(*, program, outgoing, incoming, at, now, role_version, early: bool = False) -> Handoff:
    if outgoing is not None:
        outgoing.status = Term.Status.COMPLETED
        outgoing.save(update_fields=["status", "updated_at"])
    incoming.status = Term.Status.ACTIVE
    incoming.role_version = role_version
    incoming.save(update_fields=["status", "role_version", "updated_at"])
    outgoing_advocate = outgoing.advocate if outgoing else None
    handoff = Handoff.objects.create(
        program=program,
        outgoing_term=outgoing,
        incoming_term=incoming,
        outgoing_advocate=outgoing_advocate,
        incoming_advocate=incoming.advocate,
        boundary_at=at,
        performed_at=now,
        early=early,
    )
    handoff_performed.send(
        sender=Term,
        program=program,
        outgoing_term=outgoing,
        incoming_term=incoming,
        outgoing_advocate=outgoing_advocate,
        incoming_advocate=incoming.advocate,
        at=at,
    )
    url = _url("handoff_detail", slug=program.slug, pk=handoff.pk)
    if incoming.advocate is not None:
        notify(
            user=incoming.advocate,
            program=program,
            kind="handoff_incoming",
            title=f"You are now {program.name}'s customer advocate",
            body=(
                f"Your term runs until {_fmt(incoming.last_day)}. Read the handoff note"
                f"{' from ' + display_name(outgoing_advocate) if outgoing_advocate else ''}, acknowledge it "
                "and write your declaration for the term."
            ),
            url=url,
            dedupe_key=f"handoff:{incoming.pk}:incoming",
        )
    if outgoing_advocate is not None and outgoing_advocate.pk != incoming.advocate_id:
        notify(
            user=outgoing_advocate,
            program=program,
            kind="handoff_outgoing",
            title=f"You passed the {program.name} baton",
            body=(
                f"{display_name(incoming.advocate) if incoming.advocate else 'Nobody'} is the advocate now; "
                "your open customer issues moved with the baton. Thank you for your term."
            ),
            url=url,
            dedupe_key=f"handoff:{incoming.pk}:outgoing",
        )
    return handoff


@transaction.atomic
def hand_over_now(*, term: Term, to: AbstractBaseUser, actor: Actor, now: datetime | None = None) -> Handoff:
    """End the current term now and start a term for `to` until the original end, handing over at once."""
    require_manager(program=term.program, actor=actor)
    now = now or timezone.now()
    program = Program.objects.select_for_update().get(pk=term.program_id)
    term = Term.objects.select_for_update(of=("self",)).select_related("advocate").get(pk=term.pk)
    if not (term.status == Term.Status.ACTIVE and term.starts_at <= now < term.ends_at):
        raise ValidationError(NOT_CURRENT, code="not_current")
    if to.pk == term.advocate_id:
        raise ValidationError(SAME_ADVOCATE, params={"name": display_name(to)}, code="same")
    _check_eligible(program, to)
    today = boundaries.local_date(program=program, at=now)
    original_end, original_ends_at = term.end_date, term.ends_at
    term.ends_at = now
    term.end_date = max(today, term.start_date + timedelta(days=1))
    term.save(update_fields=["ends_at", "end_date", "updated_at"])
    Cover.objects.filter(term=term, starts_at__gte=now).delete()
    Cover.objects.filter(term=term, ends_at__gt=now).update(ends_at=now)
    incoming = Term(
        program=program,
        advocate=to,
        start_date=min(today, original_end - timedelta(days=1)),
        end_date=original_end,
        starts_at=now,
        ends_at=original_ends_at,
        pinned=True,
    )
    incoming.full_clean()
    check_no_overlap(program=program, starts_at=incoming.starts_at, ends_at=incoming.ends_at)
    incoming.save()
    return _handoff(
        program=program,
        outgoing=term,
        incoming=incoming,
        at=now,
        now=now,
        role_version=role_version_for_program(program=program),
        early=True,
    )


@transaction.atomic
def write_handoff_note(*, term: Term, author: AbstractBaseUser, note: str) -> Term:
    """Save the outgoing advocate's note for the next advocate (editable until acknowledged)."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    if term.advocate_id != author.pk:
        raise PermissionDenied(NOT_THE_ADVOCATE)
    handoff = Handoff.objects.filter(outgoing_term=term).first()
    if handoff and handoff.acknowledged_at:
        raise ValidationError(ALREADY_ACKNOWLEDGED, code="acknowledged")
    term.handoff_note = note.strip()
    term.handoff_note_updated_at = timezone.now()
    term.save(update_fields=["handoff_note", "handoff_note_updated_at", "updated_at"])
    return term


@transaction.atomic
def acknowledge_handoff(*, handoff: Handoff, user: AbstractBaseUser, declaration: str = "") -> Handoff:
    """The incoming advocate confirms they read the note, optionally declaring their stand."""
    handoff = Handoff.objects.select_for_update(of=("self",)).select_related("incoming_term").get(pk=handoff.pk)
    if handoff.incoming_advocate_id != user.pk:
        raise PermissionDenied(NOT_INCOMING)
    if handoff.acknowledged_at:
        raise ValidationError(ALREADY_ACKNOWLEDGED, code="acknowledged")
    handoff.acknowledged_at = timezone.now()
    handoff.acknowledged_by = user
    handoff.save(update_fields=["acknowledged_at", "acknowledged_by"])
    if declaration.strip():
        save_declaration(term=handoff.incoming_term, author=user, declaration=declaration)
    return handoff


@transaction.atomic
def save_declaration(*, term: Term, author: AbstractBaseUser, declaration: str) -> Term:
    """Save the advocate's declaration for their term, shown on the program page."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    if term.advocate_id != author.pk:
        raise PermissionDenied(NOT_THE_ADVOCATE)
    term.declaration = declaration.strip()
    term.save(update_fields=["declaration", "updated_at"])
    return term


# ---------------------------------------------------------------- leave and covers


def propose_replacement(*, term: Term, away: AbstractBaseUser) -> AbstractBaseUser | None:
    """Return who the planner would pick for `term` instead of `away` (None if nobody can)."""
    people = [p for p in _eligible_ids(term.program) if p != away.pk]
    leave: dict[int, list[tuple[date, date]]] = {}
    for lv in leaves_overlapping(user_ids=people, first=term.start_date, last=term.last_day):
        leave.setdefault(lv.user_id, []).append((lv.first_day, lv.last_day))
    picks = planner.plan(
        planner.PlanInput(
            slots=[planner.Slot(term.start_date, term.end_date)],
            people=people,
            ledger=_ledger_counts(term.program, people, {term.pk}),
            leave=leave,
            allow_back_to_back=True,
        )
    )
    return User.objects.filter(pk=picks[0].advocate).first() if picks and picks[0].advocate else None


@transaction.atomic
def record_leave(*, user: AbstractBaseUser, first_day: date, last_day: date, note: str = "") -> Leave:
    """Record a person's absence; warn managers of every term of theirs it touches, with a proposal."""
    if last_day < first_day:
        raise ValidationError(LEAVE_ORDER, code="order")
    leave = Leave(user=user, first_day=first_day, last_day=last_day, note=note.strip())
    leave.full_clean()
    leave.save()
    warn_leave_conflicts(leave=leave)
    return leave


def warn_leave_conflicts(*, leave: Leave, within: list[int] | None = None) -> int:
    """Tell managers about each current or future term of the person that the leave overlaps.

    Each (leave, term, advocate, manager) is told once, however often this runs.
    """
    terms = Term.objects.filter(
        advocate=leave.user,
        status__in=[Term.Status.PLANNED, Term.Status.ACTIVE],
        start_date__lte=leave.last_day,
        end_date__gt=leave.first_day,
    ).select_related("program")
    if within is not None:
        terms = terms.filter(pk__in=within)
    sent = 0
    for term in terms:
        days = (min(leave.last_day, term.last_day) - max(leave.first_day, term.start_date)).days + 1
        term_days = (term.end_date - term.start_date).days
        replacement = propose_replacement(term=term, away=leave.user)
        if replacement is None:
            proposal = "Nobody else eligible is free then; consider leaving the term open or asking someone."
        elif days * 2 < term_days:
            proposal = (
                f"Proposed: {display_name(replacement)} covers {_fmt(leave.first_day)} to {_fmt(leave.last_day)}."
            )
        else:
            proposal = f"Proposed: {display_name(replacement)} takes the term instead."
        for manager in managers_of(term.program):
            sent += bool(
                notify(
                    user=manager,
                    program=term.program,
                    kind="leave_conflict",
                    title=f"{display_name(leave.user)} is on leave during their {term.program.name} term",
                    body=(
                        f"{display_name(leave.user)} is away {_fmt(leave.first_day)} to {_fmt(leave.last_day)}, "
                        f"inside the term {_fmt(term.start_date)} to {_fmt(term.last_day)}. {proposal}"
                    ),
                    url=_url("schedule", slug=term.program.slug),
                    dedupe_key=f"leave:{leave.pk}:term:{term.pk}:{term.advocate_id}:{manager.pk}",
                )
            )
    return sent


@transaction.atomic
def delete_leave(*, leave: Leave, user: AbstractBaseUser) -> None:
    if leave.user_id != user.pk:
        raise PermissionDenied("You can only remove your own leave.")
    leave.delete()


@transaction.atomic
def add_cover(
    *,
    term: Term,
    person: AbstractBaseUser,
    first_day: date,
    last_day: date,
    actor: Actor,
    reason: str = "",
) -> Cover:
    """Let `person` be the advocate from `first_day` to `last_day` inside `term`; tell both."""
    term = Term.objects.select_for_update(of=("self",)).select_related("program", "advocate").get(pk=term.pk)
    program = term.program
    if actor.pk is None or actor.pk != term.advocate_id:
        require_manager(program=program, actor=actor)
    if term.status == Term.Status.COMPLETED:
        raise ValidationError(COVER_PAST, code="past")
    if person.pk == term.advocate_id:
        raise ValidationError(COVER_SELF, code="self")
    if last_day < first_day:
        raise ValidationError(LEAVE_ORDER, code="order")
    if first_day < term.start_date or last_day > term.last_day:
        raise ValidationError(
            COVER_OUTSIDE, params={"first": _fmt(term.start_date), "last": _fmt(term.last_day)}, code="outside"
        )
    _check_eligible(program, person)
    _check_no_leave(person, first_day, last_day + timedelta(days=1))
    starts_at = max(boundaries.boundary(program=program, day=first_day), term.starts_at)
    ends_at = min(boundaries.boundary(program=program, day=last_day + timedelta(days=1)), term.ends_at)
    if Cover.objects.filter(term=term, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValidationError(COVER_OVERLAP, code="overlap")
    cover = Cover(
        term=term,
        person=person,
        first_day=first_day,
        last_day=last_day,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        created_by=acting_person(actor),
    )
    cover.full_clean()
    cover.save()
    url = _url("schedule", slug=program.slug)
    notify(
        user=person,
        program=program,
        kind="cover_assigned",
        title=f"You cover as {program.name}'s advocate {_fmt(first_day)} to {_fmt(last_day)}",
        body=f"You stand in for {display_name(term.advocate) if term.advocate else 'the advocate'}; "
        "new customer issues come to you during the cover.",
        url=url,
        dedupe_key=f"cover:{cover.pk}:person",
    )
    if term.advocate and actor.pk != term.advocate_id:
        notify(
            user=term.advocate,
            program=program,
            kind="cover_added",
            title=f"{display_name(person)} covers for you {_fmt(first_day)} to {_fmt(last_day)}",
            body="You get the baton back when the cover ends.",
            url=url,
            dedupe_key=f"cover:{cover.pk}:advocate",
        )
    return cover


@transaction.atomic
def remove_cover(*, cover: Cover, actor: Actor) -> None:
    term = cover.term
    if actor.pk is None or actor.pk != term.advocate_id:
        require_manager(program=term.program, actor=actor)
    cover.delete()


# ---------------------------------------------------------------- swaps


@transaction.atomic
def request_swap(
    *,
    term: Term,
    requester: AbstractBaseUser,
    target: AbstractBaseUser | None = None,
    target_term: Term | None = None,
    message: str = "",
) -> SwapRequest:
    """Offer one's own future term: to one person, to trade for their term, or to anyone eligible."""
    term = Term.objects.select_for_update(of=("self",)).select_related("program").get(pk=term.pk)
    if term.advocate_id != requester.pk or term.status != Term.Status.PLANNED:
        raise ValidationError(SWAP_OWN_TERM, code="own_term")
    if SwapRequest.objects.filter(
        term=term, status__in=[SwapRequest.Status.OPEN, SwapRequest.Status.ACCEPTED]
    ).exists():
        raise ValidationError(SWAP_PENDING, code="pending")
    if target is not None:
        if target.pk == requester.pk:
            raise ValidationError(SWAP_SELF, code="self")
        _check_eligible(term.program, target)
    if target_term is not None:
        if (
            target is None
            or target_term.advocate_id != target.pk
            or target_term.program_id != term.program_id
            or target_term.status != Term.Status.PLANNED
        ):
            raise ValidationError(
                SWAP_TARGET_TERM, params={"name": display_name(target) if target else "the other person"}
            )
    swap = SwapRequest(
        term=term, requested_by=requester, target=target, target_term=target_term, message=message.strip()
    )
    swap.full_clean()
    swap.save()
    recipients = (
        [target]
        if target
        else [
            m.user
            for m in Membership.objects.filter(program=term.program, is_eligible=True).select_related("user")
            if m.user_id != requester.pk
        ]
    )
    for person in recipients:
        notify(
            user=person,
            program=term.program,
            kind="swap_requested",
            title=f"{display_name(requester)} asks you to take their {term.program.name} term",
            body=f"The term {_fmt(term.start_date)} to {_fmt(term.last_day)}"
            + (f", in exchange for yours from {_fmt(target_term.start_date)}" if target_term else "")
            + (f". “{swap.message}”" if swap.message else "."),
            url=_url("swap_list", slug=term.program.slug),
            dedupe_key=f"swap:{swap.pk}:asked:{person.pk}",
        )
    return swap


@transaction.atomic
def accept_swap(*, swap: SwapRequest, user: AbstractBaseUser) -> SwapRequest:
    """Accept a swap; it takes effect now if the program auto-approves, else a manager decides."""
    swap = (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related("term__program", "target_term")
        .get(pk=swap.pk)
    )
    program = swap.term.program
    if swap.status != SwapRequest.Status.OPEN:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    if swap.target_id and swap.target_id != user.pk:
        raise PermissionDenied(SWAP_NOT_FOR_YOU)
    if user.pk == swap.requested_by_id:
        raise ValidationError(SWAP_SELF, code="self")
    _check_eligible(program, user)
    _check_no_leave(user, swap.term.start_date, swap.term.end_date)
    if swap.target_term:
        _check_no_leave(swap.requested_by, swap.target_term.start_date, swap.target_term.end_date)
    swap.accepted_by = user
    swap.accepted_at = timezone.now()
    if rotation_settings(program=program).auto_approve_swaps:
        return _apply_swap(swap=swap, decider=None)
    swap.status = SwapRequest.Status.ACCEPTED
    swap.save(update_fields=["accepted_by", "accepted_at", "status"])
    for manager in managers_of(program):
        notify(
            user=manager,
            program=program,
            kind="swap_to_approve",
            title=f"A {program.name} swap waits for your approval",
            body=f"{display_name(user)} takes {display_name(swap.requested_by)}'s term from "
            f"{_fmt(swap.term.start_date)}.",
            url=_url("swap_list", slug=program.slug),
            dedupe_key=f"swap:{swap.pk}:approve:{manager.pk}",
        )
    return swap


@transaction.atomic
def approve_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    swap = (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related("term__program", "target_term")
        .get(pk=swap.pk)
    )
    require_manager(program=swap.term.program, actor=actor)
    if swap.status != SwapRequest.Status.ACCEPTED:
        raise ValidationError(SWAP_NOT_ACCEPTED, code="not_accepted")
    return _apply_swap(swap=swap, decider=actor)


def _apply_swap(*, swap: SwapRequest, decider: Actor) -> SwapRequest:
    ids = [swap.term_id] + ([swap.target_term_id] if swap.target_term_id else [])
    terms = {t.pk: t for t in Term.objects.select_for_update(of=("self",)).select_related("program").filter(pk__in=ids)}
    term = terms[swap.term_id]
    other = terms.get(swap.target_term_id) if swap.target_term_id else None
    if term.status != Term.Status.PLANNED or term.advocate_id != swap.requested_by_id:
        raise ValidationError(SWAP_STALE, code="stale")
    if other is not None and (other.status != Term.Status.PLANNED or other.advocate_id != swap.accepted_by_id):
        raise ValidationError(SWAP_STALE, code="stale")
    term.advocate_id = swap.accepted_by_id
    term.pinned = True
    term.save(update_fields=["advocate", "pinned", "updated_at"])
    if other is not None:
        other.advocate_id = swap.requested_by_id
        other.pinned = True
        other.save(update_fields=["advocate", "pinned", "updated_at"])
    swap.status = SwapRequest.Status.APPROVED
    swap.decided_by = decider
    swap.decided_at = timezone.now()
    swap.save()
    program = term.program
    people = {swap.requested_by_id: swap.requested_by, swap.accepted_by_id: swap.accepted_by}
    for manager in managers_of(program):
        people.setdefault(manager.pk, manager)
    summary = f"{display_name(swap.accepted_by)} now serves {_fmt(term.start_date)} to {_fmt(term.last_day)}" + (
        f"; {display_name(swap.requested_by)} serves {_fmt(other.start_date)} to {_fmt(other.last_day)}"
        if other
        else ""
    )
    for person in people.values():
        notify(
            user=person,
            program=program,
            kind="swap_done",
            title=f"{program.name} swap done",
            body=summary + ".",
            url=_url("schedule", slug=program.slug),
            dedupe_key=f"swap:{swap.pk}:done:{person.pk}",
        )
    return swap


@transaction.atomic
def decline_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    """A manager (or the addressee of an open request) turns a swap down."""
    swap = SwapRequest.objects.select_for_update(of=("self",)).select_related("term__program").get(pk=swap.pk)
    if not swap.is_pending:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    addressee = swap.status == SwapRequest.Status.OPEN and swap.target_id == actor.pk
    if not addressee:
        require_manager(program=swap.term.program, actor=actor)
    swap.status = SwapRequest.Status.DECLINED
    swap.decided_by = actor
    swap.decided_at = timezone.now()
    swap.save(update_fields=["status", "decided_by", "decided_at"])
    notify(
        user=swap.requested_by,
        program=swap.term.program,
        kind="swap_declined",
        title=f"Your {swap.term.program.name} swap request was declined",
        body=f"{display_name(actor)} declined it; your term from {_fmt(swap.term.start_date)} stays yours.",
        url=_url("swap_list", slug=swap.term.program.slug),
        dedupe_key=f"swap:{swap.pk}:declined",
    )
    return swap


@transaction.atomic
def cancel_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    swap = SwapRequest.objects.select_for_update().get(pk=swap.pk)
    if swap.requested_by_id != actor.pk:
        raise PermissionDenied("Only the person who asked can withdraw the request.")
    if not swap.is_pending:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    swap.status = SwapRequest.Status.CANCELLED
    swap.decided_at = timezone.now()
    swap.save(update_fields=["status", "decided_at"])
    return swap


# ---------------------------------------------------------------- roster changes


def on_membership_changed(*, membership: Membership, change: str, actor: Actor) -> RosterReview | None:
    """React to a roster change without touching saved terms.

    A newcomer gets a ledger baseline level with the others (so they are not
    owed every past term). Someone who leaves or stops being eligible while
    holding future terms gets a roster review the managers resolve.
    """
    program = membership.program
    open_reviews = RosterReview.objects.filter(program=program, user=membership.user, resolved_at__isnull=True)
    if change == "added":
        people = [p for p in _eligible_ids(program) if p != membership.user_id]
        counts = _ledger_counts(program, people, set())
        LedgerEntry.objects.get_or_create(
            program=program, user=membership.user, defaults={"baseline": min(counts.values(), default=0)}
        )
    if change in ("added", "changed") and membership.is_eligible:
        # Someone (again) able to serve: an earlier review about them is moot; offer to replan
        # the planned terms to include them, without changing anything yet.
        open_reviews.exclude(change=RosterReview.Change.JOINED).update(resolved_at=timezone.now(), resolution="moot")
        kind = RosterReview.Change.JOINED
        affected = list(Term.objects.filter(program=program, status=Term.Status.PLANNED, pinned=False))
        if change == "changed" and membership.user_id in set(
            Term.objects.filter(program=program, status=Term.Status.PLANNED).values_list("advocate_id", flat=True)
        ):
            return None  # already serving in the plan: nothing to propose
    elif change == "removed":
        kind = RosterReview.Change.REMOVED
        affected = list(Term.objects.filter(program=program, advocate=membership.user, status=Term.Status.PLANNED))
    elif change == "changed" and not membership.is_eligible:
        kind = RosterReview.Change.INELIGIBLE
        affected = list(Term.objects.filter(program=program, advocate=membership.user, status=Term.Status.PLANNED))
    else:
        return None
    if not affected:
        return None
    if open_reviews.exists():
        return None
    review = RosterReview.objects.create(program=program, user=membership.user, change=kind)
    review.terms.set(affected)
    for manager in managers_of(program):
        if kind == RosterReview.Change.REMOVED and manager.pk == membership.user_id:
            continue
        notify(
            user=manager,
            program=program,
            kind="roster_review",
            title=f"{display_name(membership.user)} {review.get_change_display()}: {len(affected)} planned "
            f"term{'s' if len(affected) != 1 else ''} to review",
            body=(
                "The planned terms are unchanged; you can replan them to include them."
                if kind == RosterReview.Change.JOINED
                else "Their terms are unchanged until you decide: keep them, or open them for replanning."
            ),
            url=_url("schedule", slug=program.slug),
            dedupe_key=f"roster:{review.pk}:{manager.pk}",
        )
    return review


@transaction.atomic
def resolve_roster_review(*, review: RosterReview, actor: Actor, action: str) -> list[int]:
    """Keep the affected terms as they are, or unassign them; return the unassigned term ids."""
    review = RosterReview.objects.select_for_update().get(pk=review.pk)
    require_manager(program=review.program, actor=actor)
    if review.resolved_at:
        raise ValidationError(REVIEW_DONE, code="done")
    unassigned: list[int] = []
    if action == "unassign" and review.change == RosterReview.Change.JOINED:
        raise ValueError("a newcomer's review is kept or replanned, never unassigned")
    if action == "unassign":
        for term in review.terms.select_for_update().filter(status=Term.Status.PLANNED, advocate=review.user):
            term.advocate = None
            term.pinned = False
            term.save(update_fields=["advocate", "pinned", "updated_at"])
            unassigned.append(term.pk)
    elif action != "keep":
        raise ValueError(f"unknown action {action}")
    review.resolved_at = timezone.now()
    review.resolved_by = acting_person(actor)
    review.resolution = action
    review.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return unassigned


# ---------------------------------------------------------------- calendar feeds


@transaction.atomic
def calendar_token(*, user: AbstractBaseUser, program: Program | None = None) -> CalendarToken:
    """Return the live feed token for the user's personal (or a program's) feed, creating one."""
    found = CalendarToken.objects.filter(user=user, program=program, revoked_at__isnull=True).first()
    if found:
        return found
    return CalendarToken.objects.create(user=user, program=program, token=secrets.token_urlsafe(32))


@transaction.atomic
def reset_calendar_token(*, user: AbstractBaseUser, program: Program | None = None) -> CalendarToken:
    """Revoke the current feed address (it stops working) and issue a new one."""
    CalendarToken.objects.filter(user=user, program=program, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return CalendarToken.objects.create(user=user, program=program, token=secrets.token_urlsafe(32))


def queue_program_reminders(*, program: Program) -> None:
    """Queue a reminder run for the program (through the outbox, so a dead broker loses nothing)."""
    enqueue("rotations.tasks.send_program_reminders", args=[program.pk])
