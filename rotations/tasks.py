"""Celery tasks: thin, idempotent, taking ids and calling a service."""

from celery import shared_task
from celery.signals import worker_ready

from advocacy.models import Program

from . import outbox, reminders, services


@shared_task(name="rotations.tasks.run_handoffs")
def run_handoffs() -> int:
    """Perform every due handoff (periodic); a repeat or concurrent run does nothing twice."""
    return services.run_due_handoffs()


@shared_task(name="rotations.tasks.handoff_program")
def handoff_program(program_id: int) -> int:
    """Perform one program's due handoffs."""
    return services.handoffs_for_program(program_id=program_id)


@shared_task(name="rotations.tasks.send_reminders")
def send_reminders() -> int:
    """Send every due reminder (periodic); each is sent once thanks to its dedupe key."""
    return reminders.send_due_reminders()


@shared_task(name="rotations.tasks.send_program_reminders")
def send_program_reminders(program_id: int) -> int:
    if not Program.objects.filter(pk=program_id).exists():
        return 0
    return reminders.send_due_reminders(program_id=program_id)


@shared_task(name="rotations.tasks.flush_outbox")
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
