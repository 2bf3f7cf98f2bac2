"""CSV imports of mystery-shop visits and survey responses: starting one and following its progress."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from advocacy.forms import add_service_errors
from advocacy.permissions import program_for_user

from .. import selectors, services
from ..forms import ImportForm


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, content = form.cleaned_data["file"]
        try:
            job = services.start_import(
                program=program, actor=request.user, kind=form.cleaned_data["kind"], filename=name, content=content
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("issues:import_detail", pk=job.pk)
    jobs = selectors.recent_imports(program=program)
    return render(request, "issues/import_form.html", {"program": program, "form": form, "jobs": jobs})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_for_user(user=request.user, pk=pk)
    template = "issues/_import_progress.html" if request.htmx else "issues/import_detail.html"
    return render(request, template, {"job": job, "program": job.program})
