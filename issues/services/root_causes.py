"""A program's list of root causes (managers add, rename, reorder, retire), and the checks made at close."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import require_manager

from ..models import DEFAULT_ROOT_CAUSES, HotIssue, RootCause

ROOT_CAUSE_REQUIRED = "Choose the root cause: why did this happen to the customer?"
ROOT_CAUSE_UNKNOWN = "That root cause is not on this program's list. Choose one from the list."
ROOT_CAUSE_OTHER_PROGRAM = "That root cause belongs to another program. Choose one of this program's root causes."
ROOT_CAUSE_RETIRED = "“%(name)s” is retired. Choose a root cause that is still in use."
LASTING_FIX_REQUIRED = "Say whether a lasting fix is needed, so that it does not happen to the next customer."
ACTION_REQUIRED = "Write what was done for this customer."
ROOT_CAUSE_NAME_REQUIRED = "Give the root cause a name."
ROOT_CAUSE_EXISTS = "“%(name)s” is already on this program's list."
ROOT_CAUSE_ALREADY_RETIRED = "“%(name)s” is already retired."
ROOT_CAUSE_NOT_RETIRED = "“%(name)s” is in use; only a retired root cause can be brought back."
ROOT_CAUSE_CANNOT_MOVE = "“%(name)s” is already at the %(end)s of the list."
LAST_ROOT_CAUSE = "Keep at least one root cause in use: issues cannot be closed without one."
MOVE_DIRECTIONS = ("up", "down")


def close_errors(*, issue: HotIssue, root_cause: RootCause | None, lasting_fix_needed: bool | None) -> dict:
    """Return what is wrong with the root cause and lasting-fix answer given to close `issue` (empty when fine)."""
    errors = {}
    if root_cause is None:
        errors["root_cause"] = ROOT_CAUSE_REQUIRED
    elif root_cause.program_id != issue.program_id:
        errors["root_cause"] = ROOT_CAUSE_OTHER_PROGRAM
    elif root_cause.is_retired:
        errors["root_cause"] = ValidationError(ROOT_CAUSE_RETIRED, params={"name": root_cause.name})
    if lasting_fix_needed not in (True, False):
        errors["lasting_fix_needed"] = LASTING_FIX_REQUIRED
    return errors


def close_summary(root_cause: RootCause, lasting_fix_needed: bool) -> str:
    """Return how a close's root cause reads on the timeline."""
    fix = "lasting fix needed" if lasting_fix_needed else "no lasting fix needed"
    return f"root cause: {root_cause.name}; {fix}"


def seed_default_root_causes(*, program: Program) -> list[RootCause]:
    """Give a program without root causes the default list; return what was created (nothing when it has some)."""
    if RootCause.objects.filter(program=program).exists():
        return []
    return RootCause.objects.bulk_create(
        RootCause(program=program, name=name, position=position)
        for position, name in enumerate(DEFAULT_ROOT_CAUSES, start=1)
    )


def _locked_cause(root_cause: RootCause, program: Program) -> RootCause:
    found = RootCause.objects.select_for_update().filter(pk=root_cause.pk, program=program).first()
    if found is None:
        raise ValidationError({"root_cause": ROOT_CAUSE_OTHER_PROGRAM})
    return found


def _clean_name(program: Program, name: str, *, exclude: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": ROOT_CAUSE_NAME_REQUIRED})
    clash = RootCause.objects.filter(program=program, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": ValidationError(ROOT_CAUSE_EXISTS, params={"name": name})})
    return name


@transaction.atomic
def add_root_cause(*, program: Program, actor: AbstractBaseUser, name: str) -> RootCause:
    """Add a root cause at the end of the program's list."""
    require_manager(program=program, actor=actor)
    name = _clean_name(program, name)
    last = RootCause.objects.filter(program=program).aggregate(last=Max("position"))["last"] or 0
    root_cause = RootCause(program=program, name=name, position=last + 1)
    root_cause.full_clean()
    root_cause.save()
    return root_cause


@transaction.atomic
def rename_root_cause(*, program: Program, actor: AbstractBaseUser, root_cause: RootCause, name: str) -> RootCause:
    """Rename a root cause; the issues closed with it show the new name."""
    require_manager(program=program, actor=actor)
    root_cause = _locked_cause(root_cause, program)
    root_cause.name = _clean_name(program, name, exclude=root_cause.pk)
    root_cause.full_clean()
    root_cause.save(update_fields=["name"])
    return root_cause


@transaction.atomic
def move_root_cause(*, program: Program, actor: AbstractBaseUser, root_cause: RootCause, direction: str) -> RootCause:
    """Swap a root cause with its neighbour above or below (`direction` "up" or "down")."""
    require_manager(program=program, actor=actor)
    if direction not in MOVE_DIRECTIONS:
        raise ValidationError({"direction": "Move it up or down."})
    causes = list(RootCause.objects.select_for_update().filter(program=program).order_by("position", "id"))
    index = next((i for i, c in enumerate(causes) if c.pk == root_cause.pk), None)
    if index is None:
        raise ValidationError({"root_cause": ROOT_CAUSE_OTHER_PROGRAM})
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(causes):
        end = "top" if direction == "up" else "bottom"
        raise ValidationError(ROOT_CAUSE_CANNOT_MOVE, params={"name": causes[index].name, "end": end})
    causes[index], causes[other] = causes[other], causes[index]
    for position, cause in enumerate(causes, start=1):
        cause.position = position
    RootCause.objects.bulk_update(causes, ["position"])
    return causes[other]


@transaction.atomic
def retire_root_cause(*, program: Program, actor: AbstractBaseUser, root_cause: RootCause) -> RootCause:
    """Stop offering a root cause at close; the issues closed with it keep it."""
    require_manager(program=program, actor=actor)
    root_cause = _locked_cause(root_cause, program)
    if root_cause.is_retired:
        raise ValidationError(ROOT_CAUSE_ALREADY_RETIRED, params={"name": root_cause.name})
    if not RootCause.objects.filter(program=program, retired_at__isnull=True).exclude(pk=root_cause.pk).exists():
        raise ValidationError(LAST_ROOT_CAUSE)
    root_cause.retired_at = timezone.now()
    root_cause.save(update_fields=["retired_at"])
    return root_cause


@transaction.atomic
def restore_root_cause(*, program: Program, actor: AbstractBaseUser, root_cause: RootCause) -> RootCause:
    """Offer a retired root cause again."""
    require_manager(program=program, actor=actor)
    root_cause = _locked_cause(root_cause, program)
    if not root_cause.is_retired:
        raise ValidationError(ROOT_CAUSE_NOT_RETIRED, params={"name": root_cause.name})
    root_cause.retired_at = None
    root_cause.save(update_fields=["retired_at"])
    return root_cause
