"""Reads for programs, memberships, role descriptions and thanks notes."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from core.zones import activate_zone

from .models import Membership, Profile, Program, RoleDescription, RoleDescriptionVersion, ThanksNote

_OWN_ZONE = "_baton_own_time_zone"  # cached on the user object: one lookup per request at most
_UNREAD = "_baton_unread_notifications"  # read with the program's lookup, for the navigation bar


def programs_for_user(*, user: AbstractBaseUser) -> QuerySet[Program]:
    """Return the programs `user` belongs to (every program for superusers), with member counts."""
    qs = Program.objects.all()
    if not user.is_superuser:
        # A subquery, not a join: filtering on the user's membership row would make
        # the member count below count only that row ("1 member").
        qs = qs.filter(pk__in=Membership.objects.filter(user=user).values("program_id"))
    return qs.annotate(member_count=Count("memberships", distinct=True)).order_by("-is_active", "name")


def members_of(*, program: Program) -> QuerySet[Membership]:
    """Return the program's memberships with their users, managers first."""
    return (
        Membership.objects.filter(program=program)
        .select_related("user")
        .order_by("role", "user__first_name", "user__last_name", "user__username")
    )


def default_role_description() -> RoleDescription | None:
    return RoleDescription.objects.filter(is_default=True).first()


def role_version_for_program(*, program: Program) -> RoleDescriptionVersion | None:
    """Return the role description version in force for a program now.

    A program's own description wins; otherwise the default applies.
    """
    role_id = program.role_description_id
    if role_id is None:
        default = default_role_description()
        role_id = default.pk if default else None
    if role_id is None:
        return None
    return RoleDescriptionVersion.objects.select_related("role").filter(role_id=role_id).order_by("-number").first()


def thanks_for_program(*, program: Program) -> QuerySet[ThanksNote]:
    return ThanksNote.objects.filter(program=program).select_related("sender", "recipient")


def thanks_received(*, user: AbstractBaseUser) -> QuerySet[ThanksNote]:
    return ThanksNote.objects.filter(recipient=user).select_related("sender", "program")


def thanks_counts(*, program: Program) -> dict[int, int]:
    """Return how many thanks each member of the program has received."""
    rows = ThanksNote.objects.filter(program=program).values("recipient_id").annotate(n=Count("id")).order_by()
    return {row["recipient_id"]: row["n"] for row in rows}


def eligible_members(*, program: Program) -> QuerySet[Membership]:
    return members_of(program=program).filter(is_eligible=True, user__is_active=True)


def manager_count(*, program: Program) -> int:
    return Membership.objects.filter(Q(program=program) & Q(role=Membership.Role.MANAGER)).count()


def display_name(user: AbstractBaseUser) -> str:
    """Return the name people know a user by: full name, else username."""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def display_name_of(first_name: str, last_name: str, username: str) -> str:
    """display_name from a user's fields fetched as plain values (as get_full_name joins them)."""
    return f"{first_name} {last_name}".strip() or username


def own_time_zone(user: AbstractBaseUser | None) -> str:
    """Return the time zone `user` chose on their profile, or "" for "the program's" (looked up once per user object)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    cached = getattr(user, _OWN_ZONE, None)
    if cached is None:
        cached = Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first() or ""
        remember_own_time_zone(user, cached)
    return cached


def remember_own_time_zone(user: AbstractBaseUser, name: str | None) -> None:
    """Keep a zone already read with another query (e.g. with the membership) so own_time_zone asks nothing."""
    setattr(user, _OWN_ZONE, name or "")


def remember_unread_notifications(user: AbstractBaseUser, count: int) -> None:
    """Keep the unread notification count read with another query, so the navigation bar asks nothing."""
    setattr(user, _UNREAD, int(count))


def remembered_unread_notifications(user: AbstractBaseUser) -> int | None:
    """Return the count remember_unread_notifications kept for this user object, or None."""
    return getattr(user, _UNREAD, None)


def activate_zone_for(user: AbstractBaseUser | None, *, otherwise: str | None = None) -> None:
    """Make the request's times the person's own zone, else `otherwise` (the program's), else leave UTC."""
    name = own_time_zone(user) or otherwise
    if name:
        activate_zone(name)


def profile_of(*, user: AbstractBaseUser) -> Profile:
    """Return the person's profile, unsaved with every default when they never saved one."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)
