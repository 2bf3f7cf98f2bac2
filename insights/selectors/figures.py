"""The one definition of a period's figures, shared by the term report, the health page and the program page.

Which issues a period counts
    An issue belongs to the period (term or week) in which Baton *received* it:
    `HotIssue.created_at`. Every way in sets it to the moment the issue reached
    Baton; an imported survey answer or mystery-shop visit keeps the date its
    source gave in `occurred_at` instead, so a file of old answers imported
    today lands in today's term, never in a term that is closed and reported.

What is counted, as the issues stood when the period ended (or now, while it runs)
    - received: the issues received in the period;
    - contacted ("reached"): those first contacted before the period ended;
    - first contact: the time from receiving an issue to its first contact,
      over the contacted ones (median and 90th percentile);
    - resolved: those resolved before the period ended;
    - first contact within target: of the issues whose first contact was
      due before the period ended, or that were contacted before it ended,
      the share first contacted by their target (`first_outreach_at <=
      first_outreach_due_at`); an issue not contacted by its target counts as
      missed, one not contacted and not yet due is not counted. Per level
      too, against the program's goal (`IssueSettings.first_contact_goal`);
    - runaround: those flagged for bouncing between departments before the
      period ended (read from their history);
    - satisfaction: the average of the answers their customers gave before
      the period ended (an answer without a time counts), and how many;
    - handed on: the open issues the handoff at the end of a term moved to the
      next advocate, as the handoff itself recorded them (`Handoff.effects`,
      the ids the issues participant returned); inherited is the same record
      of the handoff into the term.

Counting "as at the end" is what lets the frozen term report, built at the
handoff, agree with the live pages afterwards: an issue contacted or resolved
after its term ended counts for nobody's term, in every place. (An issue
reopened later is no longer resolved on the live pages, while the frozen
report keeps what it saw.)

Cost: one GROUP BY over the issues (two more on SQLite, which has no
percentile_cont) and one query for the handoffs, whatever the number of
periods or issues.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from advocacy.models import Program
from issues.models import DEFAULT_FIRST_CONTACT_GOAL, HotIssue, IssueSettings, Status
from issues.selectors import HANDOFF_PARTICIPANT
from rotations.models import Handoff, Term

from .sql import FRACTIONS, LEVELS, Percentile, Seconds, percentiles_by_window, percentiles_supported

SATISFIED = 4  # "satisfied" on the 1–5 answer after resolution

# A row's period end, capped at now (annotated by cohort_rows).
REACHED = Q(first_outreach_at__isnull=False, first_outreach_at__lt=F("period_end"))
# First contacted by its target, before the period ended; measured: that, or its target passed before the end.
WITHIN_TARGET = REACHED & Q(first_outreach_at__lte=F("first_outreach_due_at"))
CONTACT_DUE = WITHIN_TARGET | Q(first_outreach_due_at__lt=F("period_end"))
RESOLVED = Q(status=Status.RESOLVED, resolved_at__isnull=False, resolved_at__lt=F("period_end"))
# Flagged as a runaround before the period ended, as the issue's history shows.
RUNAROUND = Exists(
    HotIssue.history.model.objects.filter(id=OuterRef("pk"), runaround=True, history_date__lt=OuterRef("period_end"))
)
ANSWERED = Q(satisfaction__isnull=False) & (Q(satisfaction_at__isnull=True) | Q(satisfaction_at__lt=F("period_end")))
MEASURES = {
    "outreach": Case(When(REACHED, then=Seconds(F("first_outreach_at"), F("created_at"))), output_field=FloatField()),
    "resolution": Case(When(RESOLVED, then=Seconds(F("resolved_at"), F("created_at"))), output_field=FloatField()),
}


@dataclass(frozen=True)
class Period:
    """A span of time figures are counted for: [start, end), keyed by a string (a term id, a week's date)."""

    key: str
    start: datetime
    end: datetime


def term_periods(terms: list[Term]) -> list[Period]:
    return [Period(key=str(t.pk), start=t.starts_at, end=t.ends_at) for t in terms]


class _Element(Func):
    """(array)[index]: one element of an array by its 1-based index (NULL outside it)."""

    template = "(%(expressions)s]"
    arg_joiner = ")["


def _array(values: list[str], of: str) -> Func:
    """An array literal passed as one text parameter: every count repeats the periods' arrays, and an
    array of 52 datetimes costs the ORM 52 conversions each time it is compiled."""
    text = "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    return Func(Value(text), template=f"%(expressions)s::{of}[]", output_field=CharField())


def _period_cases(periods: list[Period], now: datetime) -> tuple[Case, Case]:
    """CASE expressions naming each issue's period (by when it was received) and that period's end, capped at now.

    On PostgreSQL, periods that do not overlap are found by a binary search of
    their starts (width_bucket): the health page's 52 weeks as a CASE of 52
    WHENs, repeated in every count that needs the period's end, cost 58 ms for
    4,800 issues; the search costs a few comparisons per issue.
    """
    ordered = sorted(periods, key=lambda p: p.start)
    ends = [min(p.end, now) for p in ordered]
    if connection.vendor == "postgresql" and all(
        end <= later.start for end, later in zip(ends[:-1], ordered[1:], strict=True)
    ):
        index = Func(
            F("created_at"),
            _array([p.start.isoformat() for p in ordered], "timestamptz"),
            function="width_bucket",
            output_field=IntegerField(),
        )
        end = _Element(_array([end.isoformat() for end in ends], "timestamptz"), index, output_field=DateTimeField())
        key = _Element(_array([p.key for p in ordered], "text"), index, output_field=CharField())
        received_in = Q(created_at__lt=end)  # after its start (the search), before its end
        return (
            Case(When(received_in, then=key), default=Value(None), output_field=CharField()),
            Case(When(received_in, then=end), default=Value(None), output_field=DateTimeField()),
        )
    bucket, until = [], []
    for p in periods:
        received_in = Q(created_at__gte=p.start, created_at__lt=min(p.end, now))
        bucket.append(When(received_in, then=Value(p.key)))
        until.append(When(received_in, then=Value(min(p.end, now), output_field=DateTimeField())))
    return (
        Case(*bucket, default=Value(None), output_field=CharField()),
        Case(*until, default=Value(None), output_field=DateTimeField()),
    )


def cohort_rows(
    qs: QuerySet[HotIssue], periods: list[Period], now: datetime, *, by: str | None = None, targets: bool = False
) -> dict[str, dict]:
    """Return {period key: figures} for the issues of `qs` received in each period, in one query (three on SQLite).

    With `by` (a column such as "program_id") the rows are also split by it and
    keyed "<value>:<period key>", so many programs cost one query too. With
    `targets`, first contact within target is counted too, overall and per
    level (for the few periods of terms: each count repeats the periods' CASE,
    which the 52 weeks of the health page would pay many times over). The
    figures follow the definitions at the top of this module.
    """
    if not periods:
        return {}
    bucket, until = _period_cases(periods, now)
    qs = qs.filter(created_at__gte=min(p.start for p in periods), created_at__lt=now).annotate(
        period=bucket, period_end=until
    )
    aggregates = {
        "received": Count("id"),
        "reached": Count("id", filter=REACHED),
        "resolved": Count("id", filter=RESOLVED),
        "resolved_satisfied": Count("id", filter=RESOLVED & Q(satisfaction__gte=SATISFIED)),
        "runaround": Count("id", filter=RUNAROUND),
        "satisfaction_avg": Avg("satisfaction", filter=ANSWERED),
        "answers": Count("id", filter=ANSWERED),
        **{f"level_{n}": Count("id", filter=Q(level=n)) for n in LEVELS},
    }
    if targets:
        aggregates |= {
            "contact_within": Count("id", filter=WITHIN_TARGET),
            "contact_due": Count("id", filter=CONTACT_DUE),
            **{f"contact_within_{n}": Count("id", filter=WITHIN_TARGET & Q(level=n)) for n in LEVELS},
            **{f"contact_due_{n}": Count("id", filter=CONTACT_DUE & Q(level=n)) for n in LEVELS},
        }
    if percentiles_supported():
        for name, expression in MEASURES.items():
            for label, fraction in FRACTIONS.items():
                aggregates[f"{name}_{label}"] = Percentile(expression, fraction)
    if by:
        qs = qs.annotate(group=Concat(Cast(by, CharField()), Value(":"), F("period"), output_field=CharField()))
    group = "group" if by else "period"
    rows = {row.pop(group): row for row in qs.values(group).annotate(**aggregates).order_by() if row[group] is not None}
    if not percentiles_supported():
        for key, extra in percentiles_by_window(qs, F(group), MEASURES).items():
            if key in rows:
                rows[key].update(extra)
    return rows


def baton_counts(terms: list[Term]) -> dict[str, dict]:
    """Return {term id: {"inherited": n, "handed_on": n}} from the handoffs' own records, in one query.

    A term the baton has not left yet (or never reached by a handoff) has None
    for what no handoff recorded.
    """
    out = {str(t.pk): {"inherited": None, "handed_on": None} for t in terms}
    if not terms:
        return out
    ids = [t.pk for t in terms]
    handoffs = Handoff.objects.filter(Q(outgoing_term_id__in=ids) | Q(incoming_term_id__in=ids)).only(
        "outgoing_term_id", "incoming_term_id", "effects"
    )
    for handoff in handoffs:
        moved = sum(len(e.ids) for e in handoff.effect_list if e.participant == HANDOFF_PARTICIPANT)
        for term_id, name in ((handoff.outgoing_term_id, "handed_on"), (handoff.incoming_term_id, "inherited")):
            if str(term_id) in out:
                out[str(term_id)][name] = (out[str(term_id)][name] or 0) + moved
    return out


def share(part: int | None, whole: int | None) -> int | None:
    """Return `part` of `whole` in whole percent, or None when there is nothing to measure."""
    return round(100 * part / whole) if whole and part is not None else None


@dataclass(frozen=True)
class WithinTarget:
    """First contact within target: how many were measured (their target passed, or they were contacted) and met it."""

    within: int = 0
    due: int = 0

    @property
    def rate(self) -> int | None:
        """The share first contacted by their target, in whole percent (None when none was due)."""
        return share(self.within, self.due)


def first_contact_goal(*, program: Program) -> int:
    """Return the program's goal for first contact within target, in percent (one query)."""
    goal = IssueSettings.objects.filter(program=program).values_list("first_contact_goal", flat=True).first()
    return DEFAULT_FIRST_CONTACT_GOAL if goal is None else goal


@dataclass
class Figures:
    """One period's numbers; None where there is nothing to measure (shown as "—")."""

    received: int = 0
    reached: int = 0
    resolved: int = 0
    resolved_satisfied: int = 0
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
    inherited: int | None = None
    handed_on: int | None = None
    within_target: WithinTarget = field(default_factory=WithinTarget)
    within_target_levels: dict = field(default_factory=lambda: {n: WithinTarget() for n in LEVELS})

    @classmethod
    def from_row(cls, row: dict | None, mentions: dict | None = None, baton: dict | None = None) -> "Figures":
        row = row or {}
        mentions = mentions or {}
        baton = baton or {}
        return cls(
            received=row.get("received", 0),
            reached=row.get("reached", 0),
            resolved=row.get("resolved", 0),
            resolved_satisfied=row.get("resolved_satisfied", 0),
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
            inherited=baton.get("inherited"),
            handed_on=baton.get("handed_on"),
            within_target=WithinTarget(row.get("contact_within", 0), row.get("contact_due", 0)),
            within_target_levels={
                n: WithinTarget(row.get(f"contact_within_{n}", 0), row.get(f"contact_due_{n}", 0)) for n in LEVELS
            },
        )

    @property
    def resolution_rate(self) -> float | None:
        """The share of the period's issues that are resolved, in percent (None without issues)."""
        return round(100 * self.resolved / self.received, 1) if self.received else None


def figures_for_terms(*, program: Program, terms: list[Term], now: datetime | None = None) -> dict[int, Figures]:
    """Return {term id: Figures} for the program's `terms`: two queries (four on SQLite)."""
    now = now or timezone.now()
    rows = cohort_rows(HotIssue.objects.filter(program=program), term_periods(terms), now, targets=True)
    baton = baton_counts(terms)
    return {t.pk: Figures.from_row(rows.get(str(t.pk)), baton=baton[str(t.pk)]) for t in terms}


@dataclass
class Trend:
    """The headline: median time to first contact, from the oldest recent term with data to the latest."""

    first: Term | None = None
    last: Term | None = None
    first_seconds: float | None = None
    last_seconds: float | None = None
    terms: int = 0  # how many terms the trend spans

    @property
    def has_data(self) -> bool:
        return self.first is not None

    @property
    def is_change(self) -> bool:
        return self.first is not None and self.last is not None and self.first.pk != self.last.pk

    @property
    def faster(self) -> bool:
        return self.is_change and self.last_seconds < self.first_seconds


def first_contact_trend(terms: list[Term], figures: dict[int, Figures]) -> Trend:
    """Return the median time to first contact over `terms` (any order): oldest with data → latest with data."""
    measured = [t for t in sorted(terms, key=lambda t: t.starts_at) if figures[t.pk].outreach_median is not None]
    if not measured:
        return Trend(terms=len(terms))
    first, last = measured[0], measured[-1]
    return Trend(
        first=first,
        last=last,
        first_seconds=figures[first.pk].outreach_median,
        last_seconds=figures[last.pk].outreach_median,
        terms=len(terms),
    )
