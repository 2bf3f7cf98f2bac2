"""The recovery check: a while after a resolution, the customer is asked again whether it is still sorted.

The periodic job (issues.background.open_recovery_checks) opens one question
per resolution; the customer answers on their tracking page. An answer of 1 or
2 brings the issue back: it reopens for the program's current advocate, marked
"came back", and that advocate is told.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.selectors import display_name
from core.when import format_day

from .. import hooks, notices
from ..models import HotIssue, IssueEvent, RecoveryCheck, Source, Status
from .common import BAD_SATISFACTION, NO_OWNER, _event, _locked, _save, _tell_customer_of_new_owner, default_owner

# How long the question stays open after it is asked.
RECOVERY_WINDOW = timedelta(days=30)
# Answers at or below this bring the issue back.
CAME_BACK_AT_MOST = 2
SEND_RECOVERY_QUESTION_TASK = "issues.tasks.send_recovery_question"

RECOVERY_QUESTION = "Is it still sorted? How do you feel about us now, from 1 (not at all happy) to 5 (very happy)?"
RECOVERY_NOT_ASKED = "This answer does not match a question we asked you. Please use the latest link we sent."
RECOVERY_EARLIER = (
    "This question was about an earlier resolution of your problem and is closed. Your page shows where it stands now."
)
RECOVERY_CLOSED = "This question is closed: answers were taken until %(until)s. Add a message below if you need us."
RECOVERY_ANSWERED = "Thank you — we already have your answer to this question."


def can_be_asked_again(issue: HotIssue) -> bool:
    """Return whether the customer has a way to be asked: an e-mail address, or the tracking link they were given."""
    has_email = bool(issue.customer_id and issue.customer.email)
    return has_email or issue.source == Source.CUSTOMER_FORM


def open_check(*, issue: HotIssue, now: datetime | None = None) -> RecoveryCheck | None:
    """Return the question the customer may answer now about the issue's current resolution, or None."""
    now = now or timezone.now()
    if issue.status != Status.RESOLVED or issue.resolved_at is None:
        return None
    check = RecoveryCheck.objects.filter(issue=issue, resolved_at=issue.resolved_at).first()
    return check if check is not None and check.is_open_at(now) else None


@transaction.atomic
def record_recovery_answer(
    *, issue: HotIssue, question: str, score: int | str, now: datetime | None = None
) -> RecoveryCheck:
    """Store the customer's answer to the recovery question named `question`; 1 or 2 bring the issue back.

    A question that was never asked of this issue (a forged or mistyped key),
    one about an earlier resolution, one already answered or one past its
    window is refused with a message and changes nothing.
    """
    now = now or timezone.now()
    issue = _locked(issue)
    check = (
        RecoveryCheck.objects.select_for_update().filter(issue=issue, token=str(question or "")[:64]).first()
        if question
        else None
    )
    if check is None:
        raise ValidationError(RECOVERY_NOT_ASKED, code="not_asked")
    if check.score is not None:
        raise ValidationError(RECOVERY_ANSWERED, code="answered")
    if issue.status != Status.RESOLVED or check.resolved_at != issue.resolved_at:
        raise ValidationError(RECOVERY_EARLIER, code="earlier")
    if now >= check.open_until:
        raise ValidationError(
            RECOVERY_CLOSED, code="closed", params={"until": format_day(check.open_until, issue.program)}
        )
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in range(1, 6):
        raise ValidationError({"score": BAD_SATISFACTION})
    check.score = score
    check.answered_at = now
    check.came_back = score <= CAME_BACK_AT_MOST
    check.save(update_fields=["score", "answered_at", "came_back"])
    _event(issue, IssueEvent.Kind.RECOVERY, None, f"Asked again, the customer rated us {score} of 5", at=now)
    if check.came_back:
        _bring_back(issue, check, now)
    return check


def _bring_back(issue: HotIssue, check: RecoveryCheck, now: datetime) -> None:
    """Reopen the issue for the program's current advocate (as new issues are owned), marked "came back"."""
    owner = default_owner(program=issue.program, at=now)
    if owner is None:
        raise ValidationError(NO_OWNER, code="no_owner")
    previous = issue.owner
    issue.owner = owner
    issue.status = Status.IN_PROGRESS if issue.first_outreach_at else Status.NEW
    issue.resolved_at = None
    issue.resolved_by = None
    # As with any reopening, the root cause stays (counts by cause keep the issue) and the next
    # close asks for it again, offering this one; the lasting-fix answer is asked afresh.
    issue.lasting_fix_needed = None
    # A new resolution asks the first question again; this one's answer stays on the check.
    issue.satisfaction = None
    issue.satisfaction_at = None
    issue.satisfaction_asked_at = None
    issue.satisfaction_ask_attempts = 0
    issue.came_back_at = now
    issue._history_date = now
    _save(issue, None, "Came back")
    summary = (
        f"Came back: the customer rated us {check.score} of 5 after the resolution; reopened for {display_name(owner)}"
    )
    event = _event(issue, IssueEvent.Kind.CAME_BACK, None, summary, at=now)
    if owner.pk != previous.pk:
        _tell_customer_of_new_owner(issue, event)
    notices.tell_owner_of_came_back(issue, check)
    hooks.recovery_reopened(issue=issue, answer=f"{check.score} of 5", at=now)
