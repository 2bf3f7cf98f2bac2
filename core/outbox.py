"""The one way to queue background work: a job is a database row first, and goes to the broker after commit.

`enqueue` writes the row in the caller's transaction, so a job exists exactly
when the work it stands for was committed: a rolled-back request queues
nothing. After commit the row is published; if the broker is down the row stays
pending and the web request still succeeds. `flush_outbox` (run by beat every
minute and whenever a worker starts) sends whatever is still pending once the
broker is back. Tasks are idempotent, so a job sent twice after a crash does no
harm.

Jobs name their task by string ("issues.tasks.run_import"), so no module needs
to import another app's tasks to queue work, and this module imports no app:
every app, the lowest included, can queue through it.
"""

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

# How long a publish may try (seconds) before the job is left for the next flush.
CONNECT_TIMEOUT = 2
# Sent jobs are forgotten after this long.
KEEP_SENT_DAYS = 7


def enqueue(task_name: str, *, args: list | None = None, kwargs: dict | None = None) -> OutboxMessage:
    """Record a job and send it to the broker once the surrounding transaction commits."""
    message = OutboxMessage.objects.create(task_name=task_name, args=list(args or []), kwargs=dict(kwargs or {}))
    transaction.on_commit(lambda: dispatch(message_id=message.pk))
    return message


def dispatch(*, message_id: int) -> bool:
    """Publish one pending job; return whether the broker took it. Never raises for a broker failure."""
    app = current_app._get_current_object()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        try:
            with app.connection_for_write() as conn:
                # Fail fast when the broker is down instead of retrying inside a web request.
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CONNECT_TIMEOUT)
                app.send_task(message.task_name, args=message.args, kwargs=message.kwargs, connection=conn, retry=False)
        except Exception as error:  # broker down, connection refused, DNS…: keep it for later
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            message.save(update_fields=["attempts", "last_error"])
            log.warning("Broker unavailable, job %s kept in the outbox: %s", message, error)
            return False
        message.attempts += 1
        message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "sent_at"])
        return True


def flush_outbox(*, limit: int = 500) -> int:
    """Send pending jobs oldest first; stop at the first broker failure. Return how many were sent.

    Rows sent more than a week ago are deleted on the way.
    """
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - timedelta(days=KEEP_SENT_DAYS)).delete()
    sent = 0
    for message_id in OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]:
        if dispatch(message_id=message_id):
            sent += 1
        elif OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).exists():
            break
    return sent


def queued_args(task_name: str, *, since: datetime) -> set[tuple]:
    """Return the arguments of the `task_name` jobs still pending or queued since `since`.

    A sweep that re-queues work a real failure left undone (a mail server that
    was down, a build that crashed) skips these: that work is already on its way.
    """
    rows = OutboxMessage.objects.filter(Q(sent_at__isnull=True) | Q(created_at__gte=since), task_name=task_name)
    return {tuple(args) for args in rows.values_list("args", flat=True)}


def enqueue_missing(task_name: str, ids, *, since: datetime) -> int:
    """Queue `task_name` for each id whose job is not already pending or queued since `since`; return how many.

    The periodic sweeps use it to queue again the work a real failure left
    undone, without queueing twice what is already on its way (a job may carry
    several ids: each counts as on its way).
    """
    on_their_way = {arg for args in queued_args(task_name, since=since) for arg in args}
    queued = 0
    for pk in ids:
        if pk not in on_their_way:
            enqueue(task_name, args=[pk])
            queued += 1
    return queued
