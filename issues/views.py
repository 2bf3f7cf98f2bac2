"""The hot-issue log, the issue page, intake pages, feeds and imports.

Views parse the request, check access at the top, call a service or selector
and render. htmx requests get partials (the log's results, one row).
"""

import csv
import re
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.models import Program
from advocacy.permissions import NOT_MANAGER, is_manager, program_for_user, visible_program_ids, visible_programs
from advocacy.selectors import display_name

from . import selectors, services
from .filters import STATUS_CHOICES, HotIssueFilter
from .forms import (
    DepartmentForm,
    FeedForm,
    ImportForm,
    IssueForm,
    IssueSettingsForm,
    OutreachForm,
    PromoteForm,
    PublicIssueForm,
    ReassignForm,
    ReopenForm,
    ResolveForm,
    SatisfactionForm,
    StatusForm,
    TransferForm,
)
from .importing import export_rows
from .models import Department, HotIssue, ImportJob, Level, Mention, MentionFeed, Source
from .rows import detail_urls, render_row

User = get_user_model()
PER_PAGE = 25
TRACKING_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
EXPORT_LIMIT = 50_000


def _my_programs(user):
    return visible_programs(user=user).order_by("name")


def _filtered(request: HttpRequest, *, data=None):
    """Return (filterset, programs, people) for the log, limited to the user's programs."""
    programs = list(_my_programs(request.user).only("pk", "name", "slug"))
    ids = [p.pk for p in programs]
    people = [
        (u.pk, display_name(u))
        for u in User.objects.filter(memberships__program_id__in=ids)
        .distinct()
        .only("pk", "first_name", "last_name", "username")
        .order_by("first_name", "username")
    ]
    filterset = HotIssueFilter(
        request.GET if data is None else data,
        queryset=HotIssue.objects.filter(program_id__in=ids),
        programs=Program.objects.filter(pk__in=ids).order_by("name"),
        people=people,
        user=request.user,
    )
    return filterset, programs, people


def _raw_filters(query, filterset) -> dict[str, str]:
    """The filter values as typed, one for every filter (empty when absent): the form re-selects them.

    A missing key in a QueryDict costs the template an exception per lookup,
    and the filter bar looks each one up once per option.
    """
    return {name: query.get(name, "") for name in filterset.filters}


class _CountedPaginator(Paginator):
    """A paginator told its count, so it does not run another COUNT(*)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


@login_required
def issue_log(request: HttpRequest) -> HttpResponse:
    filterset, programs, people = _filtered(request)
    bad_filters = None
    if not filterset.is_valid():
        # Bad filter values: say so, and show the unfiltered open log.
        bad_filters = filterset.form.errors
        filterset, programs, people = _filtered(request, data={})
        filterset.is_valid()
    now = timezone.now()
    data = filterset.form.cleaned_data
    # Counts per level ignore the level filter, so each chip says what it would show.
    all_levels_qs, qs = filterset.split_qs()
    counts = selectors.level_counts(all_levels_qs, now=now)
    chosen = {int(v) for v in data.get("level") or []}
    total = sum(c["n"] for level, c in counts.items() if not chosen or level in chosen)
    overdue_total = sum(c["overdue"] for level, c in counts.items() if not chosen or level in chosen)
    paginator = _CountedPaginator(selectors.LogPage(qs, now=now), PER_PAGE, total)
    page = paginator.get_page(request.GET.get("page"))
    csrf_input = _csrf_input(request)
    single = len(programs) == 1
    rows = []
    url_for = detail_urls()
    for issue in page.object_list:
        issue.late_by = (now - issue.first_outreach_due_at) if issue.overdue else None
        rows.append(render_row(issue, now=now, csrf_input=csrf_input, single_program=single, url_for=url_for))
    params = request.GET.copy()
    params.pop("page", None)
    partial = request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    departments = (
        []
        if partial
        else [
            (str(pk), name)
            for pk, name in Department.objects.filter(program_id__in=[p.pk for p in programs]).values_list("pk", "name")
        ]
    )
    context = {
        "filter": filterset,
        "f": data,
        "raw": _raw_filters(request.GET if bad_filters is None else {}, filterset),
        "bad_filters": bad_filters,
        "page": page,
        "rows": rows,
        "counts": counts,
        "chosen_levels": chosen,
        "total": total,
        "overdue_total": overdue_total,
        "level_labels": dict(Level.choices),
        "programs": programs,
        "people": [(str(pk), name) for pk, name in people],
        "departments": departments,
        "status_choices": STATUS_CHOICES,
        "source_choices": Source.choices,
        "query": params.urlencode(),
        "now": now,
        "single_program": programs[0] if len(programs) == 1 else None,
    }
    response = render(request, "issues/_log_results.html" if partial else "issues/log.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def issue_export(request: HttpRequest) -> StreamingHttpResponse:
    """Download the filtered log as CSV, in the log's order."""
    filterset, _, _ = _filtered(request)
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


@login_required
@require_http_methods(["GET", "POST"])
def issue_create(request: HttpRequest) -> HttpResponse:
    programs = _my_programs(request.user)
    slug = request.POST.get("program") or request.GET.get("program") or ""
    # Look up only what could be a slug: a NUL byte would reach PostgreSQL and fail there.
    program = programs.filter(slug=slug).first() if slug_re.fullmatch(slug) else None
    if program is None and programs.count() == 1:
        program = programs.first()
    form = IssueForm(request.POST or None, programs=programs, program=program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.create_issue(
                program=data["program"],
                actor=request.user,
                title=data["title"],
                words=data["words"],
                level=data["level"],
                public=data["public"],
                source=data["source"],
                source_url=data["source_url"],
                department=data["department"],
                owner=data["owner"],
                customer_name=data["customer_name"],
                customer_email=data["customer_email"],
                customer_phone=data["customer_phone"],
                customer_company=data["customer_company"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Logged “{issue.title}”. {display_name(issue.owner)} owns it.")
            return redirect(issue)
    owner = services.default_owner(program=program) if program else None
    return render(request, "issues/issue_form.html", {"form": form, "program": program, "default_owner": owner})


ACTION_FORMS = {
    # name: (form class, button, needs the program)
    "outreach": (OutreachForm, "Save outreach", False),
    "resolve": (ResolveForm, "Resolve", False),
    "transfer": (TransferForm, "Transfer", True),
    "reassign": (ReassignForm, "Reassign", True),
    "status": (StatusForm, "Change status", False),
    "reopen": (ReopenForm, "Reopen", False),
}


def _blank_form(name: str, issue: HotIssue):
    form_class, _, needs_program = ACTION_FORMS[name]
    return form_class(program=issue.program) if needs_program else form_class()


def _detail_context(request, issue, **forms):
    # Only the open section's form is rendered with the page; the others load
    # when their section opens (see issue_action_form).
    open_form = forms.pop("open_form", None) or (
        f"{request.GET.get('open')}_form" if request.GET.get("open") in ACTION_FORMS else None
    )
    if open_form is None:
        open_form = "outreach_form" if issue.is_open else "reopen_form"
    name = open_form.removesuffix("_form")
    context = {
        "issue": issue,
        "program": issue.program,
        "events": selectors.timeline(issue=issue),
        "late_by": issue.overdue_by(),
        "open_form": open_form,
    }
    context[open_form] = forms.get(open_form) or _blank_form(name, issue)
    return context


@login_required
def issue_action_form(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Return one of the issue page's forms, loaded when its section opens."""
    if name not in ACTION_FORMS:
        raise Http404("No such form.")
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    context = {"issue": issue, "id": name, "form": _blank_form(name, issue), "button": ACTION_FORMS[name][1]}
    return render(request, "issues/_action_form.html", context)


@login_required
def issue_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the issue's field-by-field change history (loaded when asked for)."""
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    context = {"history": selectors.change_history(issue=issue), "zone": issue.program.time_zone}
    return render(request, "issues/_history.html", context)


@login_required
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    return render(request, "issues/issue_detail.html", _detail_context(request, issue))


def _csrf_input(request: HttpRequest) -> str:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


def _row_response(request, issue, *, outreach_form=None, error: str = "") -> HttpResponse:
    issue = selectors.LogPage(HotIssue.objects.filter(pk=issue.pk))[0:1][0]
    now = timezone.now()
    issue.late_by = (now - issue.first_outreach_due_at) if issue.overdue else None
    html = render_row(
        issue,
        now=now,
        csrf_input=_csrf_input(request),
        single_program=len(visible_program_ids(user=request.user)) == 1,
        quick_form=outreach_form,
        error=error,
        request=request,
    )
    return HttpResponse(html)


# Each action: (form class, service call, success message, form name in the detail context)
def _action(request: HttpRequest, pk: int, form_class, run, success: str, form_name: str, *, row_form=False):
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    kwargs = {"program": issue.program} if form_class in (TransferForm, ReassignForm) else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            run(issue, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            if request.htmx:
                return _row_response(request, issue)
            messages.success(request, success)
            return redirect(issue)
    if request.htmx and row_form:
        return _row_response(
            request,
            issue,
            outreach_form=form if form_class is OutreachForm else None,
            error=" ".join(e for errs in form.errors.values() for e in errs),
        )
    for message in form.non_field_errors():
        messages.error(request, message)  # e.g. "This issue is closed", shown above the page
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    context = _detail_context(request, issue, **{form_name: form, "open_form": form_name})
    return render(request, "issues/issue_detail.html", context, status=400)


@login_required
@require_POST
def issue_outreach(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.log_outreach(
            issue=issue,
            actor=request.user,
            channel=data["channel"],
            outcome=data["outcome"],
            note=data["note"],
            next_attempt_due_at=data["next_attempt_due_at"],
        )

    return _action(request, pk, OutreachForm, run, "Outreach logged.", "outreach_form", row_form=True)


@login_required
def issue_outreach_quick(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    initial = {"next_attempt_due_at": (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0)}
    return _row_response(request, issue, outreach_form=OutreachForm(initial=initial))


@login_required
@require_POST
def issue_status(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.change_status(issue=issue, actor=request.user, status=data["status"], note=data["note"])

    return _action(request, pk, StatusForm, run, "Status changed.", "status_form", row_form=True)


@login_required
@require_POST
def issue_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.transfer_issue(
            issue=issue,
            actor=request.user,
            reason=data["reason"],
            to_department=data["to_department"],
            to_owner=data["to_owner"],
        )

    return _action(request, pk, TransferForm, run, "Issue transferred.", "transfer_form")


@login_required
@require_POST
def issue_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.reassign(issue=issue, actor=request.user, owner=data["owner"], note=data["note"])

    return _action(request, pk, ReassignForm, run, "New owner set.", "reassign_form")


@login_required
@require_POST
def issue_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.resolve(
            issue=issue, actor=request.user, resolution=data["resolution"], satisfaction=data["satisfaction"]
        )

    return _action(
        request, pk, ResolveForm, run, "Resolved. The customer is asked how satisfied they are.", "resolve_form"
    )


@login_required
@require_POST
def issue_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.reopen(issue=issue, actor=request.user, reason=data["reason"])

    return _action(request, pk, ReopenForm, run, "Reopened; it is back in the log.", "reopen_form")


# ---------------------------------------------------------------- customers, no login


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 — an unknown address as text, not a bind


@never_cache
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_object_or_404(Program, slug=slug, is_active=True)
    form = PublicIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # A bot filled the hidden field: pretend all went well, store nothing.
            return render(request, "issues/public_thanks.html", {"program": program, "issue": None})
        try:
            issue = services.submit_public_form(
                program=program,
                address=_client_address(request),
                what_happened=data["what_happened"],
                level=data["level"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(request, "issues/public_thanks.html", {"program": program, "issue": issue}, status=201)
    status = 400 if form.errors else 200
    if form.errors and services.RATE_LIMITED in form.non_field_errors():
        status = 429
    return render(request, "issues/public_form.html", {"program": program, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    # Only a well-formed token is looked up: a short guess, or a NUL byte (which
    # PostgreSQL refuses with an error), is simply not found.
    if not TRACKING_TOKEN_RE.fullmatch(token):
        raise Http404("No such issue.")
    issue = (
        HotIssue.objects.select_related("program", "owner")
        .only(
            "title",
            "status",
            "created_at",
            "last_contact_at",
            "resolved_at",
            "satisfaction",
            "tracking_token",
            "program__name",
            "program__slug",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        .filter(tracking_token=token)
        .first()
    )
    if issue is None:
        raise Http404("No such issue.")
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_satisfaction(issue=issue, score=form.cleaned_data["satisfaction"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("issues:track", token=token)
    advocate = issue.owner.first_name or display_name(issue.owner)
    context = {"issue": issue, "form": form, "advocate": advocate}
    return render(request, "issues/track.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------- web mentions


@login_required
@require_http_methods(["GET", "POST"])
def feed_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    can_manage = is_manager(program=program, user=request.user)
    form = FeedForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(NOT_MANAGER)
        if form.is_valid():
            feed = form.save(commit=False)
            feed.program = program
            feed.save()
            messages.success(request, f"Added “{feed.name}”. It is polled every 15 minutes.")
            return redirect("issues:feed_list", slug=program.slug)
    context = {"program": program, "feeds": selectors.feeds_of(program=program), "form": form, "can_manage": can_manage}
    return render(request, "issues/feed_list.html", context)


@login_required
@require_POST
def feed_poll(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from .feeds import poll_feed

    program, _ = program_for_user(user=request.user, slug=slug)
    feed = get_object_or_404(MentionFeed, pk=pk, program=program)
    result = poll_feed(feed=feed)
    if result.error:
        messages.error(request, f"“{feed.name}”: {result.error}")
    else:
        messages.success(request, f"“{feed.name}”: {result.new} new mention{'s' if result.new != 1 else ''}.")
    return redirect("issues:feed_list", slug=program.slug)


@login_required
def mention_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    page = Paginator(selectors.mentions_to_triage(program=program), 30).get_page(request.GET.get("page"))
    return render(request, "issues/mention_list.html", {"program": program, "page": page, "form": PromoteForm()})


@login_required
@require_POST
def mention_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    mention = get_object_or_404(Mention, pk=pk, program=program)
    try:
        if request.POST.get("action") == "dismiss":
            services.dismiss_mention(mention=mention, actor=request.user)
            text = "Dismissed."
        else:
            form = PromoteForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose how upset the customer is.")
            issue = services.promote_mention(
                mention=mention,
                actor=request.user,
                level=form.cleaned_data["level"],
                public=form.cleaned_data["public"],
            )
            text = f"Now a hot issue, owned by {display_name(issue.owner)}."
    except ValidationError as error:
        text = " ".join(error.messages)
    if request.htmx:
        return render(request, "issues/_mention_done.html", {"text": text, "mention": mention})
    messages.info(request, text)
    return redirect("issues:mention_list", slug=program.slug)


# ---------------------------------------------------------------- settings


@login_required
@require_http_methods(["GET", "POST"])
def issue_settings(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    current = services.issue_settings(program=program)
    is_department = request.method == "POST" and "name" in request.POST
    form = IssueSettingsForm(request.POST if request.method == "POST" and not is_department else None, instance=current)
    department_form = DepartmentForm(request.POST if is_department else None)
    if request.method == "POST":
        chosen = department_form if is_department else form
        if chosen.is_valid():
            try:
                if is_department:
                    services.add_department(program=program, actor=request.user, name=chosen.cleaned_data["name"])
                    messages.success(request, f"Added the department “{chosen.cleaned_data['name']}”.")
                else:
                    values = {k: v for k, v in form.cleaned_data.items()}
                    services.save_issue_settings(program=program, actor=request.user, **values)
                    messages.success(request, "Saved. New issues get the new targets.")
            except ValidationError as error:
                add_service_errors(chosen, error)
            else:
                return redirect("issues:settings", slug=program.slug)
    context = {
        "program": program,
        "form": form,
        "department_form": department_form,
        "departments": Department.objects.filter(program=program).annotate(open_issues=Count("issues")),
    }
    return render(
        request, "issues/settings.html", context, status=400 if (form.errors or department_form.errors) else 200
    )


# ---------------------------------------------------------------- imports


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, content = form.cleaned_data["file"]
        with transaction.atomic():
            job = ImportJob.objects.create(
                program=program, kind=form.cleaned_data["kind"], filename=name, content=content, created_by=request.user
            )
            from config.queueing import send_on_commit

            from .tasks import run_import

            # If the broker is down, the job waits (pending) and the periodic sweep re-sends it.
            send_on_commit(run_import, job.pk)
        return redirect("issues:import_detail", pk=job.pk)
    jobs = ImportJob.objects.filter(program=program).defer("content")[:10]
    return render(request, "issues/import_form.html", {"program": program, "form": form, "jobs": jobs})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.select_related("program").defer("content"), pk=pk)
    if job.program_id not in visible_program_ids(user=request.user):
        raise Http404("No such import.")
    template = "issues/_import_progress.html" if request.htmx else "issues/import_detail.html"
    return render(request, template, {"job": job, "program": job.program})
