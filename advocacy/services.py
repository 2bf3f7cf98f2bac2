"""Writes for programs, memberships, role descriptions and thanks notes.

Each function is one business action: keyword-only arguments, validation with
messages a person understands, all writes in one transaction.
"""

from datetime import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.mfa import needs_two_factor

from . import hooks
from .hooks import MembershipChange, ProgramChange
from .models import Membership, Program, RoleDescription, RoleDescriptionVersion, ThanksNote
from .permissions import is_system, require_manager
from .selectors import display_name

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
