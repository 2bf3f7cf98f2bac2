"""What insights does when the apps it builds on act (listed in settings: HANDOFF_PARTICIPANTS)."""

from django.db import transaction

from config.queueing import send
from rotations.hooks import HandoffContext, HandoffEffect

from .tasks import build_term_report


def queue_term_report(context: HandoffContext) -> HandoffEffect | None:
    """Handoff participant: after the handoff commits, queue the outgoing advocate's term report.

    Runs inside the handoff's transaction, so it must not query: the handoff's
    query budget is fixed. If the broker is down the periodic sweep builds it.
    """
    term = context.outgoing_term
    if term is None or term.advocate_id is None:
        return None
    term_id = term.pk
    transaction.on_commit(lambda: _send(term_id))
    return HandoffEffect(participant="insights.term_report", count=1, ids=(term_id,))


def _send(term_id: int) -> None:
    send(build_term_report, term_id)
