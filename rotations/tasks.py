"""Celery tasks: thin, idempotent, taking ids and calling a service."""

from celery import shared_task

from advocacy.models import Program

from . import reminders, services


@shared_task(name="rotations.tasks.run_handoffs")
def run_handoffs() -> int:
    """Perform every due handoff (periodic); a repeat or concurrent run does nothing twice."""
    return services.run_due_handoffs()


@shared_task(name="rotations.tasks.handoff_program")
def handoff_program(program_id: int) -> int:
    """Perform one program's due handoffs."""
    return services.perform_due_handoffs(program_id=program_id)


@shared_task(name="rotations.tasks.send_reminders")
def send_reminders() -> int:
    """Send every due reminder (periodic); each is sent once thanks to its dedupe key."""
    return reminders.send_due_reminders()


@shared_task(name="rotations.tasks.send_program_reminders")
def send_program_reminders(program_id: int) -> int:
    if not Program.objects.filter(pk=program_id).exists():
        return 0
    return reminders.send_due_reminders(program_id=program_id)
