"""The program health page and the customer's-chair brief.

Views parse the request, check access at the top (outsiders get a 404 like
every program page), call a selector or service and render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.selectors import program_for_user
from advocacy.services import is_manager

from . import selectors, services
from .forms import AnswerForm, QuestionForm
from .models import BriefQuestion


@login_required
def health(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    report = selectors.program_health(program=program)
    context = {
        "program": program,
        "health": report,
        "chart_data": report.chart_data(),
        "can_manage": is_manager(program=program, user=request.user),
    }
    return render(request, "insights/health.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def brief(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    can_edit = services.can_edit_questions(program=program, user=request.user)
    form = QuestionForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(services.ONLY_ADVOCATE_OR_MANAGER)
        if form.is_valid():
            try:
                services.add_question(program=program, actor=request.user, text=form.cleaned_data["text"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Added the question to the brief.")
                return redirect("insights:brief", slug=program.slug)
    context = {
        "program": program,
        "brief": selectors.customers_chair_brief(program=program),
        "form": form,
        "answer_form": AnswerForm() if can_edit else None,
        "can_edit": can_edit,
        "subscribed": services.is_subscribed(program=program, user=request.user),
    }
    return render(request, "insights/brief.html", context)


@login_required
@require_POST
def question_action(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    question = get_object_or_404(BriefQuestion, pk=pk, program=program)
    if not services.can_edit_questions(program=program, user=request.user):
        raise PermissionDenied(services.ONLY_ADVOCATE_OR_MANAGER)
    action = request.POST.get("action")
    try:
        if action == "remove":
            services.remove_question(question=question, actor=request.user)
            messages.success(request, "Removed the question from the brief.")
        elif action == "answer":
            form = AnswerForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.get("answer") or services.ANSWER_REQUIRED)
            services.answer_question(question=question, actor=request.user, answer=form.cleaned_data["answer"])
            messages.success(request, "Marked the question answered.")
        else:
            messages.error(request, "Choose whether to answer or remove the question.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("insights:brief", slug=program.slug)


@login_required
@require_POST
def subscription(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    wanted = request.POST.get("subscribe") == "yes"
    try:
        services.set_subscription(program=program, user=request.user, subscribed=wanted)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if wanted:
            messages.success(request, "You will receive this brief by e-mail every Monday morning.")
        else:
            messages.success(request, "You will no longer receive this brief by e-mail.")
    return redirect("insights:brief", slug=program.slug)
