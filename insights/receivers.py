"""Receivers for signals of the apps insights builds on."""

from core.outbox import enqueue


def queue_term_report(sender, *, outgoing_term=None, **kwargs) -> None:
    """Queue the outgoing advocate's term report, in the handoff's transaction (sent once it commits).

    Runs inside the handoff's transaction, so it adds one query (the outbox row)
    and no more: the handoff's query budget is fixed. If the build fails, the
    periodic sweep queues it again.
    """
    if outgoing_term is None or outgoing_term.advocate_id is None:
        return
    enqueue("insights.tasks.build_term_report", args=[outgoing_term.pk])
