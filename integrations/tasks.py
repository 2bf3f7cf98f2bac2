"""Background work for inbound sources. Tasks are thin: they take ids and call a service."""

from celery import shared_task

from . import mailin, services


@shared_task(name="integrations.tasks.process_delivery", acks_late=True)
def process_delivery(delivery_id: int) -> str:
    """Turn one stored webhook delivery into a hot issue (or record why not)."""
    return services.process_delivery(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.requeue_stuck_deliveries")
def requeue_stuck_deliveries() -> int:
    """Queue again the deliveries and e-mails a lost job left waiting (periodic)."""
    return services.requeue_stuck_deliveries()


@shared_task(name="integrations.tasks.process_mail", acks_late=True)
def process_mail(mail_id: int) -> str:
    """Turn one stored forwarded e-mail into a hot issue (or record why not)."""
    return mailin.process_mail(mail_id=mail_id)
