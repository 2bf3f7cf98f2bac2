"""The fair planner: a pure, deterministic function from the present state to a plan.

It knows nothing of the database: the service gathers the inputs (slots to
fill, eligible people in a stable order, the ledger, leave, history) and saves
the result. The same input always gives the same plan.

For each slot in order it picks, among eligible people not on leave during
the slot, the one with the fewest terms in the ledger; ties go to whoever
has fewer terms in other programs, then to whoever served longest ago (never served first), then to roster order; a saved
advocate keeps the slot whenever they are among the fewest, so replanning
moves as few people as fairness allows. Someone
skipped for leave keeps their low count and so their place in line. It avoids
the previous term's advocate (unless back-to-back terms are allowed) and
people at the per-12-months limit, and breaks those two rules only when
nobody else could serve. A slot nobody can serve stays unassigned.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Slot:
    start_date: date
    end_date: date  # exclusive
    fixed_advocate: int | None = None  # kept as it is (a pinned term); still counts in the ledger
    current: int | None = None  # the saved advocate, kept when the choice is otherwise a tie
    after: int | None = None  # advocate of the saved term right before this slot (when filling gaps)


@dataclass(frozen=True)
class PlanInput:
    slots: Sequence[Slot]
    people: Sequence[int]  # eligible user ids in roster order
    ledger: dict[int, int] = field(default_factory=dict)  # terms counted so far per person
    last_served: dict[int, date] = field(default_factory=dict)  # start date of each person's latest term
    leave: dict[int, Sequence[tuple[date, date]]] = field(default_factory=dict)  # inclusive ranges
    history: Sequence[tuple[int, date]] = ()  # (person, start date) of terms before the slots
    previous_advocate: int | None = None  # advocate of the term right before the first slot
    allow_back_to_back: bool = False
    max_per_year: int = 0  # 0: no limit
    elsewhere: dict[int, int] = field(default_factory=dict)  # terms each person has in other programs


@dataclass(frozen=True)
class Pick:
    slot: Slot
    advocate: int | None
    reason: str


def on_leave(ranges: Iterable[tuple[date, date]], start: date, end_exclusive: date) -> bool:
    """Return whether any inclusive leave range touches [start, end_exclusive)."""
    return any(first < end_exclusive and last >= start for first, last in ranges)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def plan(data: PlanInput) -> list[Pick]:
    """Return one pick per slot, in slot order."""
    ledger = {p: data.ledger.get(p, 0) for p in data.people}
    last = dict(data.last_served)
    order = {p: i for i, p in enumerate(data.people)}
    starts: dict[int, list[date]] = {}
    for person, start in data.history:
        starts.setdefault(person, []).append(start)
    previous = data.previous_advocate
    # Saved advocates of the slots still ahead: a replacement is sought among people
    # not holding one of them first, so one change does not ripple through the plan.
    ahead: dict[int, int] = {}
    for slot in data.slots:
        if slot.current is not None:
            ahead[slot.current] = ahead.get(slot.current, 0) + 1
    picks: list[Pick] = []
    for slot in data.slots:
        if slot.current is not None:
            ahead[slot.current] -= 1
        if slot.after is not None:
            previous = slot.after
        if slot.fixed_advocate is not None:
            chosen, reason = slot.fixed_advocate, "kept (assigned by hand)"
        else:
            chosen, reason = _choose(data, slot, ledger, last, order, starts, previous, ahead)
        if chosen is not None:
            ledger[chosen] = ledger.get(chosen, 0) + 1
            last[chosen] = slot.start_date
            starts.setdefault(chosen, []).append(slot.start_date)
        picks.append(Pick(slot=slot, advocate=chosen, reason=reason))
        previous = chosen
    return picks


def _choose(data, slot, ledger, last, order, starts, previous, ahead) -> tuple[int | None, str]:
    available = [p for p in data.people if not on_leave(data.leave.get(p, ()), slot.start_date, slot.end_date)]
    if not available:
        return None, "nobody eligible is available"
    reason = "next in line"
    if slot.current is not None and slot.current not in available:
        reason = "next in line; the saved advocate " + (
            "is on leave" if slot.current in data.people else "can no longer serve"
        )
    if not data.allow_back_to_back and previous in available:
        others = [p for p in available if p != previous]
        if others:
            available = others
        else:
            reason = "back-to-back: nobody else is available"
    if data.max_per_year:
        since = _year_before(slot.start_date)
        under = [p for p in available if sum(1 for s in starts.get(p, ()) if s > since) < data.max_per_year]
        if under:
            available = under
        else:
            reason = "over the yearly limit: nobody else is available"

    lowest = min(ledger.get(p, 0) for p in available)
    if slot.current in available and ledger.get(slot.current, 0) == lowest:
        return slot.current, "kept: still fair"

    def key(p: int):
        served = last.get(p)
        return (
            ledger.get(p, 0),
            data.elsewhere.get(p, 0),
            ahead.get(p, 0),
            served is not None,
            served or date.min,
            order[p],
        )

    return min(available, key=key), reason
