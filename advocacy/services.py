"""Writes for programs, memberships, role descriptions and thanks notes.

Each function is one business action: keyword-only arguments, validation with
messages a person understands, all writes in one transaction.
"""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.mfa import needs_two_factor
from core.edge import validate_single_line
from core.sessions import end_sessions_of

from . import hooks
from .email_choices import email_choices
from .hooks import MembershipChange, ProgramChange, ProgramCreated
from .models import Membership, Profile, Program, RoleDescription, RoleDescriptionVersion, ThanksNote
from .permissions import Actor, is_system, require_manager
from .selectors import display_name, remember_own_time_zone

User = get_user_model()

LAST_MANAGER = "A program needs at least one manager. Make someone else a manager first."
ALREADY_MEMBER = "%(name)s is already a member of this program."
NOT_A_MEMBER = "%(name)s is not a member of this program."
THANKS_TO_SELF = "You cannot thank yourself — thank a colleague who helped."
THANKS_EMPTY = "Write a few words of thanks."
SLUG_TAKEN = "That web address is already used by another program; choose another."
TWO_FACTOR_FIRST = "Set up two-factor authentication for yourself first (Your account → Two-factor authentication)."


def _check_two_factor_for_self(program: Program, actor) -> None:
    """A manager asks two-factor of the members only once they use it themselves (else they lock themselves out)."""
    if program.require_two_factor and not is_system(actor) and needs_two_factor(actor):
        raise ValidationError({"require_two_factor": ValidationError(TWO_FACTOR_FIRST, code="two_factor_first")})


def _check_slug_free(slug: str, *, program: Program | None = None) -> None:
    """Raise {'slug': SLUG_TAKEN} if another program already uses `slug`."""
    others = Program.objects.filter(slug=slug)
    if program is not None:
        others = others.exclude(pk=program.pk)
    if others.exists():
        raise ValidationError({"slug": ValidationError(SLUG_TAKEN, code="slug_taken")})


@transaction.atomic
def create_program(
    *,
    creator: AbstractBaseUser,
    name: str,
    slug: str,
    description: str = "",
    time_zone: str = "UTC",
    term_months: int = 3,
    handoff_time: time = time(9, 0),
    role_description: RoleDescription | None = None,
    creator_serves: bool = False,
    require_two_factor: bool = False,
) -> Program:
    """Create a program and make its creator its first manager (the roster hook hears of them).

    The creator takes turns as advocate only when they say so (`creator_serves`):
    setting a program up is not volunteering for its rotation.
    """
    _check_slug_free(slug)
    program = Program(
        name=name.strip(),
        slug=slug,
        description=description.strip(),
        time_zone=time_zone,
        term_months=term_months,
        handoff_time=handoff_time,
        role_description=role_description,
        require_two_factor=require_two_factor,
    )
    _check_two_factor_for_self(program, creator)
    program.full_clean()
    program.save()
    membership = Membership(program=program, user=creator, role=Membership.Role.MANAGER, is_eligible=creator_serves)
    membership.full_clean(validate_unique=False)
    membership.save()
    hooks.membership_changed(MembershipChange(membership=membership, change=MembershipChange.ADDED, actor=creator))
    hooks.program_created(ProgramCreated(program=program, actor=creator))
    return program


@transaction.atomic
def update_program(*, program: Program, actor: AbstractBaseUser, **fields) -> Program:
    """Change a program's settings; only its managers may.

    When the time zone or the handoff time changes, the local instant of every
    term boundary moves: the program-changed hook lets rotations move the
    boundaries still ahead, in this transaction.
    """
    require_manager(program=program, actor=actor)
    editable = {
        "name",
        "slug",
        "description",
        "time_zone",
        "term_months",
        "handoff_time",
        "role_description",
        "is_active",
        "require_two_factor",
    }
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if "slug" in fields:
        _check_slug_free(fields["slug"], program=program)
    previous_time_zone, previous_handoff_time = program.time_zone, program.handoff_time
    turning_on = fields.get("require_two_factor") and not program.require_two_factor
    for key, value in fields.items():
        setattr(program, key, value)
    if turning_on:
        _check_two_factor_for_self(program, actor)
    program.full_clean()
    program.save()
    change = ProgramChange(
        program=program,
        actor=actor,
        previous_time_zone=previous_time_zone,
        previous_handoff_time=previous_handoff_time,
    )
    if change.boundaries_moved:
        hooks.program_changed(change)
    return program


@transaction.atomic
def add_member(
    *,
    program: Program,
    actor: AbstractBaseUser,
    user: AbstractBaseUser,
    role: str = Membership.Role.MEMBER,
    is_eligible: bool = True,
) -> Membership:
    """Add an existing user to a program."""
    require_manager(program=program, actor=actor)
    if Membership.objects.filter(program=program, user=user).exists():
        raise ValidationError(ALREADY_MEMBER, params={"name": display_name(user)}, code="already_member")
    membership = Membership(program=program, user=user, role=role, is_eligible=is_eligible)
    membership.full_clean()
    membership.save()
    hooks.membership_changed(MembershipChange(membership=membership, change=MembershipChange.ADDED, actor=actor))
    return membership


@transaction.atomic
def update_membership(*, membership: Membership, actor: AbstractBaseUser, role: str, is_eligible: bool) -> Membership:
    """Change a member's role or eligibility, keeping at least one manager."""
    require_manager(program=membership.program, actor=actor)
    membership = Membership.objects.select_for_update().select_related("program", "user").get(pk=membership.pk)
    if membership.is_manager and role != Membership.Role.MANAGER:
        _ensure_other_manager(membership)
    membership.role = role
    membership.is_eligible = is_eligible
    membership.full_clean()
    membership.save()
    hooks.membership_changed(MembershipChange(membership=membership, change=MembershipChange.CHANGED, actor=actor))
    return membership


@transaction.atomic
def remove_member(*, membership: Membership, actor: AbstractBaseUser) -> Membership:
    """Remove a member from a program, keeping at least one manager."""
    require_manager(program=membership.program, actor=actor)
    membership = Membership.objects.select_for_update().select_related("program", "user").get(pk=membership.pk)
    if membership.is_manager:
        _ensure_other_manager(membership)
    hooks.membership_changed(MembershipChange(membership=membership, change=MembershipChange.REMOVED, actor=actor))
    membership.delete()
    return membership


def _ensure_other_manager(membership: Membership) -> None:
    # Lock every manager row so two managers cannot demote each other at once.
    managers = list(
        Membership.objects.select_for_update()
        .filter(program_id=membership.program_id, role=Membership.Role.MANAGER)
        .values_list("pk", flat=True)
    )
    if managers == [membership.pk]:
        raise ValidationError(LAST_MANAGER, code="last_manager")


@transaction.atomic
def save_role_version(
    *,
    role: RoleDescription,
    actor: AbstractBaseUser | None,
    title: str,
    mandate: str,
    responsibilities: str,
    qualities: list[str],
    summary: str = "",
    change_note: str = "",
) -> RoleDescriptionVersion:
    """Record a new version of a role description; earlier versions stay as they were."""
    role = RoleDescription.objects.select_for_update().get(pk=role.pk)
    latest = role.versions.order_by("-number").first()
    version = RoleDescriptionVersion(
        role=role,
        number=(latest.number + 1) if latest else 1,
        title=title.strip(),
        summary=summary.strip(),
        mandate=mandate.strip(),
        responsibilities=responsibilities.strip(),
        qualities=[q.strip() for q in qualities if q.strip()],
        change_note=change_note.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    version.full_clean()
    version.save()
    return version


def restore_role_version(*, version: RoleDescriptionVersion, actor: AbstractBaseUser | None) -> RoleDescriptionVersion:
    """Bring back an old version by saving its content as the newest version."""
    return save_role_version(
        role=version.role,
        actor=actor,
        title=version.title,
        summary=version.summary,
        mandate=version.mandate,
        responsibilities=version.responsibilities,
        qualities=list(version.qualities),
        change_note=f"Restored from version {version.number}",
    )


@transaction.atomic
def send_thanks(*, program: Program, sender: AbstractBaseUser, recipient: AbstractBaseUser, message: str) -> ThanksNote:
    """Thank a colleague in the same program."""
    message = message.strip()
    if not message:
        raise ValidationError(THANKS_EMPTY, code="empty")
    if sender.pk == recipient.pk:
        raise ValidationError(THANKS_TO_SELF, code="self")
    member_ids = set(
        Membership.objects.filter(program=program, user_id__in=[sender.pk, recipient.pk]).values_list(
            "user_id", flat=True
        )
    )
    for person in (sender, recipient):
        if person.pk not in member_ids:
            raise ValidationError(NOT_A_MEMBER, params={"name": display_name(person)}, code="not_member")
    note = ThanksNote(program=program, sender=sender, recipient=recipient, message=message)
    note.full_clean()
    note.save()
    return note


# ---------------------------------------------------------------- people

EMAIL_TAKEN = "Another account already uses that e-mail address."
EMAIL_INVALID = "Enter an e-mail address such as name@example.com."
UNKNOWN_ZONE = "Choose a time zone from the list, or “Each program's own zone”."
UNKNOWN_EMAIL_CHOICE = "Unknown kind of notice: %(key)s."
NAME_TOO_LONG = "Keep a name under %(max)s characters."
NOT_ALLOWED_TO_DEACTIVATE = "Only an administrator can deactivate a person."
NOT_ALLOWED_TO_REACTIVATE = "Only an administrator can reactivate a person."


@transaction.atomic
def update_profile(
    *,
    user: AbstractBaseUser,
    first_name: str,
    last_name: str,
    email: str,
    time_zone: str,
    email_on: Iterable[str],
) -> Profile:
    """Save a person's name, e-mail address, time zone and which notices also come by e-mail.

    An empty time zone means "each program's zone". Every kind of notice not
    in `email_on` stays in the app only. Nothing is saved if anything is wrong.
    """
    errors: dict[str, list[ValidationError]] = {}
    first_name, last_name, email, time_zone = (
        (first_name or "").strip(),
        (last_name or "").strip(),
        (email or "").strip(),
        (time_zone or "").strip(),
    )
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        limit = User._meta.get_field(name).max_length
        try:
            validate_single_line(value)
        except ValidationError as error:
            errors.setdefault(name, []).append(error)
        if len(value) > limit:
            errors.setdefault(name, []).append(ValidationError(NAME_TOO_LONG, params={"max": limit}, code="long"))
    if email:
        try:
            validate_email(email)
            validate_single_line(email)
        except ValidationError:
            errors["email"] = [ValidationError(EMAIL_INVALID, code="invalid")]
        else:
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                errors["email"] = [ValidationError(EMAIL_TAKEN, code="taken")]
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [ValidationError(UNKNOWN_ZONE, code="unknown_zone")]
    known = {choice.key for choice in email_choices()}
    wanted = set(email_on)
    unknown = sorted(wanted - known)
    if unknown:
        errors["email_on"] = [ValidationError(UNKNOWN_EMAIL_CHOICE, params={"key": unknown[0]}, code="unknown")]
    if errors:
        raise ValidationError(errors)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    profile.time_zone = time_zone
    profile.email_off = sorted(known - wanted)
    profile.full_clean()
    profile.save()
    remember_own_time_zone(user, time_zone)  # the rest of this request reads the new zone
    return profile


@dataclass
class Deactivation:
    """What deactivating a person did: sessions ended, and what the apps above did per program."""

    user: AbstractBaseUser
    sessions_ended: int = 0
    effects: list = field(default_factory=list)
    already_inactive: bool = False


@transaction.atomic
def deactivate_person(*, user: AbstractBaseUser, actor: Actor) -> Deactivation:
    """Close a person's account: sign them out everywhere and let each program deal with their future terms.

    Their memberships, past terms, issues and notes keep their name: nothing
    of their history is deleted. Each program they belong to runs the
    membership hook (rotations opens a roster review of the planned terms they
    hold, for the managers to decide). Running it again only ends any new
    session. Only an administrator (or the sign-in system, as SYSTEM) may.
    """
    if not (is_system(actor) or getattr(actor, "is_superuser", False) or actor.has_perm("auth.change_user")):
        raise PermissionDenied(NOT_ALLOWED_TO_DEACTIVATE)
    person = User.objects.select_for_update().get(pk=user.pk)
    result = Deactivation(user=person, already_inactive=not person.is_active)
    if person.is_active:
        person.is_active = False
        person.save(update_fields=["is_active"])
    user.is_active = False
    result.sessions_ended = end_sessions_of(user_id=person.pk)
    if not result.already_inactive:
        for membership in Membership.objects.filter(user=person).select_related("program", "user"):
            result.effects += hooks.membership_changed(
                MembershipChange(membership=membership, change=MembershipChange.DEACTIVATED, actor=actor)
            )
    return result


@dataclass
class Reactivation:
    """What reactivating a person did: what the apps above did per program."""

    user: AbstractBaseUser
    effects: list = field(default_factory=list)
    already_active: bool = False


@transaction.atomic
def reactivate_person(*, user: AbstractBaseUser, actor: Actor) -> Reactivation:
    """Open a deactivated person's account again; each program they belong to runs the membership hook.

    Rotations closes the roster review their deactivation opened (the terms
    they held are theirs again) and, if they are eligible and hold none,
    offers the managers to replan with them. Running it again does nothing.
    """
    if not (is_system(actor) or getattr(actor, "is_superuser", False) or actor.has_perm("auth.change_user")):
        raise PermissionDenied(NOT_ALLOWED_TO_REACTIVATE)
    person = User.objects.select_for_update().get(pk=user.pk)
    result = Reactivation(user=person, already_active=person.is_active)
    if not person.is_active:
        person.is_active = True
        person.save(update_fields=["is_active"])
        for membership in Membership.objects.filter(user=person).select_related("program", "user"):
            result.effects += hooks.membership_changed(
                MembershipChange(membership=membership, change=MembershipChange.REACTIVATED, actor=actor)
            )
    user.is_active = True
    return result
