"""Writes for themes: create and edit a theme, move its fix along, add issues to it or take them out.

Managers and the program's current advocate create and edit themes and move
their fix; any member may add the issues they work to a theme, or take one out.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.permissions import is_manager, require_member
from advocacy.selectors import display_name
from issues.models import Department, HotIssue, IssueEvent, RootCause
from issues.services import ROOT_CAUSE_OTHER_PROGRAM, ROOT_CAUSE_REQUIRED, ROOT_CAUSE_RETIRED
from rotations.selectors import current_advocate

from .models import FIX_ORDER, FixStatus, FixStatusChange, Theme, ThemeIssue

ONLY_ADVOCATE_OR_MANAGER = "Only the program's managers and its current advocate can change themes."
TITLE_REQUIRED = "Give the theme a short title customers' problems can be recognised by."
OWNER_REQUIRED = "Choose who owns the fix: a department or a member of the program."
OWNER_ONE = "Choose a department or a member to own the fix, not both."
DEPARTMENT_OTHER_PROGRAM = "That department belongs to another program."
OWNER_NOT_MEMBER = "The owner must be a member of this program."
BAD_FIX_STATUS = "A fix that is “%(current)s” can move to “%(next)s”%(back)s, not to “%(target)s”."
SHIPPED_NEEDS_FIX = "Describe the lasting fix before marking it shipped."
ISSUE_OTHER_PROGRAM = "“%(title)s” belongs to another program; only this program's issues can join its themes."
NO_ISSUES = "Choose at least one issue to add."
ALREADY_IN_THEME = "These issues are already in the theme."
NOT_IN_THEME = "That issue is not in this theme."
THEME_OTHER_PROGRAM = "That theme belongs to another program."
TARGET_IN_PAST = "The target date cannot be before the theme was created."


def can_work_themes(*, program: Program, user: AbstractBaseUser, membership: Membership | None = None) -> bool:
    """Return whether `user` may create and edit the program's themes: its managers and its current advocate.

    `membership`, the user's membership of the program when a page already fetched it, spares asking again.
    """
    if not user.is_authenticated:
        return False
    if membership is not None and (membership.program_id, membership.user_id) != (program.pk, user.pk):
        raise ValueError("That membership is not this user's in this program.")
    if (membership is not None and membership.is_manager) or is_manager(program=program, user=user):
        return True
    advocate = current_advocate(program=program)
    return advocate is not None and advocate.pk == user.pk


def _require_editor(program: Program, actor: AbstractBaseUser) -> None:
    if actor is None or not can_work_themes(program=program, user=actor):
        raise PermissionDenied(ONLY_ADVOCATE_OR_MANAGER)


def _check(
    program: Program,
    *,
    title: str,
    root_cause: RootCause | None,
    owner_department: Department | None,
    owner_member: AbstractBaseUser | None,
    current_cause_id: int | None = None,
) -> dict:
    errors = {}
    if not title:
        errors["title"] = TITLE_REQUIRED
    if root_cause is None:
        errors["root_cause"] = ROOT_CAUSE_REQUIRED
    elif root_cause.program_id != program.pk:
        errors["root_cause"] = ROOT_CAUSE_OTHER_PROGRAM
    elif root_cause.is_retired and root_cause.pk != current_cause_id:
        errors["root_cause"] = ValidationError(ROOT_CAUSE_RETIRED, params={"name": root_cause.name})
    if owner_department is None and owner_member is None:
        errors["owner_department"] = OWNER_REQUIRED
    elif owner_department is not None and owner_member is not None:
        errors["owner_department"] = OWNER_ONE
    elif owner_department is not None and owner_department.program_id != program.pk:
        errors["owner_department"] = DEPARTMENT_OTHER_PROGRAM
    elif owner_member is not None and not Membership.objects.filter(program=program, user=owner_member).exists():
        errors["owner_member"] = OWNER_NOT_MEMBER
    return errors


@transaction.atomic
def create_theme(
    *,
    program: Program,
    actor: AbstractBaseUser,
    title: str,
    root_cause: RootCause | None,
    owner_department: Department | None = None,
    owner_member: AbstractBaseUser | None = None,
    fix: str = "",
    target_date: date | None = None,
) -> Theme:
    """Start a theme with its root cause, the owner of its fix and what the fix is (proposed)."""
    _require_editor(program, actor)
    title = " ".join((title or "").split())
    errors = _check(
        program, title=title, root_cause=root_cause, owner_department=owner_department, owner_member=owner_member
    )
    if target_date is not None and target_date < timezone.localdate():
        errors["target_date"] = TARGET_IN_PAST
    if errors:
        raise ValidationError(errors)
    theme = Theme(
        program=program,
        title=title,
        root_cause=root_cause,
        owner_department=owner_department,
        owner_member=owner_member,
        fix=(fix or "").strip(),
        target_date=target_date,
        created_by=actor,
    )
    theme.full_clean()
    theme.save()
    FixStatusChange.objects.create(
        theme=theme, from_status="", to_status=FixStatus.PROPOSED, by=actor, at=theme.created_at
    )
    return theme


@transaction.atomic
def edit_theme(
    *,
    theme: Theme,
    actor: AbstractBaseUser,
    title: str,
    root_cause: RootCause | None,
    owner_department: Department | None = None,
    owner_member: AbstractBaseUser | None = None,
    fix: str = "",
    target_date: date | None = None,
) -> Theme:
    """Change a theme's title, root cause, owner, fix description or target date."""
    _require_editor(theme.program, actor)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    title = " ".join((title or "").split())
    errors = _check(
        theme.program,
        title=title,
        root_cause=root_cause,
        owner_department=owner_department,
        owner_member=owner_member,
        current_cause_id=theme.root_cause_id,
    )
    if target_date is not None and target_date < timezone.localtime(theme.created_at).date():
        errors["target_date"] = TARGET_IN_PAST
    if errors:
        raise ValidationError(errors)
    theme.title, theme.root_cause, theme.fix, theme.target_date = title, root_cause, (fix or "").strip(), target_date
    theme.owner_department, theme.owner_member = owner_department, owner_member
    theme.full_clean()
    theme.save()
    return theme


def next_fix_statuses(current: str) -> list[FixStatus]:
    """Return where a fix in `current` may move: the next step, or back one step."""
    index = FIX_ORDER.index(FixStatus(current))
    return [FIX_ORDER[i] for i in (index + 1, index - 1) if 0 <= i < len(FIX_ORDER)]


@transaction.atomic
def move_fix(*, theme: Theme, actor: AbstractBaseUser, to_status: str, note: str = "") -> Theme:
    """Move the theme's fix one step along (or back one step), keeping who, when and why."""
    _require_editor(theme.program, actor)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    current = FixStatus(theme.fix_status)
    allowed = next_fix_statuses(current)
    if to_status not in allowed:
        label = FixStatus(to_status).label if to_status in FixStatus.values else to_status
        forward = [s for s in allowed if FIX_ORDER.index(s) > FIX_ORDER.index(current)]
        back = [s for s in allowed if FIX_ORDER.index(s) < FIX_ORDER.index(current)]
        params = {
            "current": current.label,
            "next": forward[0].label if forward else current.label,
            "back": f" or back to “{back[0].label}”" if back else "",
            "target": label,
        }
        raise ValidationError({"to_status": ValidationError(BAD_FIX_STATUS, params=params)})
    if to_status == FixStatus.SHIPPED and not theme.fix:
        raise ValidationError({"to_status": SHIPPED_NEEDS_FIX})
    now = timezone.now()
    if to_status == FixStatus.SHIPPED and current == FixStatus.IN_PROGRESS:
        theme.shipped_at = now
    elif FIX_ORDER.index(FixStatus(to_status)) < FIX_ORDER.index(FixStatus.SHIPPED):
        theme.shipped_at = None
    theme.fix_status = to_status
    theme.save(update_fields=["fix_status", "shipped_at"])
    FixStatusChange.objects.create(
        theme=theme, from_status=current, to_status=to_status, by=actor, at=now, note=(note or "").strip()
    )
    return theme


@transaction.atomic
def add_issues(*, theme: Theme, actor: AbstractBaseUser, issues: list[HotIssue]) -> int:
    """Add issues of the theme's program to it; return how many joined (those already in it are left as they are)."""
    require_member(program=theme.program, actor=actor)
    if not issues:
        raise ValidationError({"issues": NO_ISSUES})
    foreign = [issue for issue in issues if issue.program_id != theme.program_id]
    if foreign:
        raise ValidationError(
            {"issues": [ValidationError(ISSUE_OTHER_PROGRAM, params={"title": issue.title}) for issue in foreign[:5]]}
        )
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    present = set(ThemeIssue.objects.filter(theme=theme, issue__in=issues).values_list("issue_id", flat=True))
    new = [issue for issue in dict.fromkeys(issues) if issue.pk not in present]
    if not new:
        raise ValidationError({"issues": ALREADY_IN_THEME})
    now = timezone.now()
    # In id order: each new link share-locks its issue (the trigger copying the issue's figures), and an
    # issue update elsewhere (a merge) locks in id order too, so the two cannot deadlock.
    new.sort(key=lambda issue: issue.pk)
    ThemeIssue.objects.bulk_create(ThemeIssue(theme=theme, issue=issue, added_by=actor, added_at=now) for issue in new)
    # One line on each issue's timeline, written in one statement however many joined.
    summary = f"Added to the theme “{theme.title}” by {display_name(actor)}"[:300]
    IssueEvent.objects.bulk_create(
        IssueEvent(issue=issue, kind=IssueEvent.Kind.THEMED, actor=actor, at=now, summary=summary) for issue in new
    )
    return len(new)


@transaction.atomic
def remove_issue(*, theme: Theme, actor: AbstractBaseUser, issue: HotIssue) -> Theme:
    """Take an issue out of a theme (it was grouped there by mistake); its timeline says so."""
    require_member(program=theme.program, actor=actor)
    deleted, _ = ThemeIssue.objects.filter(theme=theme, issue=issue).delete()
    if not deleted:
        raise ValidationError({"issue": NOT_IN_THEME})
    IssueEvent.objects.create(
        issue=issue,
        kind=IssueEvent.Kind.UNTHEMED,
        actor=actor,
        summary=f"Taken out of the theme “{theme.title}” by {display_name(actor)}"[:300],
    )
    return theme
