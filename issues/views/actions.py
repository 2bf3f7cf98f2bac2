"""Logging a hot issue and working it: its page, its forms, and the actions from the page or a log row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.selectors import display_name

from .. import panels, selectors, services
from ..forms import (
    CloseForm,
    IssueForm,
    OutreachForm,
    ReassignForm,
    ReopenForm,
    ResolveForm,
    StatusForm,
    TransferForm,
    UnreachableForm,
)
from ..models import HotIssue, Status
from .log import row_response


@login_required
@require_http_methods(["GET", "POST"])
def issue_create(request: HttpRequest) -> HttpResponse:
    programs = selectors.programs_for(user=request.user)
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
    "resolve": (ResolveForm, "Resolve", True),
    "transfer": (TransferForm, "Transfer", True),
    "reassign": (ReassignForm, "Reassign", True),
    "status": (StatusForm, "Change status", False),
    "unreachable": (UnreachableForm, "Close as unreachable", True),
    "reopen": (ReopenForm, "Reopen", False),
}


def _blank_form(name: str, issue: HotIssue):
    form_class, _, needs_program = ACTION_FORMS[name]
    if issubclass(form_class, CloseForm):
        # An issue that came back or was reopened offers the cause given at its last close (still asked,
        # still checked: a retired cause is not on the list, so nothing is chosen).
        return form_class(program=issue.program, initial={"root_cause": issue.root_cause_id})
    return form_class(program=issue.program) if needs_program else form_class()


def _inherited_from(user, issue) -> str | None:
    """Return who passed this issue to `user` at the handoff that began their current term, if it did."""
    inherited = selectors.inherited_issues(user=user)
    if issue.pk not in inherited:
        return None
    previous = inherited[issue.pk]
    return display_name(previous) if previous else "the previous advocate"


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
        "inherited_from": _inherited_from(request.user, issue),
        "checks": selectors.recovery_checks(issue=issue),
        "now": timezone.now(),
        "panels": panels.issue_panels(request, issue),
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
    context = {"history": selectors.change_history(issue=issue), "zone": timezone.get_current_timezone_name()}
    return render(request, "issues/_history.html", context)


@login_required
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    return render(request, "issues/issue_detail.html", _detail_context(request, issue))


# Each action: (form class, service call, success message, form name in the detail context)
def _action(request: HttpRequest, pk: int, form_class, run, success: str, form_name: str, *, row_form=False):
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    needs_program = any(cls is form_class and needs for cls, _, needs in ACTION_FORMS.values())
    kwargs = {"program": issue.program} if needs_program else {}
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
                return row_response(request, issue)
            messages.success(request, success)
            return redirect(issue)
    if request.htmx and row_form:
        return row_response(
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
    initial = {"next_attempt_due_at": services.default_next_attempt()}
    return row_response(request, issue, outreach_form=OutreachForm(initial=initial))


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
            issue=issue,
            actor=request.user,
            resolution=data["resolution"],
            root_cause=data["root_cause"],
            lasting_fix_needed=data["lasting_fix_needed"],
            satisfaction=data["satisfaction"],
        )

    return _action(
        request, pk, ResolveForm, run, "Resolved. The customer is asked how satisfied they are.", "resolve_form"
    )


@login_required
@require_POST
def issue_unreachable(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.change_status(
            issue=issue,
            actor=request.user,
            status=Status.UNREACHABLE,
            note=data["note"],
            root_cause=data["root_cause"],
            action=data["action"],
            lasting_fix_needed=data["lasting_fix_needed"],
        )

    return _action(request, pk, UnreachableForm, run, "Closed as unreachable.", "unreachable_form")


@login_required
@require_POST
def issue_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    def run(issue, data):
        services.reopen(issue=issue, actor=request.user, reason=data["reason"])

    return _action(request, pk, ReopenForm, run, "Reopened; it is back in the log.", "reopen_form")
