"""Render a theme page's issue rows and week rows in Python.

A page shows 25 of the theme's issues and 16 weeks around the ship date; built
as strings they cost a fraction of the template's per-row lookups, URL reversals
and CSRF tokens (as the log's rows do, issues/rows.py). Every value passes
through `issues.rows.esc` (html.escape, as Django's own `escape`), so customer text is always
escaped; the markup around it is constant.
"""

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from core.when import format_day
from issues.models import HotIssue, Status
from issues.rows import detail_urls, esc

from .models import Theme
from .selectors import WeekCount

STATUSES = dict(Status.choices)


def issue_rows(issues: list[HotIssue], *, theme: Theme, csrf_input: str) -> SafeString:
    """Return the list items of a page of the theme's issues, each with its "Take out" form."""
    issue_url = detail_urls()
    remove_prefix = reverse(
        "themes:remove_issue", kwargs={"slug": theme.program.slug, "pk": theme.pk, "issue_pk": 1}
    ).removesuffix("1/remove/")
    rows = []
    for issue in issues:
        title = esc(issue.title)
        level = int(issue.level)
        customer = esc(issue.customer) if issue.customer_id is not None else "Unknown customer"
        public = " · Public" if issue.public else ""
        rows.append(
            f'<li class="list-group-item d-flex flex-wrap gap-2 align-items-center level-{level}">'
            f'<span class="level-badge" title="Dissatisfaction {level}">{level}</span>'
            f'<a class="flex-grow-1 wrap-anywhere min-w-0" href="{issue_url(issue.pk)}">{title}</a>'
            # What it is and "Take out" stay together, wrapping as one to the right.
            '<span class="d-flex gap-2 align-items-center ms-auto">'
            f'<span class="small text-body-secondary">{customer} · {esc(STATUSES.get(issue.status, issue.status))}'
            f"{public} · {format_day(issue.created_at)}</span>"
            f'<form method="post" action="{remove_prefix}{issue.pk}/remove/">{csrf_input}'
            f'<button class="btn btn-sm btn-link p-0" aria-label="Take out “{title}” from the theme">Take out</button>'
            "</form></span></li>"
        )
    return mark_safe("".join(rows))  # noqa: S308 — every value above is escaped or a number


def week_rows(weeks: list[WeekCount], *, peak: int) -> SafeString:
    """Return the table rows of the issues received per week, the ship week marked."""
    rows = []
    for week in weeks:
        shipped = ' class="table-success"' if week.offset == 0 else ""
        offset = f"{week.offset}" if week.offset < 0 else f"+{week.offset}"
        n = int(week.n)
        rows.append(
            f'<tr{shipped}><th scope="row" class="fw-normal text-nowrap">{offset} · {format_day(week.start)}</th>'
            f'<td class="text-end">{n}</td><td><progress class="week-bar" max="{int(peak)}" value="{n}" '
            f'aria-hidden="true">{n}</progress></td></tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 — numbers and dates only
