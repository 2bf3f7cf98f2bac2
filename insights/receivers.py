"""What insights does when the apps it builds on act (listed in settings: HANDOFF_PARTICIPANTS)."""

from core.outbox import enqueue
from rotations.hooks import HandoffContext, HandoffEffect


def queue_term_report(context: HandoffContext) -> HandoffEffect | None:
    """Handoff participant: queue the outgoing advocate's term report, sent once the handoff commits.

    Runs inside the handoff's transaction, so it adds one query (the outbox row)
    and no more: the handoff's query budget is fixed. If the build fails, the
    periodic sweep queues it again.
    """
    term = context.outgoing_term
    if term is None or term.advocate_id is None:
        return None
    enqueue("insights.tasks.build_term_report", args=[term.pk])
    return HandoffEffect(participant="insights.term_report", count=1, ids=(term.pk,))
