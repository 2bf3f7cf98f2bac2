"""Receivers for signals of the apps insights builds on."""

from django.db import transaction

from config.queueing import send


def queue_term_report(sender, *, outgoing_term=None, **kwargs) -> None:
    """After the handoff commits, queue the outgoing advocate's term report.

    Runs inside the handoff's transaction, so it must not query: the handoff's
    query budget is fixed. If the broker is down the periodic sweep builds it.
    """
    if outgoing_term is None or outgoing_term.advocate_id is None:
        return
    term_id = outgoing_term.pk
    transaction.on_commit(lambda: _send(term_id))


def _send(term_id: int) -> None:
    from .tasks import build_term_report

    send(build_term_report, term_id)
