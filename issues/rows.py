"""Render the log's rows in Python.

The log is the screen advocates live in, so its 25 rows are built as strings
(several times faster than a template include per row). Every value passes
through `_e` (the standard library's html.escape, as Django's own `escape`
does), so customer text is always escaped; the markup around it is constant.
The quick outreach form, shown in one row at a time, stays a template.
"""

from datetime import datetime
from html import escape

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from core.when import format_moment

from .models import OPEN_VALUES, Level, Source, Status
from .selectors import LogRow
from .services import next_statuses
from .templatetags.issues_tags import ago, late

LEVELS = dict(Level.choices)
STATUSES = dict(Status.choices)
SOURCES = dict(Source.choices)

# How each status a row's menu can move an issue to is offered; which ones it offers
# comes from the service's transition table (services.next_statuses).
STATUS_ITEMS = {
    status: f'<li><button class="dropdown-item" name="status" value="{status.value}">{status.label}</button></li>'
    for status in (Status.CONTACTED, Status.IN_PROGRESS)
}
# Closing asks for the root cause, so it opens the issue page's form (as "Resolve…" does).
STATUS_ITEMS[Status.UNREACHABLE] = ""
PUBLIC_FLAG = (
    '<span class="flag flag-public" title="Visible on social media or review sites">'
    '<i class="bi bi-broadcast" aria-hidden="true"></i> Public</span>'
)


def _e(value) -> str:
    """Escape a value for HTML text or a quoted attribute."""
    return escape(str(value), quote=True)


def detail_urls():
    """Return pk -> the issue's page, reversing the URL once rather than once per row."""
    prefix = reverse("issues:detail", kwargs={"pk": 1}).removesuffix("1/")
    return lambda pk: f"{prefix}{pk}/"


def _status_menu(issue: LogRow, url: str, csrf_input: str) -> str:
    allowed = next_statuses(issue.status)
    items = "".join(STATUS_ITEMS[status] for status in allowed)
    unreachable = (
        f'<li><a class="dropdown-item" href="{url}?open=unreachable">Unreachable — close…</a></li>'
        '<li><hr class="dropdown-divider"></li>'
        if Status.UNREACHABLE in allowed
        else ""
    )
    return (
        '<div class="actions">'
        f'<button class="btn btn-sm btn-outline-success" type="button" hx-get="{url}outreach/quick/" '
        f'hx-target="#issue-{issue.pk}" hx-swap="outerHTML" title="Log an outreach attempt">'
        '<i class="bi bi-telephone-outbound" aria-hidden="true"></i><span class="ms-1">Outreach</span></button>'
        f'<form class="dropdown" hx-post="{url}status/" hx-target="#issue-{issue.pk}" hx-swap="outerHTML" '
        f'method="post" action="{url}status/">{csrf_input}'
        '<button class="btn btn-sm btn-outline-secondary dropdown-toggle" type="button" data-bs-toggle="dropdown" '
        'aria-expanded="false">Status</button>'
        f'<ul class="dropdown-menu dropdown-menu-end">{items}'
        f'{unreachable}<li><a class="dropdown-item" href="{url}?open=resolve">Resolve…</a></li></ul></form></div>'
    )


def render_row(
    issue: LogRow,
    *,
    now: datetime,
    csrf_input: str,
    single_program: bool = False,
    quick_form=None,
    error: str = "",
    request=None,
    url_for=None,
    read_only: bool = False,
    selectable: bool = False,
) -> SafeString:
    """Return one log row (a LogRow, from the selectors) as HTML (an <li id="issue-PK">).

    `url_for` (from detail_urls) saves a URL reverse per row when rendering a page.
    `read_only` (the company log) leaves out the actions and the link to the
    issue's page, which only the program's members open.
    """
    raw_url = url_for(issue.pk) if url_for else issue.get_absolute_url()
    url = _e(raw_url)
    late_by = issue.overdue_by(now)
    flags = []
    if late_by:
        flags.append(
            f'<span class="flag flag-overdue" title="First outreach was due {format_moment(issue.first_outreach_due_at)}">'
            f'<i class="bi bi-alarm" aria-hidden="true"></i> {_e(late(late_by))} late</span>'
        )
    if issue.runaround:
        flags.append(
            f'<span class="flag flag-runaround" title="Transferred {int(issue.transfer_count)} times or sent back">'
            '<i class="bi bi-arrow-repeat" aria-hidden="true"></i> Runaround</span>'
        )
    if issue.public:
        flags.append(PUBLIC_FLAG)
    flags.append(f'<span class="flag flag-status">{_e(STATUSES.get(issue.status, issue.status))}</span>')

    meta = [
        ("person", "", issue.customer_label or "Unknown customer"),
        ("clock", "", ago(issue.created_at)),
        ("person-badge", "", issue.owner_name),
    ]
    if issue.department_id:
        meta.append(("building", "", issue.department_name))
    meta.append(("inbox", "d-none d-md-inline", SOURCES.get(issue.source, issue.source)))
    if issue.next_attempt_due_at:
        css = "text-overdue" if issue.next_attempt_due_at < now else ""
        meta.append(("telephone-forward", css, f"Next try {ago(issue.next_attempt_due_at)}"))
    if not single_program:
        meta.append(("collection", "d-none d-lg-inline", issue.program_name))
    meta_html = "".join(
        f'<span class="{css}"><i class="bi bi-{icon}" aria-hidden="true"></i>{_e(text)}</span>'
        for icon, css, text in meta
    )

    extra = ""
    if error:
        extra += f'<div class="alert alert-danger py-1 px-2 small mt-2 mb-0" role="alert">{_e(error)}</div>'
    if quick_form is not None:
        extra += render_to_string(
            "issues/_quick_outreach.html", {"issue": issue, "outreach_form": quick_form, "u": raw_url}, request=request
        )
    actions = (
        _status_menu(issue, url, csrf_input)
        if issue.status in OPEN_VALUES and quick_form is None and not read_only
        else ""
    )
    title = (
        f'<span class="title">{_e(issue.title)}</span>'
        if read_only
        else f'<a class="title" href="{url}">{_e(issue.title)}</a>'
    )
    level = int(issue.level)
    select = (
        f'<input class="form-check-input row-select" type="checkbox" name="issues" value="{int(issue.pk)}" '
        f'form="log-select" aria-label="Select “{_e(issue.title)}”">'
        if selectable
        else ""
    )
    return mark_safe(  # noqa: S308 — every value above is escaped with _e or is an int
        f'<li class="issue-row level-{level}{" is-overdue" if late_by else ""}" id="issue-{int(issue.pk)}">{select}'
        f'<span class="level-badge" title="Dissatisfaction {level}: {_e(LEVELS.get(level, ""))}">{level}</span>'
        '<div class="flex-grow-1 min-w-0">'
        '<div class="d-flex flex-wrap align-items-center gap-2 mb-1">'
        f'{title}<span class="flags">{"".join(flags)}</span></div>'
        f'<div class="meta">{meta_html}</div>{extra}</div>{actions}</li>'
    )
