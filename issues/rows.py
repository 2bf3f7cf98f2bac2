"""Render the log's rows in Python.

The log is the screen advocates live in, so its 25 rows are built as strings
(several times faster than a template include per row). Every value passes
through `_e` (the standard library's html.escape, as Django's own `escape`
does), so customer text is always escaped; the markup around it is constant.
The quick outreach form, shown in one row at a time, stays a template.
"""

from datetime import datetime
from html import escape

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.links import reverse_once
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

CAME_BACK_FLAG = (
    '<span class="flag flag-came-back" title="Asked again after the resolution, the customer was unhappy: reopened">'
    '<i class="bi bi-arrow-counterclockwise" aria-hidden="true"></i> Came back</span>'
)


def esc(value) -> str:
    """Escape a value for HTML text or a quoted attribute (rows built as strings, here and in themes.rows)."""
    return escape(str(value), quote=True)


def csrf_input(request: HttpRequest, token: str | None = None) -> str:
    """Return the CSRF hidden input, once per page, for the forms of rows built as strings (with
    `token`, that masked token: the page's own forms can share it)."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token or get_token(request))


REPEAT_FLAG = (
    '<span class="flag flag-repeat" title="This customer had another issue in the 90 days before this one">'
    '<i class="bi bi-arrow-clockwise" aria-hidden="true"></i> Repeat</span>'
)
AT_RISK_FLAG = (
    '<span class="flag flag-at-risk" title="This customer has been leaving or going public, '
    'or twice very unhappy within a year">'
    '<i class="bi bi-exclamation-octagon" aria-hidden="true"></i> At risk</span>'
)
_SLUG, _PK = "s-l-u-g", 987654321
_customer_url_pattern: list[str] = []


def customer_url(slug: str, pk: int) -> str:
    """Return the customer's page, reversing the URL once per process rather than once per row."""
    if not _customer_url_pattern:
        _customer_url_pattern.append(reverse("issues:customer", kwargs={"slug": _SLUG, "pk": _PK}))
    return _customer_url_pattern[0].replace(_SLUG, slug).replace(str(_PK), str(int(pk)))


def detail_urls(name: str = "issues:detail"):
    """Return pk -> the issue's page named `name` (any URL ending in `<pk>/`), reversing it once rather than per row."""
    prefix = reverse_once(name, pk=1).removesuffix("1/")
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
    `read_only` (the company log) leaves out the actions; its title links to
    the page `url_for` names (the company's read-only issue page, given by the
    caller), or to nothing without one: the issue's own page is the members'.
    """
    raw_url = url_for(issue.pk) if url_for else ("" if read_only else issue.get_absolute_url())
    url = esc(raw_url)
    late_by = issue.overdue_by(now)
    flags = []
    if late_by:
        flags.append(
            f'<span class="flag flag-overdue" title="First outreach was due {format_moment(issue.first_outreach_due_at)}">'
            f'<i class="bi bi-alarm" aria-hidden="true"></i> {esc(late(late_by))} late</span>'
        )
    if issue.runaround:
        flags.append(
            f'<span class="flag flag-runaround" title="Transferred {int(issue.transfer_count)} times or sent back">'
            '<i class="bi bi-arrow-repeat" aria-hidden="true"></i> Runaround</span>'
        )
    if issue.came_back_at:
        flags.append(CAME_BACK_FLAG)
    if issue.public:
        flags.append(PUBLIC_FLAG)
    if issue.is_repeat:
        flags.append(REPEAT_FLAG)
    if issue.customer_at_risk:
        flags.append(AT_RISK_FLAG)
    flags.append(f'<span class="flag flag-status">{esc(STATUSES.get(issue.status, issue.status))}</span>')

    who = esc(issue.customer_label or "Unknown customer")
    if issue.customer_id is not None and not read_only:
        # The customer's name opens their page: every issue of theirs on one timeline.
        who = f'<a class="customer-link" href="{esc(customer_url(issue.program_slug, issue.customer_id))}">{who}</a>'
    meta = [
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
    meta_html = f'<span><i class="bi bi-person" aria-hidden="true"></i>{who}</span>' + "".join(
        f'<span class="{css}"><i class="bi bi-{icon}" aria-hidden="true"></i>{esc(text)}</span>'
        for icon, css, text in meta
    )

    extra = ""
    if error:
        extra += f'<div class="alert alert-danger py-1 px-2 small mt-2 mb-0" role="alert">{esc(error)}</div>'
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
        f'<span class="title">{esc(issue.title)}</span>'
        if not raw_url
        else f'<a class="title" href="{url}">{esc(issue.title)}</a>'
    )
    level = int(issue.level)
    select = (
        f'<input class="form-check-input row-select" type="checkbox" name="issues" value="{int(issue.pk)}" '
        f'form="log-select" aria-label="Select “{esc(issue.title)}”">'
        if selectable
        else ""
    )
    return mark_safe(  # noqa: S308 — every value above is escaped with _e or is an int
        f'<li class="issue-row level-{level}{" is-overdue" if late_by else ""}" id="issue-{int(issue.pk)}">{select}'
        f'<span class="level-badge" title="Dissatisfaction {level}: {esc(LEVELS.get(level, ""))}">{level}</span>'
        '<div class="flex-grow-1 min-w-0">'
        '<div class="d-flex flex-wrap align-items-center gap-2 mb-1">'
        f'{title}<span class="flags">{"".join(flags)}</span></div>'
        f'<div class="meta">{meta_html}</div>{extra}</div>{actions}</li>'
    )
