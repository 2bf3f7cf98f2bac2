"""Planning: preview the next terms the planner proposes, then save exactly what the manager saw."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import Actor, require_manager

from .. import boundaries, notices, planner
from ..models import Term
from ..notices import span
from ..selectors import eligible_member_ids, leaves_overlapping, ledger_counts, rotation_settings
from .common import check_no_overlap, queue_program_reminders

User = get_user_model()

PLAN_CHANGED = "The schedule changed since you looked at the preview. Here is a fresh preview; check it and save again."
PLAN_COUNT = "Plan between 1 and %(max)s terms."
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
