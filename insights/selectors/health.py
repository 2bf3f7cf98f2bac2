"""The program health page: open issues now, the current term against the previous ones, 52 weeks of trends.

Every figure is an aggregate query (GROUP BY a term or a week), so a page costs
the same handful of queries at 100 issues and at 1,000,000. Python only loops
over the few terms and the 52 weekly rows to lay them out.

Figures for a period count the issues *received* in it (a cohort), as they
stood when the period ended: how fast those customers were first contacted,
how many of them were resolved, how long that took, how satisfied they said
they were afterwards. The definitions are in `figures`, shared with the term
report and the program page, so the three always show the same numbers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from advocacy.models import Program
from core.when import format_day
from issues.models import HotIssue, Level, Mention
from issues.selectors import program_issue_summary
from rotations.models import Term

from .. import snapshots
from .figures import Figures, Period, baton_counts, cohort_rows, first_contact_goal, term_periods
from .sql import LEVELS

TERMS_SHOWN = 5  # the current term and the four before it
# Part of the snapshot key: stored figures computed under other definitions are not served.
FIGURES_KEY = "figures-3"
WEEKS_SHOWN = 52


def _mention_rows(program: Program, bucket, since: datetime) -> dict:
    rows = (
        Mention.objects.filter(program=program, fetched_at__gte=since)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(mentions=Count("id"), promoted=Count("id", filter=Q(state=Mention.State.PROMOTED)))
        .order_by()
    )
    return {row.pop("bucket"): row for row in rows}


def _term_bucket(terms: list[Term], now: datetime, field_name: str):
    """A CASE expression naming the term whose [start, min(end, now)) holds `field_name`."""
    whens = [
        When(**{f"{field_name}__gte": t.starts_at, f"{field_name}__lt": min(t.ends_at, now)}, then=Value(t.pk))
        for t in terms
    ]
    return Case(*whens, default=Value(None), output_field=IntegerField())


@dataclass
class TermFigures:
    term: Term
    is_current: bool
    figures: Figures

    @property
    def until(self):
        """The last day counted: the term's last day, or today while it runs."""
        return self.term.end_date - timedelta(days=1)


@dataclass
class WeekFigures:
    week: datetime  # the Monday the week starts, in the program's zone
    figures: Figures


@dataclass
class Health:
    program: Program
    now: datetime
    summary: dict  # open issues by level, overdue, runaround: from issues.selectors
    terms: list[TermFigures]
    weeks: list[WeekFigures]
    as_of: datetime | None = None  # when the term and week figures were computed, if from a snapshot
    goal: int = 80  # the program's goal for first contact within target, in percent

    @property
    def current(self) -> TermFigures | None:
        return next((t for t in self.terms if t.is_current), None)

    @property
    def previous(self) -> list[TermFigures]:
        return [t for t in self.terms if not t.is_current]

    def chart_data(self) -> dict:
        """The weekly trends as plain lists, for `json_script` and the charts."""

        def hours(seconds):
            return round(seconds / 3600, 1) if seconds is not None else None

        weeks = [w.figures for w in self.weeks]
        return {
            "labels": [format_day(w.week) for w in self.weeks],
            "levels": {str(n): [f.levels[n] for f in weeks] for n in LEVELS},
            "level_names": {str(n): Level(n).label for n in LEVELS},
            "outreach_median": [hours(f.outreach_median) for f in weeks],
            "outreach_p90": [hours(f.outreach_p90) for f in weeks],
            "resolution_median": [hours(f.resolution_median) for f in weeks],
            "resolution_p90": [hours(f.resolution_p90) for f in weeks],
            "resolution_rate": [f.resolution_rate for f in weeks],
            "satisfaction": [f.satisfaction for f in weeks],
            "runaround": [f.runaround for f in weeks],
            "mentions": [f.mentions for f in weeks],
            "promoted": [f.promoted for f in weeks],
        }


def week_start(at: datetime, zone) -> datetime:
    """Return the start (Monday 00:00, in `zone`) of the week that holds `at`."""
    local = timezone.localtime(at, zone)
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def _health_terms(program: Program, now: datetime) -> list[Term]:
    return list(
        Term.objects.filter(program=program, starts_at__lte=now)
        .select_related("advocate")
        .order_by("-starts_at")[:TERMS_SHOWN]
    )


def _first_week(now: datetime, zone) -> datetime:
    return week_start(now, zone) - timedelta(weeks=WEEKS_SHOWN - 1)


def _week_start(first_week: datetime, i: int, zone) -> datetime:
    """The Monday `i` weeks after `first_week`, at the same wall-clock time across DST."""
    start = first_week + timedelta(weeks=i)
    return datetime(start.year, start.month, start.day, tzinfo=zone)


def _week_periods(first_week: datetime, now: datetime, zone) -> list[Period]:
    starts = [_week_start(first_week, i, zone) for i in range(WEEKS_SHOWN + 1)]
    return [Period(key=a.date().isoformat(), start=a, end=b) for a, b in zip(starts, starts[1:], strict=False)]


def _jsonable(rows: dict) -> dict:
    """Rows keyed by strings (term ids, ISO week dates), as a snapshot stores them."""
    return {str(k): v for k, v in rows.items()}


def health_rows(
    *, program: Program, now: datetime, terms: list[Term] | None = None, refresh: bool = False
) -> tuple[dict, datetime | None]:
    """Return the aggregate rows behind the health page, and when they were computed if stored.

    Live: one GROUP BY over issues and one over mentions, for terms and for
    weeks (two more each on SQLite), and one query for the handoffs. A program whose rows are slow to compute
    is served from a snapshot (insights/snapshots.py).
    """
    terms = _health_terms(program, now) if terms is None else terms
    zone = program.zone
    first_week = _first_week(now, zone)
    key = "|".join(
        [
            FIGURES_KEY,
            f"{first_week:%Y-%m-%d}",
            *(f"{t.pk}:{t.starts_at.timestamp():.0f}:{t.ends_at.timestamp():.0f}" for t in terms),
        ]
    )

    def compute() -> dict:
        issues = HotIssue.objects.filter(program=program)
        rows = {"terms": {}, "term_mentions": {}, "baton": {}}
        if terms:
            since = min(t.starts_at for t in terms)
            rows["terms"] = cohort_rows(issues, term_periods(terms), now, targets=True)
            rows["term_mentions"] = _jsonable(_mention_rows(program, _term_bucket(terms, now, "fetched_at"), since))
            rows["baton"] = baton_counts(terms)
        rows["weeks"] = cohort_rows(issues, _week_periods(first_week, now, zone), now)
        mentions = _mention_rows(program, TruncWeek("fetched_at", tzinfo=zone), first_week)
        rows["week_mentions"] = {_as_week(k, zone).isoformat(): v for k, v in mentions.items() if k is not None}
        return rows

    return snapshots.through(program=program, name="health", key=key, compute=compute, now=now, refresh=refresh)


def program_health(*, program: Program, now: datetime | None = None) -> Health:
    """Return the program's health: open issues, the current term against the previous ones, 52 weeks of trends.

    Queries: one for the terms, one for the open-issue summary (always live),
    one for a stored snapshot, and the aggregates of health_rows unless that
    snapshot serves them.
    """
    now = now or timezone.now()
    zone = program.zone
    terms = _health_terms(program, now)
    rows, as_of = health_rows(program=program, now=now, terms=terms)
    term_rows = [
        TermFigures(
            term=t,
            is_current=t.starts_at <= now < t.ends_at,
            figures=Figures.from_row(
                rows["terms"].get(str(t.pk)), rows["term_mentions"].get(str(t.pk)), rows["baton"].get(str(t.pk))
            ),
        )
        for t in terms
    ]
    first_week = _first_week(now, zone)
    weeks = []
    for i in range(WEEKS_SHOWN):
        start = _week_start(first_week, i, zone)
        key = start.date().isoformat()
        weeks.append(
            WeekFigures(week=start, figures=Figures.from_row(rows["weeks"].get(key), rows["week_mentions"].get(key)))
        )

    return Health(
        program=program,
        now=now,
        summary=program_issue_summary(program=program, now=now),
        terms=term_rows,
        weeks=weeks,
        as_of=as_of,
        goal=first_contact_goal(program=program),
    )


def _as_week(value, zone):
    """Return the date of a TruncWeek value (an aware datetime on PostgreSQL, maybe naive on SQLite)."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        return value.date()
    return value
