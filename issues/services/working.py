"""Working an issue: outreach, status, transfer, reassignment, resolution, reopening, satisfaction."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Membership
from advocacy.permissions import require_member
from advocacy.selectors import display_name
from core.outbox import enqueue
from core.when import format_moment

from .. import hooks, notices
from ..models import (
    CLOSED_STATUSES,
    Department,
    HotIssue,
    IssueEvent,
    Outreach,
    RootCause,
    Status,
    Transfer,
)
from .common import (
    ALREADY_ANSWERED,
    BAD_SATISFACTION,
    BAD_TRANSITION,
    DEPARTMENT_OTHER_PROGRAM,
    ISSUE_CLOSED,
    ISSUE_NOT_CLOSED,
    NEXT_ATTEMPT_AFTER,
    NEXT_ATTEMPT_IN_PAST,
    NOT_RESOLVED_YET,
    OUTREACH_IN_FUTURE,
    OWNER_NOT_MEMBER,
    REOPEN_REASON_REQUIRED,
    RESOLUTION_REQUIRED,
    SAME_OWNER,
    TRANSFER_NOTHING,
    TRANSFER_REASON_REQUIRED,
    USE_RESOLVE,
    _event,
    _locked,
    _require_owner_member,
    _save,
    _tell_customer_of_new_owner,
    issue_settings,
    next_statuses,
)
from .customers import refresh_customer_flags
from .root_causes import ACTION_REQUIRED, close_errors, close_summary


def default_next_attempt(*, now: datetime | None = None) -> datetime:
    """Return when a quick outreach suggests trying again: a day from now, on the minute, in the active zone."""
    local = timezone.localtime(now or timezone.now())
    return (local + NEXT_ATTEMPT_AFTER).replace(second=0, microsecond=0)


@transaction.atomic
def log_outreach(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    channel: str,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
    next_attempt_due_at: datetime | None = None,
) -> Outreach:
    """Record one attempt to reach the customer; the first one stops the overdue clock."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    now = timezone.now()
    at = at or now
    errors = {}
    if at > now + timedelta(minutes=5):
        errors["at"] = OUTREACH_IN_FUTURE
    if next_attempt_due_at is not None and next_attempt_due_at <= now:
        errors["next_attempt_due_at"] = NEXT_ATTEMPT_IN_PAST
    if errors:
        raise ValidationError(errors)
    attempt = issue.outreach.count() + 1
    outreach = Outreach(
        issue=issue,
        by=actor,
        at=at,
        channel=channel,
        attempt=attempt,
        outcome=outcome,
        note=(note or "").strip(),
        next_attempt_due_at=next_attempt_due_at,
    )
    outreach.full_clean()
    outreach.save()
    if issue.first_outreach_at is None or at < issue.first_outreach_at:
        issue.first_outreach_at = at
    issue.last_contact_at = max(filter(None, [issue.last_contact_at, at]))
    issue.next_attempt_due_at = next_attempt_due_at
    if issue.status == Status.NEW:
        issue.status = Status.CONTACTED
    _save(issue, actor, f"Outreach attempt {attempt}")
    summary = f"Attempt {attempt} by {outreach.get_channel_display().lower()}: {outreach.get_outcome_display()}"
    if next_attempt_due_at:
        summary += f"; next attempt due {format_moment(next_attempt_due_at, issue.program.zone)}"
    _event(issue, IssueEvent.Kind.OUTREACH, actor, summary, outreach.note, at=at)
    return outreach


def status_change_error(
    *,
    issue: HotIssue,
    status: str,
    root_cause: RootCause | None = None,
    action: str = "",
    lasting_fix_needed: bool | None = None,
) -> ValidationError | None:
    """Return why change_status() would refuse to set `issue` to `status`, or None when it would not.

    Closing as unreachable asks what resolving asks: the root cause, what was
    done for this customer, and whether a lasting fix is needed.
    """
    if status == Status.RESOLVED:
        return ValidationError({"status": USE_RESOLVE})
    current = Status(issue.status)
    if status not in next_statuses(current):
        if not issue.is_open:
            return ValidationError(ISSUE_CLOSED, code="closed")
        label = Status(status).label if status in Status.values else status
        return ValidationError(
            {"status": ValidationError(BAD_TRANSITION, params={"current": current.label, "target": label})}
        )
    if status == Status.UNREACHABLE:
        errors = close_errors(issue=issue, root_cause=root_cause, lasting_fix_needed=lasting_fix_needed)
        if not (action or "").strip():
            errors["action"] = ACTION_REQUIRED
        if errors:
            return ValidationError(errors)
    return None


def owner_change_error(*, issue: HotIssue, owner: AbstractBaseUser) -> ValidationError | None:
    """Return why reassign() would refuse to give `issue` to `owner`, or None when it would not."""
    if owner.pk == issue.owner_id:
        return ValidationError({"owner": ValidationError(SAME_OWNER, params={"name": display_name(owner)})})
    try:
        _require_owner_member(issue.program, owner)
    except ValidationError as error:
        return error
    return None


@transaction.atomic
def change_status(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    status: str,
    note: str = "",
    root_cause: RootCause | None = None,
    action: str = "",
    lasting_fix_needed: bool | None = None,
) -> HotIssue:
    """Move an open issue along new → contacted → in progress, or close it as unreachable.

    Closing as unreachable needs `root_cause` (from the program's list, in use),
    `action` (what was done for this customer) and `lasting_fix_needed`.
    """
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    error = status_change_error(
        issue=issue, status=status, root_cause=root_cause, action=action, lasting_fix_needed=lasting_fix_needed
    )
    if error is not None:
        raise error
    current = Status(issue.status)
    issue.status = status
    summary = f"Status: {current.label} → {Status(status).label}"
    detail = note
    if status == Status.UNREACHABLE:
        issue.resolved_at = timezone.now()
        issue.resolved_by = actor
        issue.next_attempt_due_at = None
        issue.root_cause = root_cause
        issue.lasting_fix_needed = lasting_fix_needed
        issue.resolution = action.strip()
        summary += f" · {close_summary(root_cause, lasting_fix_needed)}"
        detail = "\n\n".join(filter(None, [issue.resolution, (note or "").strip()]))
    _save(issue, actor, f"Status {current.label} → {Status(status).label}")
    _event(issue, IssueEvent.Kind.STATUS, actor, summary, detail)
    return issue


@transaction.atomic
def transfer_issue(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    reason: str,
    to_department: Department | None = None,
    to_owner: AbstractBaseUser | None = None,
) -> Transfer:
    """Pass an issue to another department and/or person; flag the runaround."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = TRANSFER_REASON_REQUIRED
    if to_department is not None and to_department.program_id != issue.program_id:
        errors["to_department"] = DEPARTMENT_OTHER_PROGRAM
    if to_owner is not None and not Membership.objects.filter(program=issue.program, user=to_owner).exists():
        errors["to_owner"] = OWNER_NOT_MEMBER
    changes_department = to_department is not None and to_department.pk != issue.department_id
    changes_owner = to_owner is not None and to_owner.pk != issue.owner_id
    if not errors and not (changes_department or changes_owner):
        errors["__all__"] = TRANSFER_NOTHING
    if errors:
        raise ValidationError(errors)

    left_before = set(
        Transfer.objects.filter(issue=issue, from_department__isnull=False).values_list("from_department_id", flat=True)
    )
    transfer = Transfer.objects.create(
        issue=issue,
        from_department=issue.department,
        to_department=to_department if changes_department else issue.department,
        from_owner=issue.owner,
        to_owner=to_owner if changes_owner else issue.owner,
        reason=reason,
        by=actor,
    )
    issue.transfer_count += 1
    threshold = issue_settings(program=issue.program).runaround_transfers
    bounced_back = changes_department and to_department.pk in left_before
    was_runaround = issue.runaround
    if issue.transfer_count >= threshold or bounced_back:
        issue.runaround = True
    parts = []
    if changes_department:
        parts.append(f"{issue.department or 'no department'} → {to_department}")
        issue.department = to_department
    if changes_owner:
        parts.append(f"{display_name(issue.owner)} → {display_name(to_owner)}")
        issue.owner = to_owner
    _save(issue, actor, "Transferred")
    summary = "Transferred: " + "; ".join(parts)
    if issue.runaround:
        why = "sent back to a department it already left" if bounced_back else f"{issue.transfer_count} transfers"
        summary += f" — runaround ({why})"
    event = _event(issue, IssueEvent.Kind.TRANSFER, actor, summary, reason, at=transfer.at)
    if issue.runaround and not was_runaround:
        notices.tell_managers_of_runaround(issue, transfers=issue.transfer_count)
        hooks.alert(
            hooks.IssueAlert(
                kind=hooks.RUNAROUND,
                program=issue.program,
                issue=issue,
                at=transfer.at,
                detail=f"Transferred {issue.transfer_count} time{'s' if issue.transfer_count != 1 else ''}",
            )
        )
    if changes_owner:
        _tell_customer_of_new_owner(issue, event)
    return transfer


@transaction.atomic
def reassign(*, issue: HotIssue, actor: AbstractBaseUser, owner: AbstractBaseUser, note: str = "") -> HotIssue:
    """Give the issue a new named owner in the same department (not counted as a transfer)."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    error = owner_change_error(issue=issue, owner=owner)
    if error is not None:
        raise error
    previous = issue.owner
    issue.owner = owner
    _save(issue, actor, "Reassigned")
    event = _event(
        issue, IssueEvent.Kind.REASSIGNED, actor, f"Owner: {display_name(previous)} → {display_name(owner)}", note
    )
    _tell_customer_of_new_owner(issue, event)
    return issue


@transaction.atomic
def resolve(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    resolution: str,
    root_cause: RootCause | None = None,
    lasting_fix_needed: bool | None = None,
    satisfaction: int | None = None,
) -> HotIssue:
    """Resolve an open issue with what was done, its root cause and whether a lasting fix is needed.

    The customer is then asked how satisfied they are.
    """
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    resolution = (resolution or "").strip()
    errors = close_errors(issue=issue, root_cause=root_cause, lasting_fix_needed=lasting_fix_needed)
    if not resolution:
        errors["resolution"] = RESOLUTION_REQUIRED
    if satisfaction is not None and satisfaction not in range(1, 6):
        errors["satisfaction"] = BAD_SATISFACTION
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    issue.status = Status.RESOLVED
    issue.resolution = resolution
    issue.root_cause = root_cause
    issue.lasting_fix_needed = lasting_fix_needed
    issue.resolved_at = now
    issue.resolved_by = actor
    issue.next_attempt_due_at = None
    if satisfaction is not None:
        issue.satisfaction = satisfaction
        issue.satisfaction_at = now
    _save(issue, actor, "Resolved")
    summary = f"Resolved by {display_name(actor)} · {close_summary(root_cause, lasting_fix_needed)}"
    _event(issue, IssueEvent.Kind.RESOLVED, actor, summary[:300], resolution, at=now)
    if satisfaction is not None:
        # The customer told the person resolving it: the same line as an answer to the question.
        _event(issue, IssueEvent.Kind.SATISFACTION, actor, satisfaction_summary(satisfaction), at=now)
    if issue.satisfaction is not None:
        refresh_customer_flags(customer_ids=[issue.customer_id])
    if issue.customer_id and issue.customer.email and issue.satisfaction is None:
        enqueue("issues.tasks.ask_satisfaction", args=[issue.pk])
    return issue


def satisfaction_summary(score: int) -> str:
    """Return the timeline line of a satisfaction answer, however it reached us."""
    return f"The customer rated their satisfaction {score} of 5"


@transaction.atomic
def reopen(*, issue: HotIssue, actor: AbstractBaseUser, reason: str) -> HotIssue:
    """Bring a resolved or closed issue back into the log."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if issue.status not in CLOSED_STATUSES:
        raise ValidationError(ISSUE_NOT_CLOSED, code="not_closed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REOPEN_REASON_REQUIRED})
    issue.status = Status.IN_PROGRESS if issue.first_outreach_at else Status.NEW
    issue.resolved_at = None
    issue.resolved_by = None
    # The root cause stays (it did not stop being the cause, and counts by cause keep the issue);
    # the next close asks for it again, offering this one. The lasting-fix answer is asked afresh.
    # The timeline keeps what was given at each close.
    issue.lasting_fix_needed = None
    issue.satisfaction = None
    issue.satisfaction_at = None
    issue.satisfaction_asked_at = None
    _save(issue, actor, "Reopened")
    _event(issue, IssueEvent.Kind.REOPENED, actor, f"Reopened by {display_name(actor)}", reason)
    refresh_customer_flags(customer_ids=[issue.customer_id])  # its satisfaction answer is gone
    return issue


@transaction.atomic
def record_satisfaction(*, issue: HotIssue, score: int) -> HotIssue:
    """Store the customer's answer to "how satisfied are you now?" (once)."""
    issue = _locked(issue)
    if issue.status != Status.RESOLVED:
        raise ValidationError(NOT_RESOLVED_YET, code="not_resolved")
    if issue.satisfaction is not None:
        raise ValidationError(ALREADY_ANSWERED, code="answered")
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in range(1, 6):
        raise ValidationError({"satisfaction": BAD_SATISFACTION})
    issue.satisfaction = score
    issue.satisfaction_at = timezone.now()
    _save(issue, None, "Customer satisfaction")
    _event(issue, IssueEvent.Kind.SATISFACTION, None, satisfaction_summary(score))
    refresh_customer_flags(customer_ids=[issue.customer_id])
    return issue
