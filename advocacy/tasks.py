"""Celery tasks for advocacy: thin wrappers around the notification and invitation e-mail services."""

from celery import shared_task

from . import invitations, notifications


@shared_task(name="advocacy.tasks.send_notification_email", acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification, unless it was e-mailed already."""
    return notifications.deliver_email(notification_id=notification_id)


@shared_task(name="advocacy.tasks.send_pending_notification_emails")
def send_pending_notification_emails() -> int:
    """Queue again the notification e-mails a mail-server failure left unsent (periodic)."""
    return notifications.requeue_unsent_emails()


@shared_task(name="advocacy.tasks.send_invitation_email", acks_late=True)
def send_invitation_email(invitation_id: int) -> bool:
    """E-mail one invitation, unless it was e-mailed already for its current link."""
    return invitations.deliver_invitation_email(invitation_id=invitation_id)


@shared_task(name="advocacy.tasks.send_pending_invitation_emails")
def send_pending_invitation_emails() -> int:
    """Queue again the invitation e-mails a mail-server failure left unsent (periodic)."""
    return invitations.requeue_unsent_invitation_emails()
