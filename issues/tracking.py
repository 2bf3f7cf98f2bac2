"""What the customer reads on their tracking page: where their problem stands and what happened, in their words.

Built from the issue's own records (its saved versions, the outreach attempts,
the notes the customer added), and worded for the customer: no internal note,
no department, no staff name (the advocate's first name is on the page already).
"""

from dataclasses import dataclass
from datetime import datetime

from .models import CLOSED_STATUSES, HotIssue, IssueEvent, Outreach, RecoveryCheck, Status

RECEIVED = "We received your message"
CONTACTED = "We contacted you"
TRIED = "We tried to reach you"
PASSED_ON = "Passed to another team"
NEW_ADVOCATE = "A new advocate took over your problem"
WORKING = "We are working on it"
RESOLVED = "Resolved"
UNREACHABLE = "Closed — we could not reach you"
REOPENED = "Reopened"
YOU_ADDED = "You added information"
NOT_CONTACTED_YET = "Received — not contacted yet"
YOU_RATED = "You rated your satisfaction %(score)s of 5"
ASKED_AGAIN = "We asked again: is it still sorted?"
YOU_ANSWERED = "You told us how you feel about us now: %(score)s of 5"
CAME_BACK = "Reopened after your answer — we are on it again"

# Outreach that did not reach the customer: they hear "we tried", not "we contacted you".
NOT_REACHED = frozenset({Outreach.Outcome.NO_ANSWER, Outreach.Outcome.LEFT_MESSAGE})


@dataclass(frozen=True)
class Step:
    at: datetime
    text: str
    # received, contact, tried, passed, advocate, working, resolved, closed, reopened, note,
    # rated, asked, answered, came_back
    kind: str
    words: str = ""  # only ever the customer's own words


@dataclass(frozen=True)
class Tracking:
    status: str
    history: list[Step]


def tracking_for(*, issue: HotIssue) -> Tracking:
    """Return the customer's view of `issue`: its status in their words and its history, oldest first."""
    outcomes = list(Outreach.objects.filter(issue=issue).order_by("at", "attempt").values_list("at", "outcome"))
    steps = [Step(issue.created_at, RECEIVED, "received")]
    steps += [
        Step(at, TRIED, "tried") if outcome in NOT_REACHED else Step(at, CONTACTED, "contact")
        for at, outcome in outcomes
    ]
    steps += _recovery(issue)  # before the changes: an answer comes before the reopening it caused
    steps += _changes(issue)
    steps += [
        Step(at, YOU_ADDED, "note", words)
        for at, words in IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.CUSTOMER_NOTE)
        .order_by("at", "id")
        .values_list("at", "detail")
    ]
    steps.sort(key=lambda step: step.at)  # stable: what happened at the same instant keeps its order
    return Tracking(status=_status(issue, [outcome for _, outcome in outcomes]), history=steps)


def _changes(issue: HotIssue) -> list[Step]:
    """Return the steps the issue's saved versions show: passed on, a new advocate, worked on, closed, reopened."""
    versions = (
        HotIssue.history.filter(id=issue.pk)
        .order_by("history_date", "history_id")
        .values_list("history_date", "status", "owner_id", "department_id", "satisfaction", "came_back_at")
    )
    steps, previous = [], None
    for at, status, owner_id, department_id, satisfaction, came_back_at in versions:
        if previous is not None:
            was_status, was_owner, was_department, was_satisfaction, was_came_back = previous
            if department_id != was_department and department_id is not None:
                steps.append(Step(at, PASSED_ON, "passed"))
            if owner_id != was_owner:
                steps.append(Step(at, NEW_ADVOCATE, "advocate"))
            if status != was_status:
                if status == Status.RESOLVED:
                    steps.append(Step(at, RESOLVED, "resolved"))
                elif status == Status.UNREACHABLE:
                    steps.append(Step(at, UNREACHABLE, "closed"))
                elif was_status in CLOSED_STATUSES and came_back_at != was_came_back:
                    steps.append(Step(at, CAME_BACK, "came_back"))
                elif was_status in CLOSED_STATUSES:
                    steps.append(Step(at, REOPENED, "reopened"))
                elif status == Status.IN_PROGRESS:
                    steps.append(Step(at, WORKING, "working"))
            if satisfaction is not None and satisfaction != was_satisfaction:
                steps.append(Step(at, YOU_RATED % {"score": satisfaction}, "rated"))
        previous = (status, owner_id, department_id, satisfaction, came_back_at)
    return steps


def _recovery(issue: HotIssue) -> list[Step]:
    """Return the questions asked again after a resolution, and the customer's answers."""
    steps = []
    for asked_at, score, answered_at in RecoveryCheck.objects.filter(issue=issue).values_list(
        "asked_at", "score", "answered_at"
    ):
        steps.append(Step(asked_at, ASKED_AGAIN, "asked"))
        if score is not None:
            steps.append(Step(answered_at, YOU_ANSWERED % {"score": score}, "answered"))
    return steps


def _status(issue: HotIssue, outcomes: list[str]) -> str:
    if issue.status == Status.NEW:
        return NOT_CONTACTED_YET
    if issue.status == Status.RESOLVED:
        return RESOLVED
    if issue.status == Status.UNREACHABLE:
        return UNREACHABLE
    if issue.status == Status.CONTACTED and outcomes and all(outcome in NOT_REACHED for outcome in outcomes):
        return TRIED
    return Status(issue.status).label
