"""The issue-alert hook: how the apps above issues hear of an issue that needs the team's attention now.

The participants are listed in settings.ISSUE_ALERT_PARTICIPANTS (with every
other hook's, see advocacy.hooks). The action that makes the news calls
`alert` inside its own transaction, so what a participant writes (an outbox
row, say) commits or rolls back with it. A participant returns what it did,
or None; it must add a fixed number of queries, whatever it is told.

The kinds, and where each is raised:

- NEW_ANGRY: an issue was logged at level 4 or 5 (`create_issue`);
- ANGRY_IMPORTED: an import logged `count` issues at level 4 or 5 (one alert, not one per row);
- OVERDUE: an issue's first outreach passed its target (the overdue job, once per issue);
- RUNAROUND: an issue was just flagged as a runaround (`transfer_issue`);
- RECOVERY_REOPENED: the recovery check's answer reopened an issue. The
  service that records that answer calls `recovery_reopened(issue=..., answer=...)`
  inside its transaction, right after it reopened the issue.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.utils import timezone

from advocacy import hooks
from advocacy.models import Program

from .models import HotIssue

NEW_ANGRY: Final = "new_angry"
ANGRY_IMPORTED: Final = "angry_imported"
OVERDUE: Final = "overdue"
RUNAROUND: Final = "runaround"
RECOVERY_REOPENED: Final = "recovery_reopened"
KINDS: Final = (NEW_ANGRY, ANGRY_IMPORTED, OVERDUE, RUNAROUND, RECOVERY_REOPENED)


@dataclass(frozen=True)
class IssueAlert:
    """An issue (or, for ANGRY_IMPORTED, a batch of them) the team should hear of now.

    `detail` is one line in the issue's own words (how late, how many
    transfers, what the customer answered); never a customer's contact details.
    """

    kind: str
    program: Program
    at: datetime
    issue: HotIssue | None = None
    count: int = 1
    detail: str = ""


def alert(alert: IssueAlert) -> list[Any]:
    """Let every ISSUE_ALERT_PARTICIPANTS act on `alert`; return what they did."""
    if alert.kind not in KINDS:
        raise ValueError(f"Unknown issue alert “{alert.kind}”")
    return hooks.run("ISSUE_ALERT_PARTICIPANTS", alert)


def recovery_reopened(*, issue: HotIssue, answer: str = "", at: datetime | None = None) -> list[Any]:
    """Tell the participants that a recovery check's answer reopened `issue`; call inside that transaction.

    `answer`: what the customer said, in one line (shown to the team, so no contact details).
    """
    return alert(
        IssueAlert(kind=RECOVERY_REOPENED, program=issue.program, issue=issue, at=at or timezone.now(), detail=answer)
    )
