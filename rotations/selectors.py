"""Reads for terms: who is a program's advocate now, and who is next."""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from advocacy.models import Membership, Program

from .models import CalendarToken, Cover, Handoff, Leave, RosterReview, RotationSettings, SwapRequest, Term

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

    @property
    def last_day(self) -> date:
        from datetime import timedelta

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
