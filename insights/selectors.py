"""Reads for the program health page and the customer's-chair brief.

Every figure is an aggregate query (GROUP BY a term or a week), so a page costs
the same handful of queries at 100 issues and at 1,000,000. Python only loops
over the few terms and the 52 weekly rows to lay them out.

Figures for a period count the issues *received* in it (a cohort): how fast
those customers were first contacted, how many of them are resolved now, how
long that took, how satisfied they said they were afterwards.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone

from advocacy.models import Program
from config.observability import redact
from issues.models import OPEN_Q, HotIssue, Level, Mention, Source, Status, Transfer, overdue_q
from issues.selectors import PRIORITY_ORDER, program_issue_summary
from rotations.models import Term

from . import snapshots

TERMS_SHOWN = 5  # the current term and the four before it
WEEKS_SHOWN = 52
THEME_WEEKS = 4
TOP_ISSUES = 5
LEVELS = [level.value for level in Level]


# --- Durations and percentiles that work on PostgreSQL and SQLite --------------------------


class Seconds(Func):
    """Seconds from `start` to `end` as a float (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(", **extra
        )


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: the interpolated `fraction` percentile of an expression."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles_supported() -> bool:
    return connection.vendor == "postgresql"


OUTREACH_SECONDS = Seconds(F("first_outreach_at"), F("created_at"))
RESOLUTION_SECONDS = Case(
    When(status=Status.RESOLVED, then=Seconds(F("resolved_at"), F("created_at"))), output_field=FloatField()
)
MEASURES = {"outreach": OUTREACH_SECONDS, "resolution": RESOLUTION_SECONDS}
FRACTIONS = {"median": 0.5, "p90": 0.9}


def _percentiles_by_window(qs: QuerySet, bucket, measures: dict) -> dict:
    """Return {bucket: {"outreach_median": s, ...}} computed with window functions (the SQLite way).

    One query per measure: number the values inside each bucket, keep only the
    one or two rows around each percentile's position and interpolate between
    them exactly as percentile_cont does.
    """
    out: dict = {}
    for name, expression in measures.items():
        ranked = (
            qs.annotate(bucket=bucket, value=expression)
            .filter(value__isnull=False)
            .annotate(
                rn=Window(RowNumber(), partition_by=[F("bucket")], order_by=[F("value").asc(), F("id").asc()]),
                n=Window(Count("id"), partition_by=[F("bucket")]),
            )
        )
        wanted = Q()
        for fraction in FRACTIONS.values():
            # Rows whose 0-based position is within one of (n - 1) * fraction: its floor and ceiling.
            position = (F("n") - 1) * Value(fraction)
            wanted |= Q(rn__gt=position, rn__lt=position + 2)
        rows: dict = {}
        for b, rn, n, value in ranked.filter(wanted).values_list("bucket", "rn", "n", "value"):
            rows.setdefault(b, {"n": n, "values": {}})["values"][rn - 1] = value
        for b, found in rows.items():
            for label, fraction in FRACTIONS.items():
                position = (found["n"] - 1) * fraction
                low, high = math.floor(position), math.ceil(position)
                lo_value, hi_value = found["values"][low], found["values"][high]
                out.setdefault(b, {})[f"{name}_{label}"] = lo_value + (hi_value - lo_value) * (position - low)
    return out


def _cohort_rows(qs: QuerySet[HotIssue], bucket) -> dict:
    """Return {bucket: figures} for the issues of `qs`, grouped by `bucket`, in one query (two more on SQLite)."""
    aggregates = {
        "received": Count("id"),
        "reached": Count("id", filter=Q(first_outreach_at__isnull=False)),
        "resolved": Count("id", filter=Q(status=Status.RESOLVED)),
        "runaround": Count("id", filter=Q(runaround=True)),
        "satisfaction_avg": Avg("satisfaction"),
        "answers": Count("satisfaction"),
        **{f"level_{n}": Count("id", filter=Q(level=n)) for n in LEVELS},
    }
    if percentiles_supported():
        for name, expression in MEASURES.items():
            for label, fraction in FRACTIONS.items():
                aggregates[f"{name}_{label}"] = Percentile(expression, fraction)
    rows = {
        row.pop("bucket"): row for row in qs.annotate(bucket=bucket).values("bucket").annotate(**aggregates).order_by()
    }
    if not percentiles_supported():
        for b, extra in _percentiles_by_window(qs, bucket, MEASURES).items():
            if b in rows:
                rows[b].update(extra)
    return rows


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
            "labels": [f"{w.week:%d %b %Y}" for w in self.weeks],
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
                _cohort_rows(
                    issues.filter(created_at__gte=since, created_at__lt=now), _term_bucket(terms, now, "created_at")
                )
            )
            rows["term_mentions"] = _jsonable(_mention_rows(program, _term_bucket(terms, now, "fetched_at"), since))
        by_week = _cohort_rows(
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


# --- The customer's-chair brief ----------------------------------------------------------

CUSTOMER = "[customer]"


def scrub(text: str, *, known: list[str] = ()) -> str:
    """Return `text` without contact details: e-mail addresses, phone numbers and the customer's own name,
    company, address or phone where they are quoted in it."""
    for value in sorted({v.strip() for v in known if v and len(v.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(value), CUSTOMER, text, flags=re.IGNORECASE)
    return redact(text)


@dataclass
class BriefIssue:
    pk: int
    title: str
    words: str
    level: int
    level_label: str
    public: bool
    overdue: bool
    runaround: bool
    status_label: str
    source_label: str
    department: str
    created_at: datetime


@dataclass
class Change:
    label: str
    this_week: int
    last_week: int
    worse_when_higher: bool = True

    @property
    def delta(self) -> int:
        return self.this_week - self.last_week


@dataclass
class Brief:
    program: Program
    now: datetime
    week_of: datetime
    top_issues: list[BriefIssue]
    open_count: int
    changes: list[Change]
    by_department: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    questions: list
    advocate: object = None
    as_of: datetime | None = None  # when the counts were computed, if from a snapshot


def top_issues(*, program: Program, now: datetime, limit: int = TOP_ISSUES) -> list[BriefIssue]:
    """Return the open issues at the top of the log, in the customers' words with contact details removed."""
    # The log's order is overdue first, then the order of its covering index
    # (runaround, level, public, oldest). So walk that index in order twice,
    # overdue issues and then the rest, and stop after `limit`: a handful of
    # index entries read instead of sorting every open issue of a big program.
    # Only the chosen few rows are then read with their words.
    open_issues = HotIssue.objects.filter(OPEN_Q, program=program)
    late = overdue_q(now)
    index_order = [key for key in PRIORITY_ORDER if key != "-overdue"]
    overdue_ids = list(open_issues.filter(late).order_by(*index_order).values_list("id", flat=True)[:limit])
    ids = list(overdue_ids)
    if len(ids) < limit:
        ids += open_issues.exclude(late).order_by(*index_order).values_list("id", flat=True)[: limit - len(ids)]
    fetched = {
        row["pk"]: row
        for row in HotIssue.objects.filter(pk__in=ids).values(
            "pk",
            "title",
            "words",
            "level",
            "public",
            "status",
            "source",
            "created_at",
            "runaround",
            "department__name",
            # Read only to be removed from the words; never shown.
            "customer__name",
            "customer__email",
            "customer__phone",
            "customer__company",
        )
    }
    rows = [fetched[pk] for pk in ids if pk in fetched]
    overdue = set(overdue_ids)  # chosen by overdue_q above: the log's one definition
    for row in rows:
        row["overdue"] = row["pk"] in overdue
    out = []
    for row in rows:
        known = [row["customer__name"], row["customer__email"], row["customer__phone"], row["customer__company"]]
        out.append(
            BriefIssue(
                pk=row["pk"],
                title=scrub(row["title"], known=known),
                words=scrub(row["words"], known=known),
                level=row["level"],
                level_label=Level(row["level"]).label,
                public=row["public"],
                overdue=row["overdue"],
                runaround=row["runaround"],
                status_label=Status(row["status"]).label,
                source_label=Source(row["source"]).label if row["source"] in Source.values else row["source"],
                department=row["department__name"] or "",
                created_at=row["created_at"],
            )
        )
    return out


def weekly_changes(*, program: Program, now: datetime) -> list[Change]:
    """Return new, resolved, escalated and overdue counts for the last 7 days against the 7 before, in two queries."""
    this_start, last_start = now - timedelta(days=7), now - timedelta(days=14)

    def window(name, start, end):
        return Q(**{f"{name}__gte": start, f"{name}__lt": end})

    # Missed its target: overdue now, or contacted after the target.
    missed = overdue_q(now) | Q(first_outreach_at__gt=F("first_outreach_due_at"))
    # Only issues that arrived, were resolved or fell due in the fortnight can count.
    recent = Q(created_at__gte=last_start) | Q(resolved_at__gte=last_start) | Q(first_outreach_due_at__gte=last_start)
    row = HotIssue.objects.filter(recent, program=program, created_at__lt=now).aggregate(
        new_this=Count("id", filter=window("created_at", this_start, now)),
        new_last=Count("id", filter=window("created_at", last_start, this_start)),
        resolved_this=Count("id", filter=Q(status=Status.RESOLVED) & window("resolved_at", this_start, now)),
        resolved_last=Count("id", filter=Q(status=Status.RESOLVED) & window("resolved_at", last_start, this_start)),
        # Went overdue: the first-outreach target fell in the week and was missed.
        overdue_this=Count("id", filter=missed & window("first_outreach_due_at", this_start, now)),
        overdue_last=Count("id", filter=missed & window("first_outreach_due_at", last_start, this_start)),
    )
    transfers = Transfer.objects.filter(issue__program=program, at__gte=last_start, at__lt=now).aggregate(
        this=Count("issue", distinct=True, filter=Q(at__gte=this_start)),
        last=Count("issue", distinct=True, filter=Q(at__lt=this_start)),
    )
    return [
        Change("New issues", row["new_this"], row["new_last"]),
        Change("Resolved", row["resolved_this"], row["resolved_last"], worse_when_higher=False),
        Change("Escalated (passed to another team or person)", transfers["this"], transfers["last"]),
        Change("Went overdue (first contact missed its target)", row["overdue_this"], row["overdue_last"]),
    ]


def recurring_themes(*, program: Program, now: datetime, weeks: int = THEME_WEEKS, limit: int = 6) -> dict:
    """Return the most frequent departments and sources of the issues received in the last `weeks` weeks."""
    recent = HotIssue.objects.filter(program=program, created_at__gte=now - timedelta(weeks=weeks), created_at__lt=now)
    departments = [
        (name or "No department", n)
        for name, n in recent.values_list("department__name")
        .annotate(n=Count("id"))
        .order_by("-n", "department__name")[:limit]
    ]
    sources = dict(Source.choices)
    by_source = [
        (sources.get(code, code), n)
        for code, n in recent.values_list("source").annotate(n=Count("id")).order_by("-n", "source")[:limit]
    ]
    return {"departments": departments, "sources": by_source}


def brief_questions(*, program: Program) -> QuerySet:
    from .models import BriefQuestion

    return (
        BriefQuestion.objects.filter(program=program)
        .select_related("asked_by")
        .order_by(F("answered_at").asc(nulls_first=True), "created_at", "id")
    )


def brief_rows(*, program: Program, now: datetime, refresh: bool = False) -> tuple[dict, datetime | None]:
    """Return the brief's counts (this week against last, themes), and when they were computed if stored."""

    def compute() -> dict:
        themes = recurring_themes(program=program, now=now)
        return {
            "changes": [
                [c.label, c.this_week, c.last_week, c.worse_when_higher]
                for c in weekly_changes(program=program, now=now)
            ],
            "departments": themes["departments"],
            "sources": themes["sources"],
        }

    key = f"{timezone.localdate(now, program.zone):%Y-%m-%d}"
    return snapshots.through(program=program, name="brief", key=key, compute=compute, now=now, refresh=refresh)


def customers_chair_brief(*, program: Program, now: datetime | None = None) -> Brief:
    """Return this week's brief for the planning meeting: top issues, changes, themes, questions.

    The top issues, the open count and the questions are always live; the
    counts come from a snapshot when the program is too big to count per view.
    """
    from rotations.selectors import current_advocate

    now = now or timezone.now()
    rows, as_of = brief_rows(program=program, now=now)
    return Brief(
        program=program,
        now=now,
        week_of=week_start(now, program.zone),
        top_issues=top_issues(program=program, now=now),
        open_count=HotIssue.objects.filter(OPEN_Q, program=program).count(),
        changes=[Change(*change) for change in rows["changes"]],
        by_department=[tuple(pair) for pair in rows["departments"]],
        by_source=[tuple(pair) for pair in rows["sources"]],
        questions=list(brief_questions(program=program)),
        advocate=current_advocate(program=program, at=now),
        as_of=as_of,
    )
