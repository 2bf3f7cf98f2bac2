"""What issues does when the apps it builds on act (listed in settings: HANDOFF_PARTICIPANTS,
PROGRAM_CREATED_PARTICIPANTS)."""

from django.urls import reverse

from advocacy.hooks import ProgramCreated
from advocacy.selectors import display_name
from rotations.hooks import HandoffContext, HandoffEffect

from .selectors import HANDOFF_PARTICIPANT
from .services import move_issues_on_handoff, seed_default_root_causes

NOTHING_TO_MOVE = "There were no open issues to move."


def on_handoff(context: HandoffContext) -> HandoffEffect:
    """Handoff participant: pass every open issue of the outgoing advocate to the incoming one.

    Runs inside the handoff's transaction (it commits or rolls back with it),
    in a fixed number of queries; returns how many issues moved, and which.
    """
    outgoing, incoming = context.outgoing_advocate, context.incoming_advocate
    ids = move_issues_on_handoff(program=context.program, outgoing=outgoing, incoming=incoming, at=context.at)
    if ids:
        summary = f"{len(ids)} open issue{'s' if len(ids) != 1 else ''} moved to {display_name(incoming)}."
    elif outgoing is not None and incoming is not None and outgoing.pk != incoming.pk:
        summary = NOTHING_TO_MOVE
    else:
        summary = ""
    return HandoffEffect(
        participant=HANDOFF_PARTICIPANT,
        count=len(ids),
        summary=summary,
        url=reverse("issues:log") if ids else "",
        ids=tuple(ids),
    )


def seed_root_causes(change: ProgramCreated) -> str | None:
    """Program-created participant: give the new program the default list of root causes."""
    created = seed_default_root_causes(program=change.program)
    return f"{len(created)} root causes to choose from at close." if created else None
