"""Reads for themes: a program's themes by impact, one theme's impact, issues and fix history, and
the issues of its root cause received per week before and after its fix shipped."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from advocacy.models import Program
from issues.models import HotIssue

from .models import FIX_ORDER, OPEN_FIX_STATUSES, FixStatus, FixStatusChange, Theme

WEEKS_EACH_SIDE = 8


def _with_impact(qs: QuerySet[Theme]) -> QuerySet[Theme]:
    return qs.annotate(
        issue_count=Count("links", distinct=True),
        customer_count=Count("links__issue__customer", distinct=True),
        level_sum=Sum("links__issue__level"),
        public_count=Count("links", filter=Q(links__issue__public=True)),
        latest_at=Max("links__issue__created_at"),
    )


def themes_by_impact(*, program: Program, open_only: bool = True) -> QuerySet[Theme]:
    """Return the program's themes, the most hurtful first (sum of dissatisfaction, then issues, then latest)."""
    qs = Theme.objects.filter(program=program).select_related("root_cause", "owner_department", "owner_member")
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
    """Return the program's theme `pk` with what its page shows (404 otherwise)."""
    theme = (
        Theme.objects.select_related("program", "root_cause", "owner_department", "owner_member", "created_by")
        .filter(program=program, pk=pk)
        .first()
    )
    if theme is None:
        raise Http404("No such theme.")
    return theme


@dataclass(frozen=True)
class Impact:
    issues: int
    customers: int
    level_sum: int
    public: int
    latest_at: datetime | None


def impact(*, theme: Theme) -> Impact:
    """Return how much the theme's issues hurt, in one query."""
    row = HotIssue.objects.filter(theme_links__theme=theme).aggregate(
        issues=Count("id"),
        customers=Count("customer", distinct=True),
        level_sum=Sum("level"),
        public=Count("id", filter=Q(public=True)),
        latest_at=Max("created_at"),
    )
    return Impact(
        issues=row["issues"],
        customers=row["customers"],
        level_sum=row["level_sum"] or 0,
        public=row["public"],
        latest_at=row["latest_at"],
    )


def theme_issues(*, theme: Theme) -> QuerySet[HotIssue]:
    """Return the theme's issues, the last added first, with what a row shows (paginate it)."""
    return (
        HotIssue.objects.filter(theme_links__theme=theme)
        .select_related("customer", "root_cause")
        .only(
            "id",
            "title",
            "level",
            "status",
            "public",
            "created_at",
            "customer__name",
            "customer__email",
            "customer__phone",
            "root_cause__name",
            "root_cause__retired_at",
            "program_id",
        )
        .order_by("-theme_links__added_at", "-theme_links__id")
    )


def fix_history(*, theme: Theme) -> QuerySet[FixStatusChange]:
    return FixStatusChange.objects.filter(theme=theme).select_related("by").order_by("at", "id")


@dataclass(frozen=True)
class WeekCount:
    offset: int  # weeks from the ship date: -8 … -1 before, 0 … 7 after
    start: datetime
    n: int


def before_and_after(*, theme: Theme, weeks: int = WEEKS_EACH_SIDE) -> list[WeekCount] | None:
    """Return the issues with the theme's root cause received per week, `weeks` before and after the fix shipped.

    None while the fix has not shipped. One query (a count per week), read by
    the (program, root cause, received) index.
    """
    if theme.shipped_at is None:
        return None
    ship = theme.shipped_at
    starts = [ship + timedelta(weeks=i) for i in range(-weeks, weeks)]
    counts = HotIssue.objects.filter(
        program_id=theme.program_id,
        root_cause_id=theme.root_cause_id,
        created_at__gte=starts[0],
        created_at__lt=ship + timedelta(weeks=weeks),
    ).aggregate(
        **{
            f"w{i}": Count("id", filter=Q(created_at__gte=start, created_at__lt=start + timedelta(weeks=1)))
            for i, start in enumerate(starts)
        }
    )
    return [WeekCount(offset=i - weeks, start=start, n=counts[f"w{i}"]) for i, start in enumerate(starts)]


def open_themes_for(*, program_ids: list[int]) -> QuerySet[Theme]:
    """Return the open themes of these programs (for adding issues from the log), by program then title."""
    return (
        Theme.objects.filter(program_id__in=program_ids, fix_status__in=OPEN_FIX_STATUSES)
        .select_related("program")
        .order_by("program__name", "title")
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
