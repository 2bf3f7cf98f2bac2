"""The hot-issue log, its CSV export, and one log row re-rendered for htmx."""

import csv
from functools import lru_cache
from html import escape

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

from advocacy.permissions import visible_program_ids
from advocacy.selectors import own_time_zone
from core.zones import activate_shared_zone, activate_zone
from rotations.selectors import unacknowledged_handoff_for

from .. import selectors
from ..filters import FLAG_FILTERS, STATUS_CHOICES, EmptyFilters, HotIssueFilter, QuickFilters, chooses_any
from ..importing import export_rows
from ..models import OPEN_STATUSES, HotIssue, Level, Source
from ..panels import log_actions
from ..rows import csrf_input, detail_urls, render_row

PER_PAGE = 25
_NO_ISSUES = HotIssue.objects.none()  # the queryset of rows read by written-out scans (never evaluated)
LEVEL_LABELS = dict(Level.choices)
EXPORT_LIMIT = 50_000


def _lookups(request: HttpRequest, *, company: bool = False) -> selectors.LogLookups:
    """The log's programs, filter lists and per-person lookups (one query); the company log's
    owner and department lists are those of the chosen program only."""
    return selectors.log_lookups(
        user=request.user, every_program=company, lists_for=request.GET.get("program") if company else None
    )


def _filtered(request: HttpRequest, lookups: selectors.LogLookups, *, data=None):
    """Return the filterset for the log over the programs in `lookups` (QuickFilters when they can answer)."""

    def issues():  # built only when a queryset is needed (most pages read none)
        if lookups.every_program:
            return HotIssue.objects.all()
        return HotIssue.objects.filter(program_id__in=[p.pk for p in lookups.programs])

    query = request.GET if data is None else data
    if not query or not chooses_any(query):
        return EmptyFilters(issues)
    options = {
        "programs": lookups.programs,
        "people": lookups.people,
        "departments": lookups.departments,
        "user": request.user,
    }

    def make_filterset(query):
        return HotIssueFilter(query, queryset=issues(), **options)

    if found := QuickFilters.build(query, make_filterset=make_filterset, **options):
        return found
    return make_filterset(query)


def _filter_values(query, filterset) -> dict[str, str]:
    """The filter values as typed, one for every filter (empty when absent): the form re-selects them.

    A missing key in a QueryDict costs the template an exception per lookup.
    """
    return {name: query.get(name, "") for name in filterset.filters}


def options_html(choices, selected: str) -> SafeString:
    """Return `<option>`s for (value, label) pairs, the one equal to `selected` selected.

    The owner and department lists run to a hundred entries and more; built
    here they cost a fraction of a template loop, and the same list (a
    person's programs' people) is built once and kept. Values and labels are
    escaped (html.escape, as the template's autoescape does).
    """
    return _with_selected(_options(tuple((str(value), str(label)) for value, label in choices)), selected)


def _with_selected(html: str, selected: str) -> SafeString:
    """`<option>`s written by _options, the one whose value is `selected` selected."""
    if selected:
        chosen = f'<option value="{escape(str(selected))}">'
        html = html.replace(chosen, f"{chosen[:-1]} selected>", 1)
    return mark_safe(html)  # noqa: S308 — every value is escaped


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[str, str], ...]) -> str:
    return "".join(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in choices)


OVERDUE_CHOICES = (("yes", "Overdue"), ("no", "Not overdue"))
RUNAROUND_CHOICES = (("yes", "Runaround"), ("no", "No runaround"))
PUBLIC_CHOICES = (("yes", "Public"), ("no", "Not public"))
REPEAT_CHOICES = (("yes", "Repeat"), ("no", "First in 90 days"))
AT_RISK_CHOICES = (("yes", "At risk"), ("no", "Not at risk"))
# The filters under "More filters": the panel starts open when one is chosen.
MORE_FILTERS = (
    "source",
    "department",
    "overdue",
    "runaround",
    "public",
    "repeat",
    "at_risk",
    "created_after",
    "created_before",
)


def level_chips_html(counts, chosen: set[int]) -> SafeString:
    """The dissatisfaction chips with their open counts (each what choosing it would show).

    Built here, as the rows are: five chips of a dozen template nodes each cost
    more than the string.
    """
    return mark_safe(  # noqa: S308 — ints and the levels' own labels, escaped
        "".join(
            f'<div class="level-chip level-{int(level)}">'
            f'<input type="checkbox" name="level" value="{int(level)}" id="level-{int(level)}"'
            f"{' checked' if level in chosen else ''}>"
            f'<label for="level-{int(level)}"><span class="lvl" aria-hidden="true">{int(level)}</span> '
            f"{escape(str(LEVEL_LABELS.get(level, '')))} "
            f'<span class="chip-count{"" if c["n"] else " zero"}" id="count-{int(level)}">{int(c["n"])} open</span>'
            "</label></div>"
            for level, c in counts.items()
        )
    )


def person_filters_html(*, shown: bool, company: bool, owner: str, owner_options, department_options, oob=False):
    """Return the owner and department filters (HTML). The company log's show once a program is chosen
    (its people and departments: 200 programs' are no list to read), swapped in (`oob`) when one is."""
    swap = ' hx-swap-oob="true"' if oob else ""
    if not shown:
        owner_html = (
            '<p class="small text-body-secondary mb-1" data-testid="owner-after-program">'
            "Choose a program to filter by owner or department.</p>"
        )
        department_html = ""
    else:
        me = "" if company else f'<option value="me"{" selected" if owner == "me" else ""}>Me</option>'
        owner_html = (
            '<label class="small" for="id_owner">Owner</label><select name="owner" id="id_owner" class="form-select">'
            f'<option value="">Anyone</option>{me}{owner_options}</select>'
        )
        department_html = (
            '<label class="small" for="id_department">Department</label>'
            '<select name="department" id="id_department" class="form-select">'
            f'<option value="">Any department</option>{department_options}</select>'
        )
    return (
        mark_safe(f'<div class="col-6 col-md-2" id="owner-filter"{swap}>{owner_html}</div>'),  # noqa: S308 — escaped options
        mark_safe(f'<div class="col-6 col-md-3" id="department-filter"{swap}>{department_html}</div>'),  # noqa: S308
    )


# Filters the kept open counts answer (with the program and level filters);
# any other filter set means counting the filtered issues instead.
KEPT_COUNT_FILTERS = {"program", "level", "status", "owner", "department", "overdue"}
OPEN_STATUS_FILTERS = {"open": [s.value for s in OPEN_STATUSES], **{s.value: [s.value] for s in OPEN_STATUSES}}


_YES_NO = {"yes": True, "no": False}  # a yes/no filter's value; absent or empty: None


def _flag_scope(request: HttpRequest, chosen: dict, programs, *, every_program: bool = False):
    """Return the FlagScope of the kept-count filters with the repeat or at-risk flag chosen, or None.

    Counted and read by SQL written out (PostgreSQL); any other query keeps the
    FilterSet's querysets.
    """
    flags = {name: _YES_NO.get(chosen.get(name) or "") for name in FLAG_FILTERS}
    if connection.vendor != "postgresql" or all(value is None for value in flags.values()):
        return None
    rest = {name: value for name, value in chosen.items() if name not in FLAG_FILTERS}
    scope = _kept_counts_scope(request, rest, programs, every_program=every_program)
    if scope is None or not scope.program_ids:  # every program, or none at all: the FilterSet's querysets
        return None
    return selectors.FlagScope(scope=scope, **flags)


def _kept_counts_scope(request: HttpRequest, chosen: dict, programs, *, every_program: bool = False):
    """Return the LogScope of these filters, or None if the kept counts cannot answer.

    With `every_program` (the company log) and no program, owner or department
    chosen, the scope is every program (read without a list of them)."""
    if any(value for name, value in chosen.items() if name not in KEPT_COUNT_FILTERS):
        return None
    statuses = OPEN_STATUS_FILTERS.get(chosen.get("status") or "open")
    if statuses is None:
        return None
    owner = chosen.get("owner") or None
    department = chosen.get("department")
    if owner and department:
        return None
    program = chosen.get("program")
    overdue = chosen.get("overdue")
    if program:
        program_ids = [program.pk]
    elif every_program and not owner and not department:
        program_ids = None
    else:
        program_ids = [p.pk for p in programs]
    return selectors.LogScope(
        program_ids=program_ids,
        statuses=statuses,
        owner_id=request.user.pk if owner == "me" else (int(owner) if owner else None),
        department_id=department.pk if department else None,
        overdue=_YES_NO.get(overdue),
    )


class _CountedPaginator(Paginator):
    """A paginator told its count, so it does not run another COUNT(*)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


def row_response(request, issue, *, outreach_form=None, error: str = "") -> HttpResponse:
    """Return one log row, freshly read, as htmx swaps it in after an action."""
    now = timezone.now()
    issue = selectors.log_row(pk=issue.pk, now=now)
    html = render_row(
        issue,
        now=now,
        csrf_input=csrf_input(request),
        single_program=len(visible_program_ids(user=request.user)) == 1,
        quick_form=outreach_form,
        error=error,
        request=request,
    )
    return HttpResponse(html)


@login_required
def issue_log(request: HttpRequest) -> HttpResponse:
    return log_page(request)


def log_page(request: HttpRequest, *, company: bool = False, url_for=None) -> HttpResponse:
    """Render the log over the user's own programs, or the read-only company log over every program.

    The company log (for a customer-experience lead; the caller checks the
    permission) is the same page without actions: no row menus, no new issue,
    no CSV, no handoff note; its owner and department filters appear once a
    program is chosen. Its rows link to the pages `url_for` (pk -> URL) names,
    the caller's read-only issue page.
    """
    lookups = _lookups(request, company=company)
    programs, people = lookups.programs, lookups.people
    filterset = _filtered(request, lookups)
    if own := own_time_zone(request.user):
        activate_zone(own)
    else:
        activate_shared_zone(p.time_zone for p in programs)
    bad_filters = None
    if not filterset.is_valid():
        # Bad filter values: say so, and show the unfiltered open log.
        bad_filters = filterset.form.errors
        filterset = _filtered(request, lookups, data={})
        filterset.is_valid()
    now = timezone.now()
    chosen_filters = filterset.form.cleaned_data
    chosen = {int(v) for v in chosen_filters.get("level") or []}
    scope = _kept_counts_scope(request, chosen_filters, programs, every_program=company)
    counts = selectors.open_level_counts(now=now, **vars(scope)) if scope else None
    flags = _flag_scope(request, chosen_filters, programs, every_program=company) if counts is None else None
    program_names = {p.pk: (p.name, p.slug) for p in programs}
    # Counts per level ignore the level filter, so each chip says what it would show. The kept
    # counts and the written-out scans need no queryset (the count is the paginator's fallback only).
    if flags is not None:  # repeat or at risk: counted and sorted here, written out
        counts = selectors.flagged_level_counts(flags, now=now)
        rows_source = selectors.FlaggedLogRows(flags, levels=chosen, now=now, program_names=program_names)
    elif counts is None:
        all_levels_qs, qs = filterset.split_qs()
        counts = selectors.level_counts(all_levels_qs, now=now)
        rows_source = selectors.LazyLogRows(qs, now=now, values=True, program_names=program_names)
    else:
        # The page is read by index range scans that stop after it (the counts say where each level starts).
        rows_source = selectors.LazyLogRows(
            _NO_ISSUES,
            now=now,
            scope=scope,
            counts=counts.only_levels(chosen),
            values=True,
            program_names=program_names,
        )
    total = sum(c["n"] for level, c in counts.items() if not chosen or level in chosen)
    overdue_total = sum(c["overdue"] for level, c in counts.items() if not chosen or level in chosen)
    # Later pages are read from the cursor the previous page's Next link carries, earlier ones
    # from the one its Previous link carries (keyset, forwards or backwards); a link with a page
    # number only (shared, typed) is read by its number.
    after_text, before_text = request.GET.get("after"), request.GET.get("before")
    after = selectors.LogCursor.decode(after_text) if after_text else None
    before = selectors.LogCursor.decode(before_text) if before_text and not after_text else None
    bad_cursor = (bool(after_text) and after is None) or (bool(before_text) and not after_text and before is None)
    rows_source.after, rows_source.before = after, before
    paginator = _CountedPaginator(rows_source, PER_PAGE, total)
    page = paginator.get_page(1 if bad_cursor else request.GET.get("page"))
    if (after is not None and not page.object_list and total) or (
        before is not None and page.number > 1 and len(page.object_list) < PER_PAGE
    ):
        # A cursor past the end, or too near the start for its page (the issues changed since
        # the link was made): read the page by its number.
        rows_source.after = rows_source.before = None
        page = paginator.get_page(request.GET.get("page"))
    next_cursor = previous_cursor = ""
    if rows_source.keyset and page.object_list:
        if page.has_next():
            next_cursor = selectors.LogCursor.of(page.object_list[-1], now).encode()
        if page.has_previous() and page.previous_page_number() > 1:  # page 1 is read from the start
            previous_cursor = selectors.LogCursor.of(page.object_list[0], now).encode()
    # One masked CSRF token for the rows' forms and the page's own (each get_token masks anew).
    csrf_token = get_token(request)
    csrf = "" if company else csrf_input(request, csrf_token)
    single = len(programs) == 1
    # What apps above issues offer for the selected rows (e.g. adding them to a theme); rows get a checkbox.
    actions_on_selected = [] if company else log_actions(request, programs)
    if url_for is None and not company:
        url_for = detail_urls()
    selectable = bool(actions_on_selected)
    rows_html = mark_safe(  # noqa: S308 — render_row escapes every value
        "".join(
            render_row(
                issue,
                now=now,
                csrf_input=csrf,
                single_program=single,
                url_for=url_for,
                read_only=company,
                selectable=selectable,
            )
            for issue in page.object_list
        )
    )
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("after", None)
    params.pop("before", None)
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    departments = lookups.departments
    filter_values = _filter_values(request.GET if bad_filters is None else {}, filterset)
    # The two lists' options are written once for as long as the lists are kept (log_lookups):
    # 14 programs' 200 departments and people cost 0.2 ms a page to write or look up.
    made = lookups.made_from_lists
    if "options" not in made:
        made["options"] = tuple(
            _options(tuple((str(value), str(label)) for value, label in choices)) for choices in (people, departments)
        )
    person_filters = {
        "shown": not company or bool(chosen_filters.get("program")),
        "company": company,
        "owner": filter_values["owner"],
        "owner_options": _with_selected(made["options"][0], filter_values["owner"]),
        "department_options": _with_selected(made["options"][1], filter_values["department"]),
    }
    owner_filter, department_filter = person_filters_html(**person_filters, oob=partial and company)
    context = {
        "csrf_token": csrf_token,
        "owner_filter": owner_filter,
        "department_filter": department_filter,
        "owner_filter_oob": owner_filter,
        "department_filter_oob": department_filter,
        "filterset": filterset,
        "chosen_filters": chosen_filters,
        "filter_values": filter_values,
        "bad_filters": bad_filters,
        "bad_cursor": bad_cursor,
        "next_cursor": next_cursor,
        "previous_cursor": previous_cursor,
        "page": page,
        "rows_html": rows_html,
        "counts": counts,
        "chosen_levels": chosen,
        "total": total,
        "overdue_total": overdue_total,
        "level_chips_html": level_chips_html(counts, chosen),
        "more_filters_chosen": any(filter_values[name] for name in MORE_FILTERS),
        "programs": programs,
        "program_options": options_html(((p.slug, p.name) for p in programs), filter_values["program"]),
        "status_options": options_html(STATUS_CHOICES, filter_values["status"] or "open"),
        "source_options": options_html(Source.choices, filter_values["source"]),
        "overdue_options": options_html(OVERDUE_CHOICES, filter_values["overdue"]),
        "runaround_options": options_html(RUNAROUND_CHOICES, filter_values["runaround"]),
        "public_options": options_html(PUBLIC_CHOICES, filter_values["public"]),
        "repeat_options": options_html(REPEAT_CHOICES, filter_values["repeat"]),
        "at_risk_options": options_html(AT_RISK_CHOICES, filter_values["at_risk"]),
        "query": params.urlencode(),
        "now": now,
        "priority_in_words": selectors.PRIORITY_IN_WORDS,
        "single_program": programs[0] if len(programs) == 1 else None,
        # The first morning after a handoff: the previous advocate's note, until acknowledged.
        "pending_handoff": (
            unacknowledged_handoff_for(request.user) if lookups.handoff_waiting and not (partial or company) else None
        ),
        "unread_notifications": lookups.unread_notifications,
        "company": company,
        "partial": partial,
        "log_url": request.path,
        "log_actions": [] if partial else actions_on_selected,
    }
    response = render(request, "issues/_log_results.html" if partial else "issues/log.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def issue_export(request: HttpRequest) -> StreamingHttpResponse:
    """Download the filtered log as CSV, in the log's order."""
    filterset = _filtered(request, _lookups(request))
    qs = selectors.with_priority(filterset.split_qs()[1])
    qs = qs.select_related("program", "customer", "owner", "department").defer("search_vector")[:EXPORT_LIMIT]

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in export_rows(qs.iterator())), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="hot-issues-{timezone.now():%Y-%m-%d}.csv"'
    return response
