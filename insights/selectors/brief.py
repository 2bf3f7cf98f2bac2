"""The customer's-chair brief: the open themes that hurt most, the top open issues in the customers' words,
this week against last, recurring departments and sources."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from advocacy.models import Program
from core.scrub import redact
from issues.models import OPEN_Q, HotIssue, Level, Source, Status, Transfer, overdue_q
from issues.selectors import priority_ids
from rotations.selectors import current_advocate
from themes.selectors import themes_by_impact

from .. import snapshots
from ..models import BriefQuestion
from .health import week_start

THEME_WEEKS = 4
TOP_ISSUES = 5
TOP_THEMES = 3


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
    # The open themes (outer loop) with the most impact: what the brief leads with.
    open_themes: list = field(default_factory=list)


def top_issues(*, program: Program, now: datetime, limit: int = TOP_ISSUES) -> list[BriefIssue]:
    """Return the open issues at the top of the log, in the customers' words with contact details removed."""
    # The log's top `limit` for this program, in the log's one order.
    open_issues = HotIssue.objects.filter(OPEN_Q, program=program)
    ids = priority_ids(open_issues, program_ids=[program.pk], counts=None, offset=0, limit=limit, now=now)
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
            "first_outreach_at",
            "first_outreach_due_at",
            "department__name",
            # Read only to be removed from the words; never shown.
            "customer__name",
            "customer__email",
            "customer__phone",
            "customer__company",
        )
    }
    rows = [fetched[pk] for pk in ids if pk in fetched]
    for row in rows:  # overdue as the log decides it (HotIssue.overdue_by, overdue_q's twin)
        row["overdue"] = HotIssue(
            status=row["status"],
            first_outreach_at=row["first_outreach_at"],
            first_outreach_due_at=row["first_outreach_due_at"],
        ).is_overdue_at(now)
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
        open_themes=list(themes_by_impact(program=program)[:TOP_THEMES]),
    )
