"""Reads for themes: a program's themes by impact, one theme's impact, issues and fix history, and
the issues of its root cause received per week before and after its fix shipped."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from advocacy.models import Program
from core import joined, prepared
from issues.models import Department, HotIssue, RootCause

from .models import FIX_ORDER, OPEN_FIX_STATUSES, FixStatus, FixStatusChange, Theme, ThemeImpact, ThemeIssue

WEEKS_EACH_SIDE = 8


def _with_impact(qs: QuerySet[Theme]) -> QuerySet[Theme]:
    # Each theme's figures are kept in its impact row by the database (ThemeImpact): one join, no
    # counting of links per theme listed.
    return qs.annotate(
        issue_count=Coalesce(F("impact_counts__issues"), 0),
        customer_count=Coalesce(F("impact_counts__customers"), 0),
        level_sum=Coalesce(F("impact_counts__level_sum"), 0),
        public_count=Coalesce(F("impact_counts__public"), 0),
        latest_at=F("impact_counts__latest_at"),
    )


def themes_by_impact(*, program: Program, open_only: bool = True) -> QuerySet[Theme]:
    """Return the program's themes, the most hurtful first (sum of dissatisfaction, then issues, then latest)."""
    qs = Theme.objects.filter(program=program).select_related(
        "program", "root_cause", "owner_department", "owner_member"
    )
    if open_only:
        qs = qs.filter(fix_status__in=OPEN_FIX_STATUSES)
    return _with_impact(qs).order_by("-level_sum", "-issue_count", "-latest_at", "-pk")


def open_themes_across(*, program_ids) -> QuerySet[Theme]:
    """Return the open themes of these programs (ids or a subquery), the most hurtful first, with their program."""
    qs = Theme.objects.filter(program_id__in=program_ids, fix_status__in=OPEN_FIX_STATUSES).select_related(
        "program", "root_cause", "owner_department", "owner_member"
    )
    return _with_impact(qs).order_by("-level_sum", "-issue_count", "-latest_at", "-pk")


def theme_of(*, program: Program, pk: int) -> Theme:
    """Return the program's theme `pk` with what its page shows, its impact included (404 otherwise)."""
    if connection.vendor == "postgresql":
        theme = _theme_of_sql(program_id=program.pk, pk=pk)
    else:
        theme = (
            _with_impact(Theme.objects.select_related("root_cause", "owner_department", "owner_member"))
            .filter(program=program, pk=pk)
            .first()
        )
    if theme is None:
        raise Http404("No such theme.")
    theme.program = program  # the caller's, already fetched: no join for it
    return theme


_THEME_JOINED = ((Theme, "t"), (RootCause, "rc"), (Department, "d"), (get_user_model(), "u"))


def _theme_of_sql(*, program_id: int, pk: int) -> Theme | None:
    """theme_of's query on PostgreSQL, written out (core.joined): the ORM took longer to compile it."""
    sql = (
        f"SELECT {joined.columns(_THEME_JOINED)}, "  # noqa: S608 — model columns and tables
        "i.issues, i.customers, i.level_sum, i.public, i.latest_at "
        f"FROM {Theme._meta.db_table} t JOIN {RootCause._meta.db_table} rc ON rc.id = t.root_cause_id "
        f"LEFT JOIN {Department._meta.db_table} d ON d.id = t.owner_department_id "
        f"LEFT JOIN {get_user_model()._meta.db_table} u ON u.id = t.owner_member_id "
        f"LEFT JOIN {ThemeImpact._meta.db_table} i ON i.theme_id = t.id "
        "WHERE t.program_id = %s AND t.id = %s"
    )
    found = joined.fetch_one(sql, [program_id, pk], _THEME_JOINED)
    if found is None:
        return None
    (theme, root_cause, department, member), (issues, customers, level_sum, public, latest_at) = found
    theme.root_cause, theme.owner_department, theme.owner_member = root_cause, department, member
    # As _with_impact annotates them.
    theme.issue_count, theme.customer_count = issues or 0, customers or 0
    theme.level_sum, theme.public_count, theme.latest_at = level_sum or 0, public or 0, latest_at
    return theme


@dataclass(frozen=True)
class Impact:
    issues: int
    customers: int
    level_sum: int
    public: int
    latest_at: datetime | None


def impact(*, theme: Theme) -> Impact:
    """Return how much the theme's issues hurt, as the database keeps it (ThemeImpact).

    A theme from theme_of or the lists carries its figures already (no query);
    any other is read afresh.
    """
    if not hasattr(theme, "issue_count"):
        theme = _with_impact(Theme.objects.filter(pk=theme.pk)).get()
    return Impact(
        issues=theme.issue_count,
        customers=theme.customer_count,
        level_sum=theme.level_sum,
        public=theme.public_count,
        latest_at=theme.latest_at,
    )


# What a row of the theme's issues shows (themes.rows.issue_rows).
_ISSUE_ROW_FIELDS = (
    "id",
    "title",
    "level",
    "status",
    "public",
    "created_at",
    "customer__name",
    "customer__email",
    "customer__phone",
)


class ThemeIssues:
    """A theme's issues, the last added first, for a paginator to slice.

    A slice picks its links by the (theme, added) index first and then reads
    only those issues, so a page deep in a long theme skips index entries
    instead of joining every issue before it (one query a page).
    """

    def __init__(self, theme: Theme):
        self.theme = theme

    def count(self) -> int:
        return ThemeIssue.objects.filter(theme=self.theme).count()

    def __getitem__(self, window: slice) -> list[HotIssue]:
        if not isinstance(window, slice):
            raise TypeError("Take a slice (a page) of the theme's issues.")
        links = ThemeIssue.objects.filter(theme=self.theme).order_by("-added_at", "-id").values("id")[window]
        return list(
            HotIssue.objects.filter(theme_links__in=links)
            .select_related("customer")
            .only(*_ISSUE_ROW_FIELDS)
            .order_by("-theme_links__added_at", "-theme_links__id")
        )


def theme_issues(*, theme: Theme) -> ThemeIssues:
    """Return the theme's issues, the last added first, with what a row shows (paginate it)."""
    return ThemeIssues(theme)


def fix_history(*, theme: Theme) -> QuerySet[FixStatusChange]:
    return FixStatusChange.objects.filter(theme=theme).select_related("by").order_by("at", "id")


@dataclass(frozen=True)
class WeekCount:
    offset: int  # weeks from the ship date: -8 … -1 before, 0 … 7 after
    start: datetime
    n: int


def before_and_after(*, theme: Theme, weeks: int = WEEKS_EACH_SIDE) -> list[WeekCount] | None:
    """Return the issues with the theme's root cause received per week, `weeks` before and after the fix shipped.

    None while the fix has not shipped. One query, read from the (program,
    root cause, received) index alone.
    """
    if theme.shipped_at is None:
        return None
    ship = theme.shipped_at
    bounds = [ship + timedelta(weeks=i) for i in range(-weeks, weeks + 1)]
    counts = (weekly_counts_sql if connection.vendor == "postgresql" else weekly_counts)(theme=theme, bounds=bounds)
    return [
        WeekCount(offset=i - weeks, start=start, n=n)
        for i, (start, n) in enumerate(zip(bounds[:-1], counts, strict=True))
    ]


def _of_cause(theme: Theme, bounds: list[datetime]) -> QuerySet[HotIssue]:
    return HotIssue.objects.filter(
        program_id=theme.program_id,
        root_cause_id=theme.root_cause_id,
        created_at__gte=bounds[0],
        created_at__lt=bounds[-1],
    )


def weekly_counts(*, theme: Theme, bounds: list[datetime]) -> list[int]:
    """Return how many issues of the theme's root cause were received in each [bounds[i], bounds[i + 1])."""
    # Counting created_at (not id) keeps it an index-only scan: every column read is in the index.
    found = _of_cause(theme, bounds).aggregate(
        **{
            f"w{i}": Count("created_at", filter=Q(created_at__gte=start, created_at__lt=end))
            for i, (start, end) in enumerate(pairwise(bounds))
        }
    )
    return [found[f"w{i}"] for i in range(len(bounds) - 1)]


def weekly_counts_sql(*, theme: Theme, bounds: list[datetime]) -> list[int]:
    """weekly_counts on PostgreSQL: each row's week found by width_bucket (a binary search), grouped.

    The ORM's sixteen filtered counts took longer to build than to run.
    """
    sql, params = _of_cause(theme, bounds).order_by().values("created_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT width_bucket(created_at, %s::timestamptz[]), count(*) FROM ({sql}) AS found GROUP BY 1",  # noqa: S608 — compiled by the ORM
            [bounds[:-1], *params],
        )
        found = dict(cursor.fetchall())
    # Bucket i + 1 holds [bounds[i], bounds[i + 1]); the query reads nothing outside the bounds.
    return [found.get(i + 1, 0) for i in range(len(bounds) - 1)]


def open_themes_for(*, program_ids: list[int]) -> QuerySet[Theme]:
    """Return the open themes of these programs (for adding issues from the log), by program then title."""
    return (
        Theme.objects.filter(program_id__in=program_ids, fix_status__in=OPEN_FIX_STATUSES)
        .select_related("program")
        .order_by("program__name", "title")
    )


def open_theme_choices(*, program_ids: list[int]) -> list[tuple[int, str, str]]:
    """Return (pk, title, program name) of the open themes of these programs, by program then title.

    What the log's "Add to theme" lists on every page: written out, because
    compiling the ORM's join and order cost more than running it.
    """
    if not program_ids:
        return []
    theme, program = Theme._meta.db_table, Program._meta.db_table
    marks, statuses = ", ".join(["%s"] * len(program_ids)), ", ".join(["%s"] * len(OPEN_FIX_STATUSES))
    return prepared.fetch_all(
        f"SELECT t.id, t.title, p.name FROM {theme} t JOIN {program} p ON p.id = t.program_id "  # noqa: S608 — table names
        f"WHERE t.program_id IN ({marks}) AND t.fix_status IN ({statuses}) ORDER BY p.name, t.title, t.id",
        [*map(int, program_ids), *OPEN_FIX_STATUSES],
        planned_once=True,
    )


def themes_of_issue(*, issue: HotIssue) -> QuerySet[Theme]:
    return Theme.objects.filter(links__issue=issue).order_by("title")


def fix_status_counts(*, program: Program) -> list[tuple[str, int]]:
    """Return how many of the program's themes have their fix in each status, in the fix's order (one query)."""
    found = dict(Theme.objects.filter(program=program).values_list("fix_status").annotate(n=Count("id")))
    return [(status.label, found.get(status.value, 0)) for status in FIX_ORDER]


def shipped_per_period(*, program: Program, periods: list[tuple[object, datetime, datetime]]) -> dict:
    """Return key -> how many fixes of the program shipped in [start, end), for each (key, start, end) (one query)."""
    if not periods:
        return {}
    row = FixStatusChange.objects.filter(theme__program=program, to_status=FixStatus.SHIPPED).aggregate(
        **{f"p{i}": Count("id", filter=Q(at__gte=start, at__lt=end)) for i, (_, start, end) in enumerate(periods)}
    )
    return {key: row[f"p{i}"] for i, (key, _, _) in enumerate(periods)}


def themes_worked_by(*, program: Program, user_id: int, start: datetime, end: datetime) -> list[dict]:
    """Return the themes `user_id` raised or whose fix they moved in [start, end), as plain values for a
    frozen report: title, whether they raised it, and the fix steps they moved it to, in order (one query)."""
    changes = (
        FixStatusChange.objects.filter(theme__program=program, by_id=user_id, at__gte=start, at__lt=end)
        .select_related("theme")
        .order_by("theme_id", "at", "id")
    )
    found: dict[int, dict] = {}
    for change in changes:
        entry = found.setdefault(change.theme_id, {"title": change.theme.title, "raised": False, "moves": []})
        if not change.from_status:
            entry["raised"] = True
        else:
            entry["moves"].append(change.get_to_status_display())
    return list(found.values())
