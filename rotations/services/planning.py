"""Planning: preview the next terms the planner proposes, then save exactly what the manager saw."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import Actor, require_manager
from core.edge import validate_sensible_date

from .. import boundaries, notices, planner
from ..models import Term
from ..notices import fmt, span
from ..selectors import eligible_member_ids, leaves_overlapping, ledger_counts, rotation_settings, terms_elsewhere
from .common import check_no_overlap, queue_program_reminders

User = get_user_model()

PLAN_CHANGED = "The schedule changed since you looked at the preview. Here is a fresh preview; check it and save again."
PLAN_COUNT = "Plan between 1 and %(max)s terms."
PLAN_IN_PAST = (
    "A plan cannot start in the past (%(day)s): nobody can serve a term that is already over. "
    "Choose a first day from today on."
)
NO_GAPS = "There are no gaps to fill: every day from today to the end of the last term has an advocate."
MAX_PLAN = 120


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
    elsewhere: dict[int, int] = field(default_factory=dict)  # person id: recent and planned terms in other programs

    @property
    def change_count(self) -> int:
        return sum(1 for r in self.rows if r.changed)


def preview_plan(
    *,
    program: Program,
    count: int,
    start_date: date | None = None,
    now: datetime | None = None,
    only_terms: list[int] | None = None,
    fill_gaps: bool = False,
) -> PlanPreview:
    """Return what planning the next `count` terms would do, without saving anything.

    The window is the program's planned (future) terms, soonest first, then
    new terms chained after the last one (or from `start_date`, default the
    1st of next month, when no term is ahead). Past and active terms are never in
    the window; terms assigned by hand keep their advocate. `only_terms`
    limits the replanning to those planned terms (used after a roster change).
    `fill_gaps` instead proposes a term for every uncovered span between today
    and the end of the last term (and an advocate for every open planned term),
    leaving the other terms as they are; `count` is then ignored.
    A plan never starts in the past.
    """
    validate_sensible_date(start_date)
    if not fill_gaps and not 1 <= count <= MAX_PLAN:
        raise ValidationError(PLAN_COUNT, params={"max": MAX_PLAN}, code="count")
    now = now or timezone.now()
    local_today = boundaries.local_date(program=program, at=now)
    if start_date is not None and start_date < local_today:
        raise ValidationError(PLAN_IN_PAST, params={"day": fmt(start_date)}, code="past")
    terms = list(Term.objects.filter(program=program).select_related("advocate").order_by("starts_at"))
    if fill_gaps:
        slot_terms, slots = _gap_slots(program=program, terms=terms, today=local_today, now=now)
        if not slots:
            raise ValidationError(NO_GAPS, code="no_gaps")
    else:
        slot_terms, slots = _window_slots(
            program=program,
            terms=terms,
            count=count,
            start_date=start_date,
            today=local_today,
            now=now,
            only_terms=only_terms,
        )
    window_terms = [t for t in slot_terms if t is not None]
    window_ids = {t.pk for t in window_terms}
    first_start = slots[0].start_date if slots else None
    people = eligible_member_ids(program)
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
    ledger = ledger_counts(program, people, window_ids)
    elsewhere = terms_elsewhere(program=program, people=people, now=now)
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
            elsewhere=elsewhere,
        )
    )
    users = User.objects.in_bulk(
        set(people) | {p.advocate for p in picks if p.advocate} | {t.advocate_id for t in window_terms if t.advocate_id}
    )
    rows = []
    for term, pick in zip(slot_terms, picks, strict=True):
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
    return PlanPreview(
        program=program,
        rows=rows,
        fingerprint=digest,
        ledger=ledger_rows,
        elsewhere={p: n for p, n in elsewhere.items() if n},
    )


def _window_slots(*, program, terms, count, start_date, today, now, only_terms):
    """Return (the saved term of each slot or None, the slots): the next planned terms, then new ones chained."""
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
    slot_terms: list[Term | None] = list(window_terms)
    if only_terms is None:
        last_end = terms[-1].end_date if terms else None
        if last_end is None or last_end < today:
            # Nothing ahead to chain after: start on the chosen day, never in the past.
            last_end = start_date or boundaries.first_of_next_month(today)
        while len(slots) < count:
            end = boundaries.term_end_date(program=program, start_date=last_end)
            slots.append(planner.Slot(last_end, end))
            slot_terms.append(None)
            last_end = end
    return slot_terms, slots


def _gap_slots(*, program, terms, today, now):
    """Return (the saved term of each slot or None, the slots) for every uncovered span from today on.

    A span nobody's term covers between today and the end of the last term gets
    new terms of the program's length (the last one shortened to fit); a planned
    term without an advocate gets one.
    """
    slot_terms: list[Term | None] = []
    slots: list[planner.Slot] = []
    cursor = today
    previous: int | None = None
    for term in terms:
        if term.end_date <= cursor:
            previous = term.advocate_id
            continue
        start = cursor
        while start < term.start_date:
            end = min(boundaries.term_end_date(program=program, start_date=start), term.start_date)
            slots.append(planner.Slot(start, end, after=previous if start == cursor else None))
            slot_terms.append(None)
            start = end
        if term.advocate_id is None and term.status == Term.Status.PLANNED and term.starts_at > now:
            slots.append(
                planner.Slot(term.start_date, term.end_date, after=previous if term.start_date <= cursor else None)
            )
            slot_terms.append(term)
        cursor = max(cursor, term.end_date)
        previous = term.advocate_id
    return slot_terms, slots


def terms_to_cover(*, program: Program, months: int = 12, now: datetime | None = None) -> int:
    """Return how many terms "plan the next `months` months" plans: the planned ones and new ones up to then."""
    now = now or timezone.now()
    today = boundaries.local_date(program=program, at=now)
    horizon = boundaries.add_months(today, months)
    terms = list(
        Term.objects.filter(program=program).order_by("starts_at").only("start_date", "end_date", "status", "starts_at")
    )
    count = sum(1 for t in terms if t.status == Term.Status.PLANNED and t.starts_at > now and t.start_date < horizon)
    last_end = terms[-1].end_date if terms else None
    if last_end is None or last_end < today:
        last_end = boundaries.first_of_next_month(today)
    while last_end < horizon and count < MAX_PLAN:
        last_end = boundaries.term_end_date(program=program, start_date=last_end)
        count += 1
    return max(count, 1)


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
    fill_gaps: bool = False,
) -> PlanPreview:
    """Save the plan the manager saw in the preview; tell everyone whose terms moved.

    If anything changed since the preview (its fingerprint differs), nothing
    is saved and PLAN_CHANGED is raised so the manager looks again.
    """
    require_manager(program=program, actor=actor)
    Program.objects.select_for_update().filter(pk=program.pk).first()
    preview = preview_plan(
        program=program, count=count, start_date=start_date, now=now, only_terms=only_terms, fill_gaps=fill_gaps
    )
    if preview.fingerprint != fingerprint:
        raise ValidationError(PLAN_CHANGED, code="plan_changed")
    moved: dict[int, tuple[AbstractBaseUser, list[str], list[str]]] = {}

    def mark(user, gained: bool, row: PlanRow):
        entry = moved.setdefault(user.pk, (user, [], []))
        entry[1 if gained else 2].append(span(row.start_date, row.last_day))

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
        if fill_gaps:
            # Gap terms sit between saved ones: each is checked on its own.
            for term in new_terms:
                check_no_overlap(program=program, starts_at=term.starts_at, ends_at=term.ends_at)
        else:
            check_no_overlap(program=program, starts_at=new_terms[0].starts_at, ends_at=new_terms[-1].ends_at)
        Term.objects.bulk_create(new_terms)
    for user, gained, lost in moved.values():
        notices.send(
            notices.terms_moved(program, gained=gained, lost=lost),
            user=user,
            program=program,
            key=f"plan:{program.pk}:{preview.fingerprint}:{user.pk}",
        )
    queue_program_reminders(program=program)
    return preview
