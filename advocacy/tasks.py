"""Celery tasks for advocacy: thin wrappers around the notification e-mail services."""

from celery import shared_task

from . import notifications


@shared_task(acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    return notifications.deliver_email(notification_id=notification_id)


@shared_task
def send_pending_notification_emails() -> int:
    return notifications.send_pending_emails()
