"""Reads for rotations: who is a program's advocate now and next, the schedule, and what each page shows.

Every query the rotations pages, services and reminders need is written here,
once, with its select_related/prefetch_related.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from advocacy.models import Membership, Program

from . import boundaries
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

User = get_user_model()

UPCOMING_ON_SCHEDULE = 24
PAST_ON_SCHEDULE = 12


def current_term(*, program: Program, at: datetime | None = None) -> Term | None:
    """Return the term whose time range contains `at` (default now), if any."""
    at = at or timezone.now()
    return (
        Term.objects.select_related("advocate")
        .filter(program=program, starts_at__lte=at, ends_at__gt=at)
        .order_by("-starts_at")
        .first()
    )


def current_cover(*, term: Term, at: datetime | None = None) -> Cover | None:
    """Return the cover in force inside `term` at `at` (default now), if any."""
    at = at or timezone.now()
    return term.covers.select_related("person").filter(starts_at__lte=at, ends_at__gt=at).first()


def current_advocate(*, program: Program, at: datetime | None = None) -> AbstractBaseUser | None:
    """Return the person who is the program's advocate at `at` (default now), or None.

    This is the one answer to "who owns new customer issues right now": during
    a cover it is the cover person; otherwise the term's advocate.
    """
    at = at or timezone.now()
    term = current_term(program=program, at=at)
    if term is None:
        return None
    cover = current_cover(term=term, at=at)
    return cover.person if cover else term.advocate


@dataclass
class Baton:
    """Who holds a program's baton now (a cover person or the term's advocate) and who takes it next."""

    program_id: int
    term: Term | None = None
    cover: Cover | None = None
    next_term: Term | None = None

    @property
    def advocate(self) -> AbstractBaseUser | None:
        """The same answer as current_advocate: the cover person during a cover, else the term's advocate."""
        if self.cover is not None:
            return self.cover.person
        return self.term.advocate if self.term else None


def batons(*, program_ids: list[int], at: datetime | None = None) -> dict[int, Baton]:
    """Return {program id: Baton} for many programs in three queries, whatever their number.

    The current and the next term of each program are found by subqueries on
    the programs (one query), then the terms with their advocates (one), then
    the covers in force (one).
    """
    at = at or timezone.now()
    found = {pid: Baton(program_id=pid) for pid in program_ids}
    if not program_ids:
        return found
    current = Term.objects.filter(program=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at).order_by("-starts_at")
    upcoming = Term.objects.filter(program=OuterRef("pk"), starts_at__gt=at).order_by("starts_at")
    rows = (
        Program.objects.filter(pk__in=program_ids)
        .annotate(current_id=Subquery(current.values("pk")[:1]), next_id=Subquery(upcoming.values("pk")[:1]))
        .values_list("pk", "current_id", "next_id")
    )
    wanted = {}
    for pid, current_id, next_id in rows:
        wanted[current_id] = (pid, "term")
        wanted[next_id] = (pid, "next_term")
    wanted.pop(None, None)
    terms = Term.objects.select_related("advocate").in_bulk(list(wanted))
    for term_id, (pid, slot) in wanted.items():
        setattr(found[pid], slot, terms.get(term_id))
    program_of_term = {b.term.pk: pid for pid, b in found.items() if b.term is not None}
    if program_of_term:
        covers = Cover.objects.filter(term_id__in=list(program_of_term), starts_at__lte=at, ends_at__gt=at)
        for cover in covers.select_related("person").order_by("starts_at"):
            found[program_of_term[cover.term_id]].cover = cover
    return found


def due_program_ids(*, now: datetime) -> list[int]:
    """Return programs with a handoff due at `now` (a planned term started, or the active one ended)."""
    ids = Term.objects.filter(
        Q(status=Term.Status.PLANNED, starts_at__lte=now) | Q(status=Term.Status.ACTIVE, ends_at__lte=now)
    ).values_list("program_id", flat=True)
    return sorted(set(ids))


def upcoming_terms(*, program: Program, at: datetime | None = None) -> QuerySet[Term]:
    """Return the terms that start after `at`, soonest first."""
    at = at or timezone.now()
    return Term.objects.select_related("advocate").filter(program=program, starts_at__gt=at).order_by("starts_at")


def rotation_settings(*, program: Program) -> RotationSettings:
    """Return the program's planning rules (defaults when none were saved)."""
    found = RotationSettings.objects.filter(program=program).first()
    return found or RotationSettings(program=program)


def leaves_overlapping(*, user_ids, first: date, last: date) -> QuerySet[Leave]:
    """Return leave of these people that touches the inclusive range first..last."""
    return Leave.objects.filter(user_id__in=user_ids, first_day__lte=last, last_day__gte=first)


@dataclass
class ScheduleRow:
    """One line of the schedule: a term, or a gap between terms."""

    kind: str  # "term" or "gap"
    start_date: date
    end_date: date  # exclusive
    term: Term | None = None
    is_current: bool = False
    leave_conflicts: list | None = None
    pending_swaps: list | None = None
    proposals: list | None = None
    fill_from: date | None = None  # for a gap: the first day a term for it may start (not in the past)

    @property
    def last_day(self) -> date:
        return self.end_date - timedelta(days=1)

    @property
    def is_gap(self) -> bool:
        return self.kind == "gap" or (self.term is not None and self.term.advocate_id is None)


@dataclass
class Schedule:
    past: list[ScheduleRow]
    current: ScheduleRow | None
    upcoming: list[ScheduleRow]
    more_past: int

    @property
    def gap_count(self) -> int:
        rows = ([self.current] if self.current else []) + self.upcoming
        return sum(1 for r in rows if r.is_gap)

    @property
    def conflict_count(self) -> int:
        rows = ([self.current] if self.current else []) + self.upcoming
        return sum(1 for r in rows if r.leave_conflicts)


def schedule_for(*, program: Program, at: datetime | None = None, past_limit: int = PAST_ON_SCHEDULE) -> Schedule:
    """Return the program's schedule: recent past terms, the current one and every future one.

    Gaps between consecutive terms, and terms without an advocate, are coverage
    gaps. Each current or future term carries its covers, open swap requests
    and the leave of its advocate that overlaps it. Queries: a fixed handful.
    """
    at = at or timezone.now()
    covers = Prefetch("covers", queryset=Cover.objects.select_related("person"))
    base = Term.objects.filter(program=program).select_related("advocate").prefetch_related(covers)
    past_qs = base.filter(ends_at__lte=at).order_by("-starts_at")
    more_past = max(past_qs.count() - past_limit, 0)
    past_terms = list(reversed(list(past_qs[:past_limit])))
    live_terms = list(base.filter(ends_at__gt=at).order_by("starts_at"))
    advocate_ids = {t.advocate_id for t in live_terms if t.advocate_id}
    leaves: dict[int, list[Leave]] = {}
    if live_terms:
        for leave in leaves_overlapping(
            user_ids=advocate_ids, first=live_terms[0].start_date, last=live_terms[-1].end_date
        ):
            leaves.setdefault(leave.user_id, []).append(leave)
    swaps: dict[int, list[SwapRequest]] = {}
    for swap in SwapRequest.objects.filter(
        term__in=live_terms, status__in=[SwapRequest.Status.OPEN, SwapRequest.Status.ACCEPTED]
    ).select_related("requested_by", "target", "accepted_by"):
        swaps.setdefault(swap.term_id, []).append(swap)

    def row(term: Term) -> ScheduleRow:
        conflicts = [lv for lv in leaves.get(term.advocate_id, []) if term.overlaps_dates(lv.first_day, lv.last_day)]
        return ScheduleRow(
            kind="term",
            start_date=term.start_date,
            end_date=term.end_date,
            term=term,
            is_current=term.starts_at <= at < term.ends_at,
            leave_conflicts=conflicts,
            pending_swaps=swaps.get(term.pk, []),
        )

    current = None
    upcoming: list[ScheduleRow] = []
    previous_end = past_terms[-1].end_date if past_terms else None
    for term in live_terms:
        if previous_end is not None and term.start_date > previous_end:
            gap = ScheduleRow(kind="gap", start_date=previous_end, end_date=term.start_date)
            if current is None and not upcoming and term.starts_at > at:
                # The gap is where we are now.
                gap.is_current = True
                current = gap
            else:
                upcoming.append(gap)
        r = row(term)
        if r.is_current:
            current = r
        else:
            upcoming.append(r)
        previous_end = term.end_date
    if current is None and upcoming and upcoming[0].kind == "term":
        today = at.astimezone(program.zone).date()
        if today < upcoming[0].start_date:
            # Nobody serves right now: show that as the current coverage gap.
            current = ScheduleRow(kind="gap", start_date=today, end_date=upcoming[0].start_date, is_current=True)
    today = at.astimezone(program.zone).date()
    for gap in [current, *upcoming]:
        if gap is not None and gap.kind == "gap":
            gap.fill_from = max(gap.start_date, today)
    return Schedule(past=[row(t) for t in past_terms], current=current, upcoming=upcoming, more_past=more_past)


def terms_for_user(*, user: AbstractBaseUser, at: datetime | None = None) -> QuerySet[Term]:
    """Return a person's current and future terms across programs, soonest first."""
    at = at or timezone.now()
    return (
        Term.objects.filter(advocate=user, ends_at__gt=at).select_related("program", "advocate").order_by("starts_at")
    )


def covers_for_user(*, user: AbstractBaseUser, at: datetime | None = None) -> QuerySet[Cover]:
    at = at or timezone.now()
    return Cover.objects.filter(person=user, ends_at__gt=at).select_related("term__program", "term__advocate")


def pending_handoffs_for(*, user: AbstractBaseUser) -> QuerySet[Handoff]:
    """Return handoffs to `user` not yet acknowledged, newest first."""
    return Handoff.objects.filter(incoming_advocate=user, acknowledged_at__isnull=True).select_related(
        "program", "outgoing_term", "incoming_term", "outgoing_advocate"
    )


def current_incoming_handoffs(*, user: AbstractBaseUser, at: datetime | None = None) -> list[Handoff]:
    """Return the handoffs that gave `user` the terms they serve now (at most one per program), newest first."""
    at = at or timezone.now()
    return list(
        Handoff.objects.filter(
            incoming_advocate=user,
            incoming_term__advocate=user,
            incoming_term__status=Term.Status.ACTIVE,
            incoming_term__starts_at__lte=at,
            incoming_term__ends_at__gt=at,
        )
        .select_related("program", "outgoing_term", "incoming_term", "outgoing_advocate")
        .order_by("-boundary_at")
    )


def unacknowledged_handoff_for(user: AbstractBaseUser, *, at: datetime | None = None) -> Handoff | None:
    """Return the handoff into the user's current term they have not acknowledged yet, if any.

    This is what the incoming advocate reads first: the previous advocate's
    note, until they confirm they have the baton.
    """
    if not user.is_authenticated:
        return None
    # Most pages of most people: nothing unacknowledged at all, told by one cheap query
    # (this runs on the log and My page); otherwise the handoffs with their joins.
    if not Handoff.objects.filter(incoming_advocate=user, acknowledged_at__isnull=True).exists():
        return None
    return next((h for h in current_incoming_handoffs(user=user, at=at) if h.acknowledged_at is None), None)


def swaps_for_program(*, program: Program) -> QuerySet[SwapRequest]:
    return SwapRequest.objects.filter(term__program=program).select_related(
        "term", "target_term", "requested_by", "target", "accepted_by", "decided_by"
    )


def swaps_open_to(*, user: AbstractBaseUser) -> QuerySet[SwapRequest]:
    """Return open swap requests `user` could accept: addressed to them, or to anyone in their programs."""
    eligible_programs = Membership.objects.filter(user=user, is_eligible=True).values("program_id")
    return (
        SwapRequest.objects.filter(status=SwapRequest.Status.OPEN)
        .filter(Q(target=user) | Q(target__isnull=True, term__program_id__in=eligible_programs))
        .exclude(requested_by=user)
        .select_related("term__program", "target_term", "requested_by")
    )


def open_roster_reviews(*, program: Program) -> QuerySet[RosterReview]:
    return (
        RosterReview.objects.filter(program=program, resolved_at__isnull=True)
        .select_related("user")
        .prefetch_related("terms")
    )


def live_calendar_token(*, user: AbstractBaseUser, program: Program | None) -> CalendarToken | None:
    return CalendarToken.objects.filter(user=user, program=program, revoked_at__isnull=True).first()


def feed_terms(*, token: CalendarToken) -> tuple[list[Term], list[Cover]]:
    """Return every saved term and cover a feed shows, with no horizon limit."""
    if token.program_id:
        terms = Term.objects.filter(program_id=token.program_id)
        covers = Cover.objects.filter(term__program_id=token.program_id)
    else:
        terms = Term.objects.filter(advocate=token.user)
        covers = Cover.objects.filter(Q(person=token.user) | Q(term__advocate=token.user))
    return (
        list(terms.select_related("program", "advocate").order_by("starts_at")),
        list(covers.select_related("term__program", "term__advocate", "person").order_by("starts_at")),
    )


def managers_of(program: Program) -> list[AbstractBaseUser]:
    """Return the program's active managers."""
    return list(
        User.objects.filter(memberships__program=program, memberships__role=Membership.Role.MANAGER, is_active=True)
    )


def eligible_member_ids(program: Program) -> list[int]:
    """Return the ids of the program's eligible, active members, longest-serving first."""
    return list(
        Membership.objects.filter(program=program, is_eligible=True, user__is_active=True)
        .order_by("joined_at", "user_id")
        .values_list("user_id", flat=True)
    )


def eligible_members(program: Program) -> list[AbstractBaseUser]:
    return [m.user for m in Membership.objects.filter(program=program, is_eligible=True).select_related("user")]


def ledger_counts(program: Program, people: list[int], exclude_term_ids: set[int]) -> dict[int, int]:
    """Return how many terms each person is counted as having served (terms plus ledger baseline)."""
    counts = dict(
        Term.objects.filter(program=program, advocate_id__in=people)
        .exclude(pk__in=exclude_term_ids)
        .values_list("advocate_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    baselines = dict(LedgerEntry.objects.filter(program=program, user_id__in=people).values_list("user_id", "baseline"))
    return {p: counts.get(p, 0) + baselines.get(p, 0) for p in people}


def terms_elsewhere(*, program: Program, people: list[int], now: datetime | None = None) -> dict[int, int]:
    """Return how many terms each person has in other programs, in the last 12 months or planned."""
    now = now or timezone.now()
    return dict(
        Term.objects.filter(advocate_id__in=people, ends_at__gt=now - timedelta(days=365))
        .exclude(program=program)
        .values_list("advocate_id")
        .annotate(n=Count("id"))
        .order_by()
    )


# ---------------------------------------------------------------- what the pages show


def terms_in(*, program: Program) -> QuerySet[Term]:
    """Return the program's terms with what a term page shows."""
    return Term.objects.filter(program=program).select_related("advocate", "program", "role_version")


def next_term(*, term: Term) -> Term | None:
    """Return the term that follows `term` in its program, if any."""
    return Term.objects.filter(program=term.program_id, starts_at__gte=term.ends_at).order_by("starts_at").first()


def handoff_into(*, term: Term) -> Handoff | None:
    return Handoff.objects.filter(incoming_term=term).select_related("outgoing_term", "outgoing_advocate").first()


def handoff_out_of(*, term: Term) -> Handoff | None:
    return Handoff.objects.filter(outgoing_term=term).first()


def covers_of(*, term: Term) -> QuerySet[Cover]:
    return term.covers.select_related("person")


def recent_swaps_of(*, term: Term, limit: int = 5) -> list[SwapRequest]:
    return list(term.swap_requests.select_related("target", "accepted_by", "target_term")[:limit])


def covers_in(*, program: Program) -> QuerySet[Cover]:
    return Cover.objects.select_related("term__program").filter(term__program=program)


def handoffs_in(*, program: Program) -> QuerySet[Handoff]:
    return Handoff.objects.select_related(
        "program", "outgoing_term", "incoming_term", "outgoing_advocate", "incoming_advocate"
    ).filter(program=program)


def roster_reviews_in(*, program: Program) -> QuerySet[RosterReview]:
    return RosterReview.objects.filter(program=program)


def leave_of(*, user: AbstractBaseUser) -> QuerySet[Leave]:
    return Leave.objects.filter(user=user)


def upcoming_leave_for(*, user: AbstractBaseUser, at: datetime | None = None) -> QuerySet[Leave]:
    """Return the person's leave not yet over, judged by the local date of their programs.

    A leave still runs while its last day has not ended in every zone of the
    person's programs (UTC for someone in none), so "today" is the earliest
    of those local dates.
    """
    at = at or timezone.now()
    programs = Program.objects.filter(memberships__user=user).only("time_zone")
    today = min((boundaries.local_date(program=p, at=at) for p in programs), default=at.astimezone(UTC).date())
    return Leave.objects.filter(user=user, last_day__gte=today)


def feed_token(*, token: str) -> CalendarToken | None:
    """Return the live token a calendar feed is served for, or None when the feed must not be served.

    The owner must be active, and a program feed stops when they leave the program.
    """
    found = CalendarToken.objects.select_related("user", "program").filter(token=token, revoked_at__isnull=True).first()
    if found is None or not found.user.is_active:
        return None
    if found.program_id and not (
        found.user.is_superuser or found.user.memberships.filter(program_id=found.program_id).exists()
    ):
        return None
    return found


class _Span(NamedTuple):
    """A term (term_id is its own id) or a cover, as AdvocateHistory bisects it: who held the role when."""

    pk: int
    term_id: int
    starts_at: datetime
    ends_at: datetime
    person: AbstractBaseUser | None


# What display_name reads, in the user model's field order (as from_db takes them).
_PERSON_FIELDS = ("id", "username", "first_name", "last_name")


def _history_sql() -> str:
    """AdvocateHistory's terms and covers in one query, written out (PostgreSQL): kind (0 term, 1 cover),
    id, term id, start, end, then the person's _PERSON_FIELDS (NULL for a term without an advocate)."""
    t = {"term": Term._meta.db_table, "cover": Cover._meta.db_table, "user": get_user_model()._meta.db_table}
    person = ", ".join(f"u.{name}" for name in _PERSON_FIELDS)
    return (
        f"SELECT 0, t.id, t.id, t.starts_at, t.ends_at, {person} FROM {t['term']} t "  # noqa: S608 — table names
        f"LEFT JOIN {t['user']} u ON u.id = t.advocate_id "
        "WHERE t.program_id = %(program)s AND t.starts_at <= %(last)s AND t.ends_at > %(first)s "
        f"UNION ALL SELECT 1, c.id, c.term_id, c.starts_at, c.ends_at, {person} FROM {t['cover']} c "
        f"JOIN {t['term']} t ON t.id = c.term_id JOIN {t['user']} u ON u.id = c.person_id "
        "WHERE t.program_id = %(program)s AND t.starts_at <= %(last)s AND t.ends_at > %(first)s "
        "AND c.starts_at <= %(last)s AND c.ends_at > %(first)s "
        "ORDER BY 1, 4, 2"
    )


_HISTORY_SQL = _history_sql()


def _history_spans(*, program_id: int, first: datetime, last: datetime) -> tuple[list[_Span], list[_Span]]:
    """The program's terms and covers overlapping [first, last], each by start: one query on PostgreSQL
    (compiling the ORM's two cost more than running them), the ORM's two elsewhere."""
    if connection.vendor != "postgresql":
        terms = list(
            Term.objects.filter(program_id=program_id, starts_at__lte=last, ends_at__gt=first)
            .select_related("advocate")
            .order_by("starts_at", "id")
        )
        covers = list(
            Cover.objects.filter(term__in=[t.pk for t in terms], starts_at__lte=last, ends_at__gt=first)
            .select_related("person")
            .order_by("starts_at", "id")
            if terms
            else []
        )
        return (
            [_Span(t.pk, t.pk, t.starts_at, t.ends_at, t.advocate) for t in terms],
            [_Span(c.pk, c.term_id, c.starts_at, c.ends_at, c.person) for c in covers],
        )
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, {"program": program_id, "first": first, "last": last})
        rows = cursor.fetchall()
    user_model = get_user_model()
    people: dict[int, AbstractBaseUser] = {}
    spans: tuple[list[_Span], list[_Span]] = ([], [])
    for kind, pk, term_id, starts_at, ends_at, *person in rows:
        if person[0] is not None and person[0] not in people:
            # Only the fields display_name reads; any other is fetched if asked for (a deferred field).
            people[person[0]] = user_model.from_db(connection.alias, _PERSON_FIELDS, person)
        spans[kind].append(_Span(pk, term_id, starts_at, ends_at, people.get(person[0])))
    return spans


class AdvocateHistory:
    """Who was a program's advocate at any moment of a period, answered from memory.

    Built from the program's terms and covers that overlap the period (one
    query on PostgreSQL, two elsewhere, whatever the number of moments asked):
    `at(moment)` bisects them and gives what current_advocate(at=moment) gives:
    the cover person during a cover, else the term's advocate, else None.
    """

    def __init__(self, *, program_id: int, first: datetime, last: datetime):
        terms, covers = _history_spans(program_id=program_id, first=first, last=last)
        self._terms = terms
        self._term_starts = [t.starts_at for t in terms]
        self._covers: dict[int, list[_Span]] = {}
        for cover in covers:
            self._covers.setdefault(cover.term_id, []).append(cover)
        self._cover_starts = {term_id: [c.starts_at for c in found] for term_id, found in self._covers.items()}

    @staticmethod
    def _holding(items, starts, at):
        """The last item starting at or before `at` whose end is after it (current_term's choice)."""
        i = bisect_right(starts, at)
        while i > 0:
            i -= 1
            if items[i].ends_at > at:
                return items[i]
            # An earlier, longer one might still hold; terms rarely overlap, so this loop is short.
        return None

    def at(self, moment: datetime) -> AbstractBaseUser | None:
        term = self._holding(self._terms, self._term_starts, moment)
        if term is None:
            return None
        found = self._covers.get(term.pk)
        cover = self._holding(found, self._cover_starts[term.pk], moment) if found else None
        return cover.person if cover else term.person


def advocate_history(*, program_id: int, first: datetime, last: datetime) -> AdvocateHistory:
    """Return who was the program's advocate at each moment between `first` and `last` (see AdvocateHistory)."""
    return AdvocateHistory(program_id=program_id, first=first, last=last)
