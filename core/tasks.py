"""The outbox's own jobs: re-send what the broker missed, periodically and when a worker starts."""

from celery import shared_task
from celery.signals import worker_ready

from . import outbox


@shared_task(name="core.tasks.flush_outbox")
def flush_outbox() -> int:
    """Send jobs kept in the outbox while the broker was down."""
    return outbox.flush_outbox()


@worker_ready.connect
def _flush_on_worker_start(**kwargs) -> None:
    # A worker that starts after an outage sends what queued up meanwhile.
    try:
        outbox.flush_outbox()
    except Exception:  # noqa: S110 — never keep a worker from starting; the periodic flush retries
        pass
