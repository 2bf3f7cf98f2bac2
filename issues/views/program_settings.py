"""A program's issue settings: response targets, runaround and import thresholds, departments, root causes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.permissions import program_for_user

from .. import selectors, services
from ..forms import DepartmentForm, IssueSettingsForm, RootCauseForm


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
        "departments": selectors.departments_with_issue_counts(program=program),
    }
    return render(
        request, "issues/settings.html", context, status=400 if (form.errors or department_form.errors) else 200
    )


def _root_causes_page(request, program, form, *, status=200, editing=None, edit_form=None):
    context = {
        "program": program,
        "form": form,
        "root_causes": list(selectors.root_causes_with_issue_counts(program=program)),
        "editing": editing,
        "edit_form": edit_form,
    }
    return render(request, "issues/root_causes.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def root_causes(request: HttpRequest, slug: str) -> HttpResponse:
    """The program's root causes (managers): add one; each row renames, moves or retires."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    form = RootCauseForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                cause = services.add_root_cause(program=program, actor=request.user, name=form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Added “{cause.name}” at the end of the list.")
                return redirect("issues:root_causes", slug=program.slug)
        return _root_causes_page(request, program, form, status=400)
    return _root_causes_page(request, program, form)


ROOT_CAUSE_ACTIONS = ("rename", "up", "down", "retire", "restore")


@login_required
@require_POST
def root_cause_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Rename, move, retire or bring back one root cause (the button pressed is `action`)."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    cause = selectors.root_cause_of(program=program, pk=pk)
    action = request.POST.get("action", "")
    edit_form = RootCauseForm(request.POST) if action == "rename" else None
    if edit_form is not None and not edit_form.is_valid():
        return _root_causes_page(request, program, RootCauseForm(), status=400, editing=cause.pk, edit_form=edit_form)
    try:
        if action == "rename":
            cause = services.rename_root_cause(
                program=program, actor=request.user, root_cause=cause, name=edit_form.cleaned_data["name"]
            )
            done = f"Renamed to “{cause.name}”; the issues closed with it show the new name."
        elif action in ("up", "down"):
            services.move_root_cause(program=program, actor=request.user, root_cause=cause, direction=action)
            done = f"Moved “{cause.name}” {action}."
        elif action == "retire":
            services.retire_root_cause(program=program, actor=request.user, root_cause=cause)
            done = f"Retired “{cause.name}”: it is no longer offered; issues closed with it keep it."
        elif action == "restore":
            services.restore_root_cause(program=program, actor=request.user, root_cause=cause)
            done = f"“{cause.name}” is offered again."
        else:
            raise ValidationError("Choose what to do: rename, move, retire or bring back.")
    except ValidationError as error:
        if edit_form is not None:
            add_service_errors(edit_form, error)
            return _root_causes_page(
                request, program, RootCauseForm(), status=400, editing=cause.pk, edit_form=edit_form
            )
        for message in error.messages:
            messages.error(request, message)
        return _root_causes_page(request, program, RootCauseForm(), status=400)
    messages.success(request, done)
    return redirect("issues:root_causes", slug=program.slug)
