"""Program, membership, role and thanks pages. Views parse, check access, call a service."""

from copy import copy

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.edge import safe_next
from core.zones import activate_shared_zone

from . import invitations, permissions, selectors, services
from .email_choices import email_choices
from .forms import (
    AddMemberForm,
    InviteForm,
    JoinForm,
    MembershipForm,
    ProfileForm,
    ProgramForm,
    ThanksForm,
    add_service_errors,
)
from .models import INVITATION_DAYS, Invitation, Membership
from .notifications import mark_read
from .panels import program_panels

THANKS_PER_PAGE = 20
PROGRAMS_PER_PAGE = 24


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    programs = Paginator(selectors.programs_for_user(user=request.user), PROGRAMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "advocacy/program_list.html", {"page": programs})


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.create_program(
                creator=request.user, creator_serves=form.cleaned_data["creator_serves"], **form.service_arguments()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"“{program.name}” is ready. Add the people who take part next.")
            return redirect("advocacy:member_list", slug=program.slug)
    return render(request, "advocacy/program_form.html", {"form": form, "creating": True})


@login_required
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = permissions.program_for_user(user=request.user, slug=slug)
    thanks_form = ThanksForm(program=program, sender=request.user) if membership else None
    context = {
        "program": program,
        "membership": membership,
        "can_manage": permissions.is_manager(program=program, user=request.user),
        "members": selectors.members_of(program=program),
        "role_version": selectors.role_version_for_program(program=program),
        "thanks": selectors.thanks_for_program(program=program)[:6],
        "thanks_form": thanks_form,
        "panels": program_panels(request, program, membership),
    }
    return render(request, "advocacy/program_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def program_settings(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    # The form validates a copy, so a refused edit never changes the page's own links.
    form = ProgramForm(request.POST or None, instance=copy(program))
    if request.method == "POST" and form.is_valid():
        try:
            program = services.update_program(program=program, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Program settings saved.")
            return redirect(program)
    return render(request, "advocacy/program_form.html", {"form": form, "program": program})


@login_required
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.add_member(
                program=program,
                actor=request.user,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                is_eligible=form.cleaned_data["is_eligible"],
            )
        except ValidationError as error:
            form.add_error("identifier", error)
        else:
            messages.success(request, f"{selectors.display_name(membership.user)} joined {program.name}.")
            return redirect("advocacy:member_list", slug=program.slug)
    context = {
        "program": program,
        "form": form,
        "invite_form": InviteForm(),
        "members": selectors.members_of(program=program),
        "invitations": invitations.pending_invitations(program=program),
        "now": timezone.now(),
    }
    return render(request, "advocacy/member_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: HttpRequest, slug: str) -> HttpResponse:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    form = InviteForm(request.POST or None)
    batch = None
    if request.method == "POST" and form.is_valid():
        try:
            batch = invitations.invite_people(
                program=program,
                actor=request.user,
                addresses=form.cleaned_data["addresses"],
                role=form.cleaned_data["role"],
                is_eligible=form.cleaned_data["is_eligible"],
            )
        except invitations.InvitationBatchError as error:
            batch = error.batch
            form.add_error("addresses", error.messages[0])
        except ValidationError as error:
            form.add_error("addresses", error)
        else:
            messages.success(request, _batch_summary(batch))
            for result in batch.results:
                if result.outcome == invitations.SKIPPED:
                    messages.info(request, f"{result.email}: {result.message}")
            return redirect("advocacy:member_list", slug=program.slug)
    return render(request, "advocacy/member_invite.html", {"program": program, "form": form, "batch": batch})


def _batch_summary(batch) -> str:
    invited, added = batch.count(invitations.INVITED), batch.count(invitations.ADDED)
    parts = []
    if invited:
        parts.append(f"Invited {invited} {'person' if invited == 1 else 'people'} by e-mail")
    if added:
        parts.append(f"added {added} who already had an account (they were told)")
    if not parts:
        return "Nobody new to invite."
    summary = ", ".join(parts) + "."
    return summary[0].upper() + summary[1:]


def _invitation(request: HttpRequest, slug: str, pk: int) -> Invitation:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    return get_object_or_404(Invitation.objects.select_related("program"), pk=pk, program=program)


@login_required
@require_http_methods(["POST"])
def invitation_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = _invitation(request, slug, pk)
    try:
        invitations.resend_invitation(invitation=invitation, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Sent the invitation to {invitation.email} again, valid {INVITATION_DAYS} days.")
    return redirect("advocacy:member_list", slug=slug)


@login_required
@require_http_methods(["POST"])
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = _invitation(request, slug, pk)
    try:
        invitations.revoke_invitation(invitation=invitation, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Withdrew the invitation to {invitation.email}; its link no longer works.")
    return redirect("advocacy:member_list", slug=slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's page: join as the signed-in person, or create an account with a name and password."""
    try:
        invitation = invitations.invitation_from_token(token)
    except invitations.InvitationLinkError as error:
        return render(request, "advocacy/invitation_invalid.html", {"message": error.message}, status=error.status)
    existing = invitations.account_for(invitation)
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = invitations.accept_invitation(token=token, user=request.user)
            except invitations.InvitationLinkError as error:
                return render(
                    request, "advocacy/invitation_invalid.html", {"message": error.message}, status=error.status
                )
            messages.success(request, f"Welcome to {membership.program.name}.")
            return redirect(membership.program)
    elif existing is None:
        form = JoinForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = invitations.join_with_invitation(
                    token=token,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
            except invitations.InvitationLinkError as error:
                return render(
                    request, "advocacy/invitation_invalid.html", {"message": error.message}, status=error.status
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    f"Welcome to {invitation.program.name}. You sign in with {user.email} "
                    f"(or your username, {user.username}).",
                )
                return redirect(invitation.program)
    elif request.method == "POST":
        return redirect(f"{reverse('login')}?next={request.path}")
    context = {
        "invitation": invitation,
        "program": invitation.program,
        "inviter": selectors.display_name(invitation.invited_by) if invitation.invited_by else "A manager",
        "existing": existing,
        "form": form,
        "account_exists": invitations.ACCOUNT_EXISTS % {"email": invitation.email},
    }
    return render(request, "advocacy/invitation_accept.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, program=program)
    form = MembershipForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(
                membership=membership,
                actor=request.user,
                role=form.cleaned_data["role"],
                is_eligible=form.cleaned_data["is_eligible"],
            )
        except ValidationError as error:
            membership.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {selectors.display_name(membership.user)}'s membership.")
            return redirect("advocacy:member_list", slug=program.slug)
    return render(request, "advocacy/member_form.html", {"program": program, "membership": membership, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    program, _ = permissions.program_for_user(user=request.user, slug=slug, manage=True)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, program=program)
    error = None
    if request.method == "POST":
        try:
            services.remove_member(membership=membership, actor=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, f"{selectors.display_name(membership.user)} left {program.name}.")
            if membership.user_id == request.user.pk and not request.user.is_superuser:
                return redirect("advocacy:program_list")
            return redirect("advocacy:member_list", slug=program.slug)
    return render(
        request, "advocacy/member_confirm_remove.html", {"program": program, "membership": membership, "error": error}
    )


@login_required
def role_detail(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = permissions.program_for_user(user=request.user, slug=slug)
    context = {
        "program": program,
        "membership": membership,
        "role_version": selectors.role_version_for_program(program=program),
    }
    return render(request, "advocacy/role_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def thanks_list(request: HttpRequest, slug: str) -> HttpResponse:
    program, membership = permissions.program_for_user(user=request.user, slug=slug)
    form = ThanksForm(request.POST or None, program=program, sender=request.user) if membership else None
    if request.method == "POST":
        if form is None:
            messages.error(request, "Only members of the program can send thanks.")
            return redirect("advocacy:thanks_list", slug=program.slug)
        if form.is_valid():
            try:
                note = services.send_thanks(
                    program=program,
                    sender=request.user,
                    recipient=form.cleaned_data["recipient"],
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Thanks sent to {selectors.display_name(note.recipient)}.")
                fallback = reverse("advocacy:thanks_list", kwargs={"slug": program.slug})
                return redirect(safe_next(request, request.POST.get("next"), fallback))
    page = Paginator(selectors.thanks_for_program(program=program), THANKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "advocacy/thanks_list.html", {"program": program, "form": form, "page": page})


@login_required
def my_thanks(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.thanks_received(user=request.user), THANKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "advocacy/my_thanks.html", {"page": page})


NOTIFICATIONS_PER_PAGE = 25


@login_required
@require_http_methods(["GET", "POST"])
def my_notifications(request: HttpRequest) -> HttpResponse:
    selectors.activate_zone_for(request.user)
    if request.method == "POST":
        count = mark_read(user=request.user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
        return redirect("advocacy:my_notifications")
    page = Paginator(request.user.notifications.select_related("program"), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    # Each notice of a program is shown in that program's zone; the others in the zone the person's programs share.
    activate_shared_zone(p.time_zone for p in permissions.visible_programs(user=request.user).only("time_zone"))
    return render(request, "advocacy/my_notifications.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def my_profile(request: HttpRequest) -> HttpResponse:
    """The person's name, e-mail address, time zone and e-mail choices."""
    profile = selectors.profile_of(user=request.user)
    choices = email_choices()
    form = ProfileForm(request.POST or None, user=request.user, profile=profile, choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                time_zone=data["time_zone"],
                email_on=form.email_on(),
            )
        except ValidationError as error:
            request.user.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("advocacy:my_profile")
    return render(request, "advocacy/my_profile.html", {"form": form, "profile": profile})
