"""Schedule, planning, terms, handoffs, leave, covers, swaps and calendar feeds.

Views parse the request, check access at the top with program_for_user
(advocacy.permissions), read through rotations.selectors, call a service for
every write and every rule, and turn the services' ValidationError into a
message or a form error. No query and no rule is written here.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.permissions import is_manager, program_for_user
from advocacy.selectors import activate_zone_for, display_name
from core.edge import safe_next, validate_sensible_date
from core.when import format_day

from . import boundaries, feeds, selectors, services
from .forms import (
    AddTermForm,
    AssignTermForm,
    CoverForm,
    DeclarationForm,
    HandOverForm,
    LeaveForm,
    NoteForm,
    PlanForm,
    RotationSettingsForm,
    SwapRequestForm,
)
from .models import RosterReview, SwapRequest, Term
from .panels import handoff_panels


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _term(program, pk) -> Term:
    return get_object_or_404(selectors.terms_in(program=program), pk=pk)


@login_required
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    can_manage = is_manager(program=program, user=request.user)
    show_all = request.GET.get("past") == "all"
    sched = selectors.schedule_for(program=program, past_limit=10_000 if show_all else 6)
    token = selectors.live_calendar_token(user=request.user, program=program)
    if can_manage:
        # For each leave conflict, the person the planner would propose, to cover or take over.
        for row in [sched.current, *sched.upcoming]:
            if row is not None and row.leave_conflicts:
                row.proposals = services.leave_proposals(term=row.term, leaves=row.leave_conflicts)
    context = {
        "program": program,
        "membership": membership,
        "can_manage": can_manage,
        "schedule": sched,
        "reviews": selectors.open_roster_reviews(program=program) if can_manage else [],
        "settings": selectors.rotation_settings(program=program),
        "calendar_token": token,
        "calendar_links": feeds.subscription_links(token) if token else None,
    }
    return render(request, "rotations/schedule.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, slug: str) -> HttpResponse:
    """Plan the next N terms: the form, then a preview of every change, then save."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    data = request.POST if request.method == "POST" else (request.GET if "count" in request.GET else None)
    if request.method == "GET" and request.GET.get("year"):
        # "Plan the next year": exactly as many terms as cover the next 12 months, whatever their length.
        data = {"count": services.terms_to_cover(program=program, months=12)}
    form = PlanForm(data)
    only = [int(x) for x in (request.POST.getlist("only") or request.GET.getlist("only")) if x.isdigit()] or None
    preview = None
    if data is not None and form.is_valid():
        count, start = form.cleaned_data["count"], form.cleaned_data["start_date"]
        fill_gaps = form.cleaned_data["fill_gaps"]
        if request.method == "POST":
            try:
                services.save_plan(
                    program=program,
                    actor=request.user,
                    count=count,
                    start_date=start,
                    fingerprint=request.POST.get("fingerprint", ""),
                    only_terms=only,
                    fill_gaps=fill_gaps,
                )
            except ValidationError as error:
                messages.warning(request, _error_text(error))
            else:
                messages.success(request, "Plan saved. Everyone whose terms moved has been told.")
                return redirect("rotations:schedule", slug=program.slug)
        try:
            preview = services.preview_plan(
                program=program, count=count, start_date=start, only_terms=only, fill_gaps=fill_gaps
            )
        except ValidationError as error:
            field = {"past": "start_date", "no_gaps": "fill_gaps"}.get(error.code, "count")
            form.add_error(field, error)
    return render(request, "rotations/plan.html", {"program": program, "form": form, "preview": preview, "only": only})


@login_required
@require_http_methods(["GET", "POST"])
def term_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Create a term by hand, e.g. for a coverage gap (the schedule's "Assign someone" prefills the dates)."""
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    initial = {}
    start = _date_param(request.GET.get("start"))
    if start is not None:
        end = boundaries.term_end_date(program=program, start_date=start)
        until = _date_param(request.GET.get("until"))
        initial = {"start_date": start, "end_date": min(end, until) if until and until > start else end}
    form = AddTermForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.add_term(program=program, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            who = form.cleaned_data["advocate"]
            messages.success(
                request,
                f"{display_name(who) if who else 'Nobody yet'} has the term from {format_day(term.start_date)}.",
            )
            return redirect("rotations:schedule", slug=slug)
    return render(
        request, "rotations/term_add.html", {"program": program, "form": form, "heading": "Assign someone to the gap"}
    )


def _date_param(value: str | None):
    """Return a date from a query parameter (YYYY-MM-DD) in the sensible range, or None."""
    try:
        day = date.fromisoformat(value or "")
        validate_sensible_date(day)
    except (ValueError, ValidationError):
        return None
    return day


@login_required
@require_http_methods(["GET", "POST"])
def rotation_settings(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    form = RotationSettingsForm(request.POST or None, instance=selectors.rotation_settings(program=program))
    if request.method == "POST" and form.is_valid():
        services.save_rotation_settings(program=program, actor=request.user, **form.cleaned_data)
        messages.success(request, "Planning rules saved. They apply the next time you plan.")
        return redirect("rotations:schedule", slug=program.slug)
    return render(request, "rotations/settings.html", {"program": program, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def term_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    term = _term(program, pk)
    is_advocate = term.advocate_id == request.user.pk
    note_form = NoteForm(initial={"handoff_note": term.handoff_note})
    declaration_form = DeclarationForm(initial={"declaration": term.declaration})
    if request.method == "POST":
        if "handoff_note" in request.POST:
            note_form = NoteForm(request.POST)
            if note_form.is_valid():
                try:
                    services.write_handoff_note(
                        term=term, author=request.user, note=note_form.cleaned_data["handoff_note"]
                    )
                except ValidationError as error:
                    messages.error(request, _error_text(error))
                else:
                    messages.success(request, "Handoff note saved. The next advocate will read it first.")
                    return redirect("rotations:term_detail", slug=slug, pk=pk)
        else:
            declaration_form = DeclarationForm(request.POST)
            if declaration_form.is_valid():
                services.save_declaration(
                    term=term, author=request.user, declaration=declaration_form.cleaned_data["declaration"]
                )
                messages.success(request, "Declaration saved; it shows on the program page.")
                return redirect("rotations:term_detail", slug=slug, pk=pk)
    context = {
        "program": program,
        "term": term,
        "is_advocate": is_advocate,
        "can_manage": is_manager(program=program, user=request.user),
        "covers": selectors.covers_of(term=term),
        "incoming_handoff": selectors.handoff_into(term=term),
        "outgoing_handoff": selectors.handoff_out_of(term=term),
        "note_form": note_form,
        "declaration_form": declaration_form,
        "swaps": selectors.recent_swaps_of(term=term),
    }
    return render(request, "rotations/term_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    term = _term(program, pk)
    if term.status != Term.Status.PLANNED:
        messages.warning(request, services.NOT_PLANNED)
        return redirect("rotations:schedule", slug=slug)
    form = AssignTermForm(
        request.POST or None, program=program, initial={"advocate": request.GET.get("advocate") or term.advocate}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_term(term=term, advocate=form.cleaned_data["advocate"], actor=request.user)
        except ValidationError as error:
            form.add_error("advocate", error)
        else:
            who = form.cleaned_data["advocate"]
            messages.success(
                request,
                f"{display_name(who)} now has the term from {format_day(term.start_date)}."
                if who
                else "The term is open now.",
            )
            return redirect("rotations:schedule", slug=slug)
    return render(
        request,
        "rotations/term_edit.html",
        {"program": program, "term": term, "form": form, "heading": "Assign the advocate"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def term_handover(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    term = _term(program, pk)
    following = selectors.next_term(term=term)
    form = HandOverForm(
        request.POST or None, program=program, term=term, initial={"to": following.advocate_id if following else None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            handoff = services.hand_over_now(
                term=term, to=form.cleaned_data["to"], actor=request.user, note=form.cleaned_data["handoff_note"]
            )
        except ValidationError as error:
            form.add_error("handoff_note" if error.code == "note_required" else "to", error)
        else:
            messages.success(request, f"{display_name(handoff.incoming_advocate)} has the baton now.")
            return redirect("rotations:schedule", slug=slug)
    return render(
        request,
        "rotations/term_handover.html",
        {"program": program, "term": term, "form": form, "heading": "Hand over now"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cover_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    term = _term(program, pk)
    services.check_can_arrange_cover(term=term, actor=request.user)
    initial = {key: request.GET[key] for key in ("person", "first_day", "last_day", "reason") if key in request.GET}
    form = CoverForm(request.POST or None, program=program, term=term, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_cover(term=term, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{display_name(form.cleaned_data['person'])} covers those days.")
            return redirect("rotations:schedule", slug=slug)
    return render(
        request, "rotations/cover_form.html", {"program": program, "term": term, "form": form, "heading": "Add a cover"}
    )


@login_required
@require_POST
def cover_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    cover = get_object_or_404(selectors.covers_in(program=program), pk=pk)
    services.remove_cover(cover=cover, actor=request.user)
    messages.success(request, "Cover removed.")
    return redirect("rotations:schedule", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def handoff_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    handoff = get_object_or_404(selectors.handoffs_in(program=program), pk=pk)
    is_incoming = handoff.incoming_advocate_id == request.user.pk
    form = DeclarationForm(request.POST or None, initial={"declaration": handoff.incoming_term.declaration})
    if request.method == "POST":
        if form.is_valid():
            try:
                services.acknowledge_handoff(
                    handoff=handoff, user=request.user, declaration=form.cleaned_data["declaration"]
                )
            except ValidationError as error:
                messages.warning(request, _error_text(error))
                if request.POST.get("next"):
                    return redirect(safe_next(request, request.POST["next"], program.get_absolute_url()))
            else:
                messages.success(request, "Handoff acknowledged. Welcome to your term.")
                return redirect(safe_next(request, request.POST.get("next"), program.get_absolute_url()))
    return render(
        request,
        "rotations/handoff_detail.html",
        {
            "program": program,
            "handoff": handoff,
            "is_incoming": is_incoming,
            "form": form,
            "panels": handoff_panels(request, handoff),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def swap_request(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    term = _term(program, pk)
    try:
        services.check_can_offer(term=term, requester=request.user)
    except ValidationError as error:
        # Only the advocate of a future term can offer it; others see why, not a form.
        if request.method == "POST":
            raise PermissionDenied(_error_text(error)) from error
        return render(
            request,
            "rotations/swap_form.html",
            {"program": program, "term": term, "form": None, "heading": "Ask for a swap"},
        )
    form = SwapRequestForm(request.POST or None, program=program, term=term)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_swap(term=term, requester=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Swap request sent.")
            return redirect("rotations:swap_list", slug=slug)
    return render(
        request,
        "rotations/swap_form.html",
        {"program": program, "term": term, "form": form, "heading": "Ask for a swap"},
    )


@login_required
def swap_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = program_for_user(user=request.user, slug=slug)
    swaps = selectors.swaps_for_program(program=program)
    return render(
        request,
        "rotations/swap_list.html",
        {
            "program": program,
            "membership": membership,
            "can_manage": is_manager(program=program, user=request.user),
            "pending": [s for s in swaps if s.is_pending],
            "closed": [s for s in swaps if not s.is_pending][:20],
        },
    )


SWAP_ACTIONS = {
    "accept": (services.accept_swap, "user", "Accepted."),
    "approve": (services.approve_swap, "actor", "Swap approved and applied; everyone involved has been told."),
    "decline": (services.decline_swap, "actor", "Swap declined."),
    "cancel": (services.cancel_swap, "actor", "Swap request withdrawn."),
}


@login_required
@require_POST
def swap_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug)
    swap = get_object_or_404(selectors.swaps_for_program(program=program), pk=pk)
    if action not in SWAP_ACTIONS:
        raise Http404("No such action.")
    func, arg, done = SWAP_ACTIONS[action]
    try:
        swap = func(swap=swap, **{arg: request.user})
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        if action == "accept" and swap.status == SwapRequest.Status.ACCEPTED:
            done = "Accepted. A manager approves the swap next."
        elif action == "accept":
            done = "Accepted; the swap is done."
        messages.success(request, done)
    return redirect("rotations:swap_list", slug=slug)


@login_required
@require_POST
def roster_review_resolve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = program_for_user(user=request.user, slug=slug, manage=True)
    review = get_object_or_404(selectors.roster_reviews_in(program=program), pk=pk)
    action = request.POST.get("action", "")
    if action not in services.REVIEW_ACTIONS:
        raise Http404("No such action.")
    try:
        ids = services.resolve_roster_review(review=review, actor=request.user, action=action)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("rotations:schedule", slug=slug)
    plan_url = reverse("rotations:plan", kwargs={"slug": slug})
    if action == "replan" and review.change == RosterReview.Change.JOINED:
        return redirect(f"{plan_url}?count={review.terms.count()}")
    if action == "replan" and ids:
        query = "&".join(f"only={i}" for i in ids)
        return redirect(f"{plan_url}?count={len(ids)}&{query}")
    messages.success(request, "Kept the terms as they are." if action == "keep" else "Those terms are open now.")
    return redirect("rotations:schedule", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def my_rotation(request: HttpRequest) -> HttpResponse:
    """My terms, covers, leave, handoffs to acknowledge, swaps I could take, and my calendar feed."""
    activate_zone_for(request.user)
    now = timezone.now()
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_leave(user=request.user, **form.cleaned_data)
        messages.success(request, "Leave recorded. If it touches one of your terms, your managers have been told.")
        return redirect("rotations:my_rotation")
    token = selectors.live_calendar_token(user=request.user, program=None)
    context = {
        "form": form,
        "terms": selectors.terms_for_user(user=request.user),
        "covers": selectors.covers_for_user(user=request.user),
        "leaves": selectors.upcoming_leave_for(user=request.user),
        "handoffs": selectors.pending_handoffs_for(user=request.user),
        "swaps": selectors.swaps_open_to(user=request.user),
        "calendar_token": token,
        "calendar_links": feeds.subscription_links(token) if token else None,
        "now": now,
    }
    return render(request, "rotations/my_rotation.html", context)


@login_required
@require_POST
def leave_delete(request: HttpRequest, pk: int) -> HttpResponse:
    leave = get_object_or_404(selectors.leave_of(user=request.user), pk=pk)
    services.delete_leave(leave=leave, user=request.user)
    messages.success(request, "Leave removed.")
    return redirect("rotations:my_rotation")


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    """Create the feed address, or revoke the old one and make a new one."""
    slug = request.POST.get("program", "")
    program = program_for_user(user=request.user, slug=slug)[0] if slug else None
    if request.POST.get("reset"):
        services.reset_calendar_token(user=request.user, program=program)
        messages.success(request, "New calendar address made; the old one no longer works.")
    else:
        services.calendar_token(user=request.user, program=program)
    if program:
        return redirect("rotations:schedule", slug=program.slug)
    return redirect("rotations:my_rotation")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Serve an iCalendar feed to calendar apps; the secret token is the only key."""
    found = selectors.feed_token(token=token)
    if found is None:
        raise Http404("No such calendar.")
    body = feeds.render_feed(token=found)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="baton.ics"'
    return response
