"""A program's issue settings: response targets, runaround and import thresholds, departments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from advocacy.forms import add_service_errors
from advocacy.permissions import program_for_user

from .. import selectors, services
from ..forms import DepartmentForm, IssueSettingsForm


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
