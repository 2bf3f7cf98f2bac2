"""The customer's pages, no sign-in: the public form and the private tracking link."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from advocacy.forms import add_service_errors
from advocacy.models import Program
from core.clients import client_ip
from core.zones import activate_zone

from .. import selectors, services
from ..forms import CustomerNoteForm, PublicIssueForm, RecoveryAnswerForm, SatisfactionForm
from ..models import HotIssue
from ..notices import advocate_first_name
from ..tracking import tracking_for

TRACKING_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


@never_cache
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, slug: str) -> HttpResponse:
    program = get_object_or_404(Program, slug=slug, is_active=True)
    form = PublicIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.submit_public_form(
                program=program,
                address=client_ip(request),
                summary=data["summary"],
                what_happened=data["what_happened"],
                level=data["level"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                honeypot=data["website"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # A bot that filled the hidden field is thanked too, though nothing was stored.
            status = 201 if issue is not None else 200
            return render(request, "issues/public_thanks.html", {"program": program, "issue": issue}, status=status)
    status = 400 if form.errors else 200
    if form.errors and services.RATE_LIMITED in form.non_field_errors():
        status = 429
    return render(request, "issues/public_form.html", {"program": program, "form": form}, status=status)


def _tracked_issue(token: str) -> HotIssue:
    # Only a well-formed token is looked up: a short guess, or a NUL byte (which
    # PostgreSQL refuses with an error), is simply not found.
    if not TRACKING_TOKEN_RE.fullmatch(token):
        raise Http404("No such issue.")
    issue = selectors.issue_for_tracking(token=token)
    if issue is None:
        raise Http404("No such issue.")
    activate_zone(issue.program.time_zone)  # the customer reads times in the program's zone
    return issue


def _track_page(
    request: HttpRequest, issue: HotIssue, *, form=None, note_form=None, recovery_form=None, status: int = 200
) -> HttpResponse:
    question = services.open_check(issue=issue)
    context = {
        "issue": issue,
        "form": form or SatisfactionForm(),
        "note_form": note_form or CustomerNoteForm(),
        "question": question,
        "recovery_form": recovery_form or RecoveryAnswerForm(initial={"question": question.token if question else ""}),
        "checks": selectors.recovery_checks(issue=issue),
        "advocate": advocate_first_name(issue.owner),
        "tracking": tracking_for(issue=issue),
    }
    return render(request, "issues/track.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    issue = _tracked_issue(token)
    form = SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_satisfaction(issue=issue, score=form.cleaned_data["satisfaction"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("issues:track", token=token)
    return _track_page(request, issue, form=form, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["POST"])
def track_note(request: HttpRequest, token: str) -> HttpResponse:
    """The customer adds information to their issue from the tracking page."""
    issue = _tracked_issue(token)
    form = CustomerNoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_customer_note(issue=issue, text=form.cleaned_data["information"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(f"{issue.get_tracking_url()}#history")
    status = 429 if services.CUSTOMER_NOTES_LIMITED in form.non_field_errors() else 400
    return _track_page(request, issue, note_form=form, status=status)


@never_cache
@require_http_methods(["POST"])
def track_recovery(request: HttpRequest, token: str) -> HttpResponse:
    """The customer answers the question asked a while after the resolution: still sorted, how do they feel now?"""
    issue = _tracked_issue(token)
    form = RecoveryAnswerForm(request.POST)
    if form.is_valid():
        try:
            check = services.record_recovery_answer(
                issue=issue, question=form.cleaned_data["question"], score=form.cleaned_data["score"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if check.came_back:
                messages.success(request, "Thank you for telling us. We are sorry: your problem is open again.")
            else:
                messages.success(request, "Thank you for telling us.")
            return redirect(f"{issue.get_tracking_url()}#recovery")
    issue.refresh_from_db()
    return _track_page(request, issue, recovery_form=form, status=400)
