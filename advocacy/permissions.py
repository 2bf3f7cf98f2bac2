"""Who may do what with a program: the one place every view, service, task and test asks.

A program's managers manage it; its members see it; a customer-experience
lead (COMPANY_PERMISSION) sees every program read-only in the company view;
superusers may do anything. Each refusal has one message, defined here and reused by the pages,
the services and the tests. A check that refuses raises `PermissionDenied`
(a 403) or `Http404` (for someone outside the program, whose existence is not
revealed to them).

Work nobody did by hand (the scheduler, the demo, a management command) passes
`actor=SYSTEM`, never `None`: a missing actor is a bug, not a free pass.
"""

from __future__ import annotations

from typing import Final

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from accounts.mfa import needs_two_factor
from core import joined

from .models import Membership, Notification, Profile, Program, RoleDescription
from .selectors import activate_zone_for, remember_own_time_zone, remember_unread_notifications

NOT_MANAGER: Final = "Only the program's managers can do that."
NOT_MEMBER: Final = "Only the program's members can do that."
NO_SUCH_PROGRAM: Final = "No such program."
NO_ACTOR: Final = "This action needs a person (or SYSTEM for the scheduler)."
NOT_COMPANY_LEAD: Final = "Only a customer-experience lead sees the company view. An administrator can grant it."
# The Django permission an administrator grants (usually through a group) to a customer-experience lead.
COMPANY_PERMISSION: Final = "advocacy.view_company"
NEEDS_TWO_FACTOR: Final = (
    "%(program)s asks its members to use two-factor authentication: set it up to open the program."
)


class _System:
    """The actor of work no person did: the scheduler, the demo, management commands."""

    def __repr__(self) -> str:
        return "SYSTEM"

    is_authenticated = False
    is_superuser = False
    pk = None


SYSTEM: Final = _System()

Actor = AbstractBaseUser | _System


def is_system(actor: object) -> bool:
    """Return whether `actor` is the scheduler rather than a person."""
    return actor is SYSTEM


def acting_person(actor: Actor | None) -> AbstractBaseUser | None:
    """Return the person behind `actor`, or None for SYSTEM (for audit columns)."""
    return None if actor is None or is_system(actor) else actor


def is_manager(*, program: Program, user: Actor | None) -> bool:
    """Return whether `user` may manage `program`: its managers, superusers and SYSTEM."""
    if is_system(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(program=program, user=user, role=Membership.Role.MANAGER).exists()


def is_member(*, program: Program, user: Actor | None) -> bool:
    """Return whether `user` may see `program`: its members (managers too), superusers and SYSTEM."""
    if is_system(user):
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or Membership.objects.filter(program=program, user=user).exists()


def require_manager(*, program: Program, actor: Actor | None) -> None:
    """Refuse (403) unless `actor` manages `program`."""
    if actor is None:
        raise PermissionDenied(NO_ACTOR)
    if not is_manager(program=program, user=actor):
        raise PermissionDenied(NOT_MANAGER)


def require_member(*, program: Program, actor: Actor | None) -> None:
    """Refuse (403) unless `actor` belongs to `program`."""
    if actor is None:
        raise PermissionDenied(NO_ACTOR)
    if not is_member(program=program, user=actor):
        raise PermissionDenied(NOT_MEMBER)


def membership_of(*, user: AbstractBaseUser, program: Program) -> Membership | None:
    """Return `user`'s membership of `program`, or None.

    The person's own time zone comes with it (same query), for activate_zone_for.
    """
    if not user.is_authenticated:
        return None
    own_zone = Profile.objects.filter(user=OuterRef("user")).values("time_zone")[:1]
    membership = Membership.objects.filter(program=program, user=user).annotate(own_zone=Subquery(own_zone)).first()
    if membership is not None:
        remember_own_time_zone(user, membership.own_zone)
    return membership


def _membership_by_slug(*, user: AbstractBaseUser, slug: str) -> Membership | None:
    """Return `user`'s membership of the program `slug` with the program and the person's own zone.

    Every program page starts here, so a member's program, role and zone are one
    query rather than one for the program and one for the membership; on
    PostgreSQL written out, as compiling the ORM's joins cost more than running them.
    """
    if not user.is_authenticated:
        return None
    if connection.vendor == "postgresql":
        membership = _membership_by_slug_sql(user_id=user.pk, slug=slug)
    else:
        own_zone = Profile.objects.filter(user=OuterRef("user")).values("time_zone")[:1]
        membership = (
            Membership.objects.select_related("program__role_description")
            .filter(program__slug=slug, user=user)
            .annotate(own_zone=Subquery(own_zone))
            .first()
        )
    if membership is not None:
        remember_own_time_zone(user, membership.own_zone)
        if hasattr(membership, "unread_notifications"):  # read with it (PostgreSQL)
            remember_unread_notifications(user, membership.unread_notifications)
    return membership


_JOINED = ((Membership, "m"), (Program, "p"), (RoleDescription, "r"))


def _membership_by_slug_sql(*, user_id: int, slug: str) -> Membership | None:
    """_membership_by_slug's query on PostgreSQL, written out (core.joined)."""
    sql = (
        f"SELECT {joined.columns(_JOINED)}, "  # noqa: S608 — model columns and tables
        f"(SELECT time_zone FROM {Profile._meta.db_table} WHERE user_id = m.user_id), "
        f"(SELECT COUNT(*) FROM {Notification._meta.db_table} WHERE user_id = m.user_id AND read_at IS NULL) "
        f"FROM {Membership._meta.db_table} m JOIN {Program._meta.db_table} p ON p.id = m.program_id "
        f"LEFT JOIN {RoleDescription._meta.db_table} r ON r.id = p.role_description_id "
        "WHERE p.slug = %s AND m.user_id = %s"
    )
    found = joined.fetch_one(sql, [slug, user_id], _JOINED)
    if found is None:
        return None
    (membership, program, role_description), (own_zone, unread) = found
    program.role_description = role_description
    membership.program = program
    membership.own_zone = own_zone
    membership.unread_notifications = unread
    return membership


def can_manage(*, user: AbstractBaseUser, membership: Membership | None) -> bool:
    """Return whether a user with this (already fetched) membership manages the program."""
    return bool(user.is_superuser or (membership is not None and membership.is_manager))


def program_for_user(*, user: AbstractBaseUser, slug: str, manage: bool = False) -> tuple[Program, Membership | None]:
    """Return the program and the user's membership, enforcing object-level access.

    Someone outside the program gets a 404 (the program's existence is not
    revealed); a member asking to manage gets a 403. Superusers may do anything.
    The person's own time zone (from their profile), else the program's,
    becomes the request's.
    """
    membership = _membership_by_slug(user=user, slug=slug)
    if membership is not None:
        program = membership.program
    else:
        program = Program.objects.select_related("role_description").filter(slug=slug).first()
        if program is None or not user.is_superuser:
            raise Http404(NO_SUCH_PROGRAM)
    if manage and not can_manage(user=user, membership=membership):
        raise PermissionDenied(NOT_MANAGER)
    if program.require_two_factor and membership is not None and needs_two_factor(user):
        raise PermissionDenied(NEEDS_TWO_FACTOR % {"program": program.name})
    activate_zone_for(user, otherwise=program.time_zone)  # what this page shows and reads is in that zone
    return program, membership


def visible_programs(*, user: AbstractBaseUser) -> QuerySet[Program]:
    """Return the programs `user` may see: their own, or all of them for a superuser."""
    if not user.is_authenticated:
        return Program.objects.none()
    if user.is_superuser:
        return Program.objects.all()
    return Program.objects.filter(memberships__user=user)


def visible_programs_sql(*, user: AbstractBaseUser) -> tuple[str, list]:
    """visible_programs as SQL selecting their ids, with its params, written out for a statement
    every log page runs (compiling the queryset cost more than running it). The same rule: a test
    compares the two for each kind of person."""
    program, membership = Program._meta.db_table, Membership._meta.db_table
    if not user.is_authenticated:
        return f"SELECT id FROM {program} WHERE FALSE", []  # noqa: S608 — table names
    if user.is_superuser:
        return f"SELECT id FROM {program}", []  # noqa: S608
    return f"SELECT program_id FROM {membership} WHERE user_id = %s", [int(user.pk)]  # noqa: S608


def visible_program_ids(*, user: AbstractBaseUser) -> list[int]:
    """Return the ids of the programs `user` may see."""
    return list(visible_programs(user=user).values_list("pk", flat=True))


def is_company_lead(*, user: AbstractBaseUser | None) -> bool:
    """Return whether `user` sees every program read-only: an active person granted COMPANY_PERMISSION."""
    if user is None or is_system(user) or not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(COMPANY_PERMISSION)


def require_company_lead(*, actor: AbstractBaseUser | None) -> None:
    """Refuse (403) unless `actor` is a customer-experience lead."""
    if not is_company_lead(user=actor):
        raise PermissionDenied(NOT_COMPANY_LEAD)
