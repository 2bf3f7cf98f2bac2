"""The company view: every program at a glance, for a customer-experience lead (read-only).

Each figure is read for all the programs of a page at once (one GROUP BY
program, or the counts the database keeps), never one query per program, so a
page costs the same handful of queries with 5 programs or 200.

- The directory: who is each team's customers' advocate now, who is next, and
  who manages the program.
- The health table: open and overdue issues now (live, from the kept counts),
  and, as of a few minutes ago, open runarounds and for the issues received in
  the last four weeks the time to first contact and the satisfaction, against
  the four weeks before. Those figures sort hundreds of thousands of rows at a
  million issues, so each program's are stored (FigureSnapshot "company") and
  refreshed every few minutes by the snapshot job; a page computes only the
  programs it finds without fresh figures, all of them in one query, and
  stores them.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet
from django.utils import timezone

from advocacy.models import Membership, Program
from issues.models import OPEN_Q, OPEN_STATUSES, HotIssue, overdue_q
from issues.selectors import open_level_counts
from rotations.selectors import Baton, batons
from themes.selectors import open_themes_across

from .. import snapshots
from ..models import FigureSnapshot
from .figures import Period, cohort_rows
from .health import Figures

RECENT = timedelta(weeks=4)  # the period the health table measures, compared with the one before it
OPEN_STATUS_VALUES = [s.value for s in OPEN_STATUSES]
SNAPSHOT = "company"  # FigureSnapshot.name of a program's line in the company health table
SNAPSHOT_KEY = f"{RECENT.days}d"


def company_programs() -> QuerySet[Program]:
    """Return every active program, by name (what the directory and the health table list)."""
    return Program.objects.filter(is_active=True).order_by("name", "pk").only("pk", "name", "slug", "time_zone")


@dataclass
class DirectoryRow:
    program: Program
    baton: Baton
    managers: list[AbstractBaseUser] = field(default_factory=list)


def themes_across_programs() -> QuerySet:
    """Return the open themes of every active program, the most hurtful first (for leads)."""
    return open_themes_across(program_ids=company_programs().values("pk"))


def directory(*, programs: list[Program], now: datetime | None = None) -> list[DirectoryRow]:
    """Return each program's advocate now, the next term and its managers: four queries for any number of programs."""
    now = now or timezone.now()
    ids = [p.pk for p in programs]
    held = batons(program_ids=ids, at=now)
    managers: dict[int, list] = {}
    rows = (
        Membership.objects.filter(program_id__in=ids, role=Membership.Role.MANAGER, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    for membership in rows:
        managers.setdefault(membership.program_id, []).append(membership.user)
    return [DirectoryRow(program=p, baton=held[p.pk], managers=managers.get(p.pk, [])) for p in programs]


@dataclass
class HealthRow:
    """One program's line in the company health table."""

    program: Program
    open: int = 0
    overdue: int = 0
    runaround: int = 0
    recent: Figures = field(default_factory=Figures)
    previous: Figures = field(default_factory=Figures)
    as_of: datetime | None = None  # when the runarounds and the cohorts were computed

    @property
    def received_change(self) -> int | None:
        """Issues received in the last four weeks against the four before, in percent (None without any before)."""
        if not self.previous.received:
            return None
        return round(100 * (self.recent.received - self.previous.received) / self.previous.received)

    @property
    def outreach_change(self) -> float | None:
        """How many seconds slower (positive) or faster (negative) the median first contact is than before."""
        if self.recent.outreach_median is None or self.previous.outreach_median is None:
            return None
        return self.recent.outreach_median - self.previous.outreach_median

    @property
    def satisfaction_change(self) -> float | None:
        if self.recent.satisfaction is None or self.previous.satisfaction is None:
            return None
        return round(self.recent.satisfaction - self.previous.satisfaction, 1)


def _open_counts(ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
    """{program: {"open", "overdue"}}: from the kept counts on PostgreSQL (two small queries), else one GROUP BY."""
    counts: dict[int, dict[str, int]] = {}
    kept = open_level_counts(program_ids=ids, statuses=OPEN_STATUS_VALUES, now=now)
    if kept is not None:
        for (program_id, _level), c in kept.per_program.items():
            row = counts.setdefault(program_id, {"open": 0, "overdue": 0})
            row["open"] += c["n"]
            row["overdue"] += c["overdue"]
        return counts
    rows = (
        HotIssue.objects.filter(OPEN_Q, program_id__in=ids)
        .order_by()
        .values_list("program_id")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_q(now)))
    )
    return {pid: {"open": n, "overdue": late} for pid, n, late in rows}


def stored_figures(*, program_ids: list[int], now: datetime) -> dict[int, dict]:
    """Compute and store the runaround count and both four-week cohorts of these programs: three queries in all.

    Returns {program: {"runaround": n, "recent": row, "previous": row}}, the
    rows as insights.selectors.figures.cohort_rows returns them.
    """
    if not program_ids:
        return {}
    runarounds = dict(
        HotIssue.objects.filter(OPEN_Q, program_id__in=program_ids, runaround=True)
        .order_by()
        .values_list("program_id")
        .annotate(n=Count("id"))
    )
    split = now - RECENT
    periods = [Period("recent", split, now), Period("previous", split - RECENT, split)]
    cohorts = cohort_rows(HotIssue.objects.filter(program_id__in=program_ids), periods, now, by="program_id")
    figures = {
        pid: {
            "runaround": runarounds.get(pid, 0),
            "recent": cohorts.get(f"{pid}:recent"),
            "previous": cohorts.get(f"{pid}:previous"),
        }
        for pid in program_ids
    }
    FigureSnapshot.objects.bulk_create(
        [
            FigureSnapshot(program_id=pid, name=SNAPSHOT, key=SNAPSHOT_KEY, data=data, computed_at=now, seconds=0)
            for pid, data in figures.items()
        ],
        update_conflicts=True,
        unique_fields=["program", "name"],
        update_fields=["key", "data", "computed_at", "seconds"],
    )
    return figures


def refresh_stored_figures(*, program: Program, now: datetime, refresh: bool = True) -> dict:
    """The snapshot job's builder for one program's company line (see insights.services.SNAPSHOT_BUILDERS)."""
    return stored_figures(program_ids=[program.pk], now=now)[program.pk]


def health_table(*, programs: list[Program], now: datetime | None = None) -> list[HealthRow]:
    """Return the health line of each program: a fixed number of queries, whatever the number of programs.

    Open and overdue are live, from the kept counts. The rest is read from the
    stored figures in one query; programs without fresh ones (new, or the job
    fell behind) are computed together and stored (stored_figures).
    Each row's `as_of` says when its stored figures were computed.
    """
    now = now or timezone.now()
    ids = [p.pk for p in programs]
    if not ids:
        return []
    opened = _open_counts(ids, now)
    stored = {
        pid: (data, at)
        for pid, data, at in FigureSnapshot.objects.filter(
            program_id__in=ids, name=SNAPSHOT, key=SNAPSHOT_KEY, computed_at__gt=now - snapshots.FRESH_FOR
        ).values_list("program_id", "data", "computed_at")
    }
    missing = [pid for pid in ids if pid not in stored]
    for pid, data in stored_figures(program_ids=missing, now=now).items():
        stored[pid] = (data, now)
    rows = []
    for program in programs:
        counts = opened.get(program.pk, {})
        data, as_of = stored[program.pk]
        rows.append(
            HealthRow(
                program=program,
                open=counts.get("open", 0),
                overdue=max(counts.get("overdue", 0), 0),
                runaround=data["runaround"],
                recent=Figures.from_row(data["recent"]),
                previous=Figures.from_row(data["previous"]),
                as_of=as_of,
            )
        )
    return rows
