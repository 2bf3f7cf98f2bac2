"""Celery tasks for advocacy: thin wrappers around the notification e-mail services."""

from celery import shared_task

from . import notifications


@shared_task(name="advocacy.tasks.send_notification_email", acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification, unless it was e-mailed already."""
    return notifications.deliver_email(notification_id=notification_id)


@shared_task(name="advocacy.tasks.send_pending_notification_emails")
def send_pending_notification_emails() -> int:
    """Queue again the notification e-mails a mail-server failure left unsent (periodic)."""
    return notifications.requeue_unsent_emails()
