"""What issues does when the apps it builds on act (listed in settings: HANDOFF_PARTICIPANTS)."""

from django.urls import reverse

from advocacy.selectors import display_name
from rotations.hooks import HandoffContext, HandoffEffect

from .selectors import HANDOFF_PARTICIPANT
from .services import move_issues_on_handoff

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
