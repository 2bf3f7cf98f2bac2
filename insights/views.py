"""Insights pages: program health, the customer's-chair brief, decision records, term reports, recognition and My page.

Views parse the request, check access (program_for_user, as on every program page),
call a selector or service and render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.forms import add_service_errors
from advocacy.permissions import (
    NOT_MANAGER,
    NOT_MEMBER,
    is_company_lead,
    is_manager,
    program_for_user,
    require_company_lead,
    visible_programs,
)
from advocacy.selectors import activate_zone_for, display_name, thanks_for_program, thanks_received
from issues.models import Customer
from issues.rows import detail_urls
from issues.selectors import closed_by_root_cause, issue_for_company, timeline
from issues.views.log import log_page
from rotations.feeds import subscription_links
from rotations.selectors import current_advocate, live_calendar_token, terms_for_user, unacknowledged_handoff_for
from themes.selectors import fix_status_counts, shipped_per_period

from . import decisions, report_selectors, reports, selectors, services
from .forms import (
    AnswerForm,
    CustomerSideForm,
    DecisionForm,
    OutcomeForm,
    QuestionForm,
    RecognitionForm,
    ReflectionForm,
)
from .models import BriefQuestion
from .selectors import company
from .tables import week_tables


@login_required
def health(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    report = selectors.program_health(program=program)
    current = next((row.term for row in report.terms if row.is_current), None)
    shipped = shipped_per_period(
        program=program, periods=[(row.term.pk, row.term.starts_at, row.term.ends_at) for row in report.terms]
    )
    context = {
        "theme_counts": fix_status_counts(program=program),
        "shipped_terms": [(row.term, shipped.get(row.term.pk, 0)) for row in report.terms],
        "root_cause_term": current,
        "root_causes": closed_by_root_cause(program=program, start=current.starts_at, end=report.now)
        if current
        else [],
        "program": program,
        "health": report,
        "chart_data": report.chart_data(),
        "week_tables": week_tables(report),
        "decision_terms": selectors.decisions_per_term(program=program, terms=[row.term for row in report.terms]),
        "can_manage": is_manager(program=program, user=request.user),
        "levels": sorted(selectors.LEVELS, reverse=True),
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
        "decisions_ahead": selectors.decisions_ahead(program=program),
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


REPORTS_PER_PAGE = 20
THANKS_ON_WALL = 12
RECOGNITIONS_PER_PAGE = 10


@login_required
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    page = Paginator(report_selectors.reports_for_program(program=program), REPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "insights/report_list.html", {"program": program, "page": page})


@login_required
def report_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    report = report_selectors.report_for_program(program=program, pk=pk)
    is_advocate = reports.can_edit_reflection(report=report, user=request.user)
    context = {
        "program": program,
        "report": report,
        "figures": reports.shown_figures(report),
        "items": reports.reflection_items(report),
        "is_advocate": is_advocate,
        # The reflection is a self-check: its author and the program's managers read it.
        "can_read_reflection": is_advocate or is_manager(program=program, user=request.user),
        "advocate_name": display_name(report.advocate) if report.advocate else "A former member",
    }
    return render(request, "insights/report_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report_reflection(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    report = report_selectors.report_for_program(program=program, pk=pk)
    if not reports.can_edit_reflection(report=report, user=request.user):
        raise PermissionDenied(reports.ONLY_ADVOCATE)
    items = reports.reflection_items(report)
    form = ReflectionForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        try:
            reports.save_reflection(report=report, actor=request.user, notes=form.notes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Reflection saved. Only you and the program's managers can read it.")
            return redirect("insights:report_detail", slug=program.slug, pk=report.pk)
    return render(request, "insights/report_reflection.html", {"program": program, "report": report, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def recognition(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    can_manage = is_manager(program=program, user=request.user)
    form = RecognitionForm(request.POST or None, program=program) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(NOT_MANAGER)
        if form.is_valid():
            try:
                given = services.give_recognition(
                    program=program,
                    actor=request.user,
                    recipient=form.cleaned_data["recipient"],
                    term=form.cleaned_data["term"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{display_name(given.recipient)} has been recognized and told.")
                return redirect("insights:recognition", slug=program.slug)
    terms = report_selectors.recent_terms(program=program)
    recognitions = Paginator(report_selectors.recognitions_for_program(program=program), RECOGNITIONS_PER_PAGE)
    context = {
        "program": program,
        "membership": membership,
        "form": form,
        "champions": report_selectors.champions(program=program, terms=terms),
        "thanks": thanks_for_program(program=program)[:THANKS_ON_WALL],
        "recognitions": recognitions.get_page(request.GET.get("page")),
    }
    return render(request, "insights/recognition.html", context)


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    activate_zone_for(request.user)
    issues, issue_count = report_selectors.my_open_issues(user=request.user)
    token = live_calendar_token(user=request.user, program=None)
    context = {
        "terms": terms_for_user(user=request.user)[:6],
        "calendar_token": token,
        "calendar_links": subscription_links(token) if token else None,
        "issues": issues,
        "issue_count": issue_count,
        "notifications": request.user.notifications.select_related("program")[:5],
        "thanks": thanks_received(user=request.user)[:5],
        "reports": report_selectors.my_reports(user=request.user)[:6],
        "recognitions": report_selectors.my_recognitions(user=request.user)[:3],
        "pending_handoff": unacknowledged_handoff_for(request.user),
        "company_lead": is_company_lead(user=request.user),
    }
    return render(request, "insights/my_page.html", context)


DECISIONS_PER_PAGE = 20
DECISION_FILTERS = {"open": "Open", "decided": "Decided", "withdrawn": "Withdrawn"}


@login_required
@require_http_methods(["GET", "POST"])
def decision_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    form = DecisionForm(request.POST or None) if membership else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(NOT_MEMBER)
        if form.is_valid():
            try:
                made = decisions.propose_decision(program=program, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The decision is on record. The advocate can now write the customer's side.")
                return redirect(made.get_absolute_url())
    status = request.GET.get("status")
    status = status if status in DECISION_FILTERS else None
    rows = selectors.decisions_for_program(program=program, status=status)
    context = {
        "program": program,
        "form": form,
        "page": Paginator(rows, DECISIONS_PER_PAGE).get_page(request.GET.get("page")),
        "status": status,
        "filters": DECISION_FILTERS,
    }
    return render(request, "insights/decision_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def decision_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    decision = selectors.decision_for_program(program=program, pk=pk)
    can_write = decisions.can_write_customer_side(decision=decision, user=request.user)
    can_change = decisions.can_change(decision=decision, user=request.user)
    side_form = CustomerSideForm(
        initial={
            "impact": decision.customer_impact,
            "touched": decision.customers_touched,
            "question": decision.customer_question,
        }
    )
    outcome_form = OutcomeForm()
    edit_form = DecisionForm(
        initial={f: getattr(decision, f) for f in ("title", "decided_by", "decide_on", "details")}, submit="Save"
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "customer_side":
                if not can_write:
                    raise PermissionDenied(decisions.ONLY_ADVOCATE if decision.status == "open" else decisions.NOT_OPEN)
                side_form = CustomerSideForm(request.POST)
                if side_form.is_valid():
                    decisions.write_customer_side(decision=decision, actor=request.user, **side_form.cleaned_data)
                    messages.success(request, "The customer's side is on the record.")
                    return redirect(decision.get_absolute_url())
            elif action in ("edit", "decide", "withdraw"):
                if not can_change:
                    raise PermissionDenied(decisions.ONLY_OWNER if decision.status == "open" else decisions.NOT_OPEN)
                if action == "edit":
                    edit_form = DecisionForm(request.POST, submit="Save")
                    if edit_form.is_valid():
                        decisions.update_decision(decision=decision, actor=request.user, **edit_form.cleaned_data)
                        messages.success(request, "Saved the decision.")
                        return redirect(decision.get_absolute_url())
                elif action == "decide":
                    outcome_form = OutcomeForm(request.POST)
                    if outcome_form.is_valid():
                        decisions.record_outcome(
                            decision=decision, actor=request.user, outcome=outcome_form.cleaned_data["outcome"]
                        )
                        messages.success(request, "Recorded the outcome.")
                        return redirect(decision.get_absolute_url())
                else:
                    decisions.withdraw_decision(decision=decision, actor=request.user)
                    messages.success(request, "Withdrew the decision.")
                    return redirect(decision.get_absolute_url())
            else:
                messages.error(request, "Choose what to do with the decision.")
        except ValidationError as error:
            target = {"customer_side": side_form, "edit": edit_form, "decide": outcome_form}.get(action)
            if target is not None and target.is_bound:
                add_service_errors(target, error)
            else:
                messages.error(request, " ".join(error.messages))
    context = {
        "program": program,
        "decision": decision,
        "can_write": can_write,
        "can_change": can_change,
        "side_form": side_form if can_write else None,
        "outcome_form": outcome_form if can_change else None,
        "edit_form": edit_form if can_change else None,
        "advocate": current_advocate(program=program),
    }
    return render(request, "insights/decision_detail.html", context)


# ---------------------------------------------------------------- the company view (read-only, every program)

COMPANY_PER_PAGE = 50


def _company_page(request: HttpRequest):
    """Check the lead's permission, use their zone (else UTC), and return this page of every active program."""
    require_company_lead(actor=request.user)
    activate_zone_for(request.user)
    return Paginator(company.company_programs(), COMPANY_PER_PAGE).get_page(request.GET.get("page"))


@login_required
def company_directory(request: HttpRequest) -> HttpResponse:
    """Who is each team's customers' advocate now, and who is next."""
    page = _company_page(request)
    rows = company.directory(programs=list(page.object_list))
    return render(request, "insights/company_directory.html", {"page": page, "rows": rows})


@login_required
def company_health(request: HttpRequest) -> HttpResponse:
    """Every program's health in one table."""
    page = _company_page(request)
    rows = company.health_table(programs=list(page.object_list))
    context = {
        "page": page,
        "rows": rows,
        "weeks": company.RECENT.days // 7,
        "as_of": min((row.as_of for row in rows if row.as_of), default=None),
    }
    return render(request, "insights/company_health.html", context)


@login_required
def company_themes(request: HttpRequest) -> HttpResponse:
    """The open themes of every program, the most hurtful first: causes worth fixing across teams."""
    require_company_lead(actor=request.user)
    activate_zone_for(request.user)
    page = Paginator(company.themes_across_programs(), COMPANY_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "insights/company_themes.html", {"page": page})


@login_required
def company_log(request: HttpRequest) -> HttpResponse:
    """Every program's open hot issues, read-only, with the log's filters (the program is one of them)."""
    require_company_lead(actor=request.user)
    return log_page(request, company=True, url_for=detail_urls("insights:company_issue"))


@login_required
def company_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """One issue of any program, read-only, for a customer-experience lead.

    What the issue is, how unhappy the customer is, who owns it and what was
    done (the timeline, the resolution). The customer is named as on the
    company log (name or, without one, the address they gave, and their
    company), but the page gives no way to contact them: no e-mail or phone
    links, no tracking link (the customer's private page), no actions, no
    field-by-field history. People who may open the program's own page (its
    members, superusers) get a link to it.
    """
    require_company_lead(actor=request.user)
    issue = issue_for_company(pk=pk)
    activate_zone_for(request.user, otherwise=issue.program.time_zone)
    context = {
        "issue": issue,
        "program": issue.program,
        "events": timeline(issue=issue),
        "late_by": issue.overdue_by(),
        "customer_label": Customer.label(issue.customer.name, issue.customer.email, issue.customer.phone)
        if issue.customer
        else "",
        "own_page": issue.get_absolute_url()
        if visible_programs(user=request.user).filter(pk=issue.program_id).exists()
        else "",
    }
    return render(request, "insights/company_issue.html", context)
