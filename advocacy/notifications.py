"""Tell a person something: an in-app notification plus one e-mail, exactly once.

The notification row is the durable record. Its e-mail is a job in the outbox
(`core.outbox`), written in the same transaction and sent to a worker after
commit, so a broker outage only delays it. If the mail server fails, the row
stays unsent and the periodic sweep (`requeue_unsent_emails`) queues it again.
A web request never waits for, or fails because of, e-mail.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.edge import single_line
from core.outbox import enqueue, queued_args

from .models import Notification, Program

# Unsent e-mails older than this are not sent any more: the in-app notice remains.
EMAIL_GIVE_UP_AFTER = timedelta(days=3)
# An e-mail queued this recently (or still waiting for the broker) is not queued again.
EMAIL_RETRY_AFTER = timedelta(minutes=2)
SEND_EMAIL_TASK = "advocacy.tasks.send_notification_email"


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
    """Record a notification and queue its e-mail in the same transaction; return None if already recorded.

    The dedupe key is unique, so concurrent or repeated calls for the same
    event create one row and send one e-mail.
    """
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user,
                program=program,
                kind=kind,
                title=single_line(title)[:200],
                body=body,
                url=url,
                dedupe_key=dedupe_key[:200],
                wants_email=email and bool(getattr(user, "email", "")),
            )
            if note.wants_email:
                enqueue(SEND_EMAIL_TASK, args=[note.pk])
    except IntegrityError:
        return None
    return note


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
        send_mail(single_line(note.title), f"{note.body}{link}", None, [note.user.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
        return True


def requeue_unsent_emails(*, now=None) -> int:
    """Queue again every recent e-mail a failure left unsent (the mail server was down); return how many.

    E-mails already waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    pending = Notification.objects.filter(
        wants_email=True, emailed_at__isnull=True, created_at__gte=now - EMAIL_GIVE_UP_AFTER
    ).values_list("pk", flat=True)
    on_their_way = queued_args(SEND_EMAIL_TASK, since=now - EMAIL_RETRY_AFTER)
    queued = 0
    for pk in list(pending[:500]):
        if (pk,) not in on_their_way:
            enqueue(SEND_EMAIL_TASK, args=[pk])
            queued += 1
    return queued


def mark_read(*, user: AbstractBaseUser, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
