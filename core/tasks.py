"""Core jobs: re-send what the broker missed (periodically and when a worker starts), and the heartbeat."""

from celery import shared_task
from celery.signals import worker_ready

from . import heartbeat as heartbeats
from . import mail, outbox


@shared_task(name="core.tasks.flush_outbox")
def flush_outbox() -> int:
    """Send jobs kept in the outbox while the broker was down."""
    return outbox.flush_outbox()


@shared_task(name="core.tasks.heartbeat")
def heartbeat() -> str:
    """Stamp the time a worker last finished a task (periodic; /health/ reads it)."""
    return heartbeats.beat().isoformat()


@shared_task(name="core.tasks.send_queued_mail", acks_late=True)
def send_queued_mail(mail_id: int) -> bool:
    """Send one queued e-mail (an account e-mail: reset, verification) and forget it."""
    return mail.send_queued_mail(mail_id=mail_id)


@shared_task(name="core.tasks.send_pending_mail")
def send_pending_mail() -> int:
    """Queue again the queued e-mails a mail-server failure left unsent (periodic)."""
    return mail.requeue_unsent_mail()


@worker_ready.connect
def _flush_on_worker_start(**kwargs) -> None:
    # A worker that starts after an outage sends what queued up meanwhile.
    try:
        outbox.flush_outbox()
    except Exception:  # noqa: S110 — never keep a worker from starting; the periodic flush retries
        pass
