"""The program health page: open issues now, the current term against the previous ones, 52 weeks of trends.

Every figure is an aggregate query (GROUP BY a term or a week), so a page costs
the same handful of queries at 100 issues and at 1,000,000. Python only loops
over the few terms and the 52 weekly rows to lay them out.

Figures for a period count the issues *received* in it (a cohort): how fast
those customers were first contacted, how many of them are resolved now, how
long that took, how satisfied they said they were afterwards.
"""

from dataclasses import dataclass, field
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
from .sql import LEVELS, cohort_rows

TERMS_SHOWN = 5  # the current term and the four before it
WEEKS_SHOWN = 52


@dataclass
class Figures:
    """One period's numbers; None where there is nothing to measure (shown as "—")."""

    received: int = 0
    reached: int = 0
    resolved: int = 0
    runaround: int = 0
    answers: int = 0
    satisfaction: float | None = None
    outreach_median: float | None = None
    outreach_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    levels: dict = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    mentions: int = 0
    promoted: int = 0

    @classmethod
    def from_row(cls, row: dict | None, mentions: dict | None = None) -> "Figures":
        row = row or {}
        mentions = mentions or {}
        return cls(
            received=row.get("received", 0),
            reached=row.get("reached", 0),
            resolved=row.get("resolved", 0),
            runaround=row.get("runaround", 0),
            answers=row.get("answers", 0),
            satisfaction=round(row["satisfaction_avg"], 1) if row.get("satisfaction_avg") is not None else None,
            outreach_median=row.get("outreach_median"),
            outreach_p90=row.get("outreach_p90"),
            resolution_median=row.get("resolution_median"),
            resolution_p90=row.get("resolution_p90"),
            levels={n: row.get(f"level_{n}", 0) for n in LEVELS},
            mentions=mentions.get("mentions", 0),
            promoted=mentions.get("promoted", 0),
        )

    @property
    def resolution_rate(self) -> float | None:
        """The share of the period's issues that are resolved, in percent (None without issues)."""
        return round(100 * self.resolved / self.received, 1) if self.received else None


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


def _jsonable(rows: dict) -> dict:
    """Rows keyed by strings (term ids, ISO week dates), as a snapshot stores them."""
    return {str(k): v for k, v in rows.items()}


def health_rows(
    *, program: Program, now: datetime, terms: list[Term] | None = None, refresh: bool = False
) -> tuple[dict, datetime | None]:
    """Return the aggregate rows behind the health page, and when they were computed if stored.

    Live: one GROUP BY over issues and one over mentions, for terms and for
    weeks (two more each on SQLite). A program whose rows are slow to compute
    is served from a snapshot (insights/snapshots.py).
    """
    terms = _health_terms(program, now) if terms is None else terms
    zone = program.zone
    first_week = _first_week(now, zone)
    key = "|".join(
        [
            f"{first_week:%Y-%m-%d}",
            *(f"{t.pk}:{t.starts_at.timestamp():.0f}:{t.ends_at.timestamp():.0f}" for t in terms),
        ]
    )

    def compute() -> dict:
        issues = HotIssue.objects.filter(program=program)
        rows = {"terms": {}, "term_mentions": {}}
        if terms:
            since = min(t.starts_at for t in terms)
            rows["terms"] = _jsonable(
                cohort_rows(
                    issues.filter(created_at__gte=since, created_at__lt=now), _term_bucket(terms, now, "created_at")
                )
            )
            rows["term_mentions"] = _jsonable(_mention_rows(program, _term_bucket(terms, now, "fetched_at"), since))
        by_week = cohort_rows(
            issues.filter(created_at__gte=first_week, created_at__lt=now), TruncWeek("created_at", tzinfo=zone)
        )
        mentions = _mention_rows(program, TruncWeek("fetched_at", tzinfo=zone), first_week)
        rows["weeks"] = {_as_week(k, zone).isoformat(): v for k, v in by_week.items() if k is not None}
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
            figures=Figures.from_row(rows["terms"].get(str(t.pk)), rows["term_mentions"].get(str(t.pk))),
        )
        for t in terms
    ]
    first_week = _first_week(now, zone)
    weeks = []
    for i in range(WEEKS_SHOWN):
        start = first_week + timedelta(weeks=i)
        start = datetime(start.year, start.month, start.day, tzinfo=zone)  # the same wall-clock Monday across DST
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
    )


def _as_week(value, zone):
    """Return the date of a TruncWeek value (an aware datetime on PostgreSQL, maybe naive on SQLite)."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        return value.date()
    return value
