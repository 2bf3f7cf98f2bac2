"""The handoff hook: how the apps above rotations act when the baton passes, and what they did.

The participants are listed in settings.HANDOFF_PARTICIPANTS (the one place
that lists every hook's participants; see advocacy.hooks). Each one is called
with a HandoffContext inside the handoff's transaction, so its writes commit
or roll back with the handoff, and returns a HandoffEffect (or None when it
had nothing to report). A participant must keep the handoff's query budget:
a fixed number of queries, whatever the amount of data it moves.

The handoff stores the effects on Handoff.effects; the incoming and outgoing
notices and the handoff page show their summaries. Rotations never words
what another app did: the participant writes its own summary line.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser

from advocacy import hooks

if TYPE_CHECKING:
    from advocacy.models import Program

    from .models import Handoff, Term


@dataclass(frozen=True)
class HandoffContext:
    """What a participant needs to know about the handoff being performed."""

    program: "Program"
    outgoing_term: "Term | None"
    incoming_term: "Term"
    outgoing_advocate: AbstractBaseUser | None
    incoming_advocate: AbstractBaseUser | None
    at: datetime
    early: bool = False


@dataclass(frozen=True)
class HandoffEffect:
    """What one participant did at a handoff.

    participant: a stable name ("issues.open_issues"); count: how many things it
    acted on; summary: one line a person reads in the notices and on the handoff
    page ("18 open issues moved to Dana."), empty when there is nothing to tell;
    url: where to see them; ids: the rows it acted on.
    """

    participant: str
    count: int = 0
    summary: str = ""
    url: str = ""
    ids: tuple[int, ...] = field(default_factory=tuple)

    def as_json(self) -> dict:
        data = asdict(self)
        data["ids"] = list(self.ids)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "HandoffEffect":
        return cls(
            participant=data.get("participant", ""),
            count=int(data.get("count", 0)),
            summary=data.get("summary", ""),
            url=data.get("url", ""),
            ids=tuple(data.get("ids", ())),
        )


HandoffParticipant = Callable[[HandoffContext], HandoffEffect | None]


def run_handoff_participants(context: HandoffContext) -> list[HandoffEffect]:
    """Call every HANDOFF_PARTICIPANTS with `context`, in order; return their effects."""
    return hooks.run("HANDOFF_PARTICIPANTS", context)


@dataclass(frozen=True)
class UnacknowledgedHandoff:
    """A handoff its incoming advocate has not acknowledged by `due_at` (the reminders job found it).

    The job asks again each time it runs while the handoff stays unacknowledged,
    so a participant acts once per handoff (its own row keyed on it), not once per call.
    """

    handoff: "Handoff"
    due_at: datetime


def handoff_unacknowledged(change: UnacknowledgedHandoff) -> list:
    """Let every HANDOFF_UNACKNOWLEDGED_PARTICIPANTS act on an overdue acknowledgement; return what they did."""
    return hooks.run("HANDOFF_UNACKNOWLEDGED_PARTICIPANTS", change)
