"""Tell a person something: an in-app notification plus one e-mail, exactly once.

The notification row is the durable record. Its e-mail is handed to a Celery
worker after commit; if the broker is down, or the mail server fails, the row
simply stays unsent and the periodic sweep (`send_pending_emails`) delivers it
later. A web request never waits for, or fails because of, e-mail.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.queueing import send

from .models import Notification, Program

log = logging.getLogger(__name__)

# Unsent e-mails older than this are not sent any more: the in-app notice remains.
EMAIL_GIVE_UP_AFTER = timedelta(days=3)


def notify(
    *,
    user: AbstractBaseUser,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    program: Program | None = None,
    email: bool = True,
) -> Notification | None:
    """Record a notification and queue its e-mail after commit; return None if already recorded.

    The dedupe key is unique, so concurrent or repeated calls for the same
    event create one row and send one e-mail.
    """
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                program=program,
                kind=kind,
                title=title[:200],
                body=body,
                url=url,
                dedupe_key=dedupe_key[:200],
                wants_email=email and bool(getattr(user, "email", "")),
            )
    except IntegrityError:
        return None
    if note.wants_email:
        transaction.on_commit(lambda: _queue_email(note.pk))
    return note


def _queue_email(notification_id: int) -> None:
    from .tasks import send_notification_email

    send(send_notification_email, notification_id)


def deliver_email(*, notification_id: int) -> bool:
    """Send one notification's e-mail unless it was sent already; return whether it was sent now."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=notification_id, wants_email=True, emailed_at__isnull=True)
            .first()
        )
        if note is None:
            return False
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{note.url}" if note.url else ""
        send_mail(note.title, f"{note.body}{link}", None, [note.user.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
        return True


def send_pending_emails(*, now=None) -> int:
    """Send every recent notification e-mail that is still unsent; return how many went out."""
    now = now or timezone.now()
    pending = Notification.objects.filter(
        wants_email=True, emailed_at__isnull=True, created_at__gte=now - EMAIL_GIVE_UP_AFTER
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(pending[:500]):
        try:
            sent += deliver_email(notification_id=pk)
        except Exception as error:  # one bad address or a mail-server hiccup must not stop the rest
            log.warning("E-mail of notification %s failed: %s", pk, type(error).__name__)
    return sent


def mark_read(*, user: AbstractBaseUser, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
