"""Tell a person something: an in-app notification plus one e-mail, exactly once.

The notification row is the durable record. Its e-mail is a job in the outbox
(`core.outbox`), written in the same transaction and sent to a worker after
commit, so a broker outage only delays it. If the mail server fails, the row
stays unsent and the periodic sweep (`requeue_unsent_emails`) queues it again,
up to `EMAIL_MAX_ATTEMPTS` tries; then the e-mail is given up and the admins are
told once, in the app (`notify_admins`: never by e-mail, which may be what is
failing). A web request never waits for, or fails because of, e-mail.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.edge import single_line
from core.outbox import enqueue, enqueue_missing
from core.scrub import redact

from .models import Notification, Profile, Program

# Unsent e-mails older than this are not sent any more: the in-app notice remains.
EMAIL_GIVE_UP_AFTER = timedelta(days=3)
# An e-mail queued this recently (or still waiting for the broker) is not queued again.
EMAIL_RETRY_AFTER = timedelta(minutes=2)
SEND_EMAIL_TASK = "advocacy.tasks.send_notification_email"
# An e-mail that failed this many times is given up (the in-app notice remains) and the admins are told.
EMAIL_MAX_ATTEMPTS = 5
EMAIL_FAILED_KIND = "email_failed"

log = logging.getLogger(__name__)


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
    """Send one notification's e-mail unless it was sent already; return whether it was sent now.

    A failed send is counted and its reason kept, then raised again (the task
    fails visibly); the try that reaches `EMAIL_MAX_ATTEMPTS` tells the admins.
    """
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "user__baton_profile")
            .filter(
                pk=notification_id,
                wants_email=True,
                emailed_at__isnull=True,
                email_attempts__lt=EMAIL_MAX_ATTEMPTS,
            )
            .first()
        )
        if note is None:
            return False
        if not wants_email(note.user, note.kind):
            # Switched off on the person's profile (maybe after it was queued): the in-app notice is enough.
            note.wants_email = False
            note.save(update_fields=["wants_email"])
            return False
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{note.url}" if note.url else ""
        note.email_attempts += 1
        try:
            send_mail(single_line(note.title), f"{note.body}{link}", None, [note.user.email])
        except Exception as error:  # the mail server refused, timed out, is down…: count it, keep why
            failure = error
            note.email_error = failure_reason(error)
            note.save(update_fields=["email_attempts", "email_error"])
        else:
            note.emailed_at = timezone.now()
            note.save(update_fields=["emailed_at", "email_attempts"])
            return True
    if note.email_attempts >= EMAIL_MAX_ATTEMPTS:
        log.error("Notification e-mail %s given up after %s attempts", note.pk, note.email_attempts)
        notify_admins(
            title="A notification e-mail could not be sent",
            body=(
                f"The e-mail of notification #{note.pk} (kind “{note.kind}”) failed {note.email_attempts} times "
                f"and will not be tried again; the in-app notice remains. Last error: {note.email_error}"
            ),
            dedupe_key=f"email-given-up:notification:{note.pk}",
        )
    raise failure


def wants_email(user: AbstractBaseUser, kind: str) -> bool:
    """Return whether `user` wants notices of `kind` by e-mail too (an active person with an address who did not switch it off)."""
    if not user.is_active or not getattr(user, "email", ""):
        return False
    try:
        profile = user.baton_profile
    except Profile.DoesNotExist:
        return True
    return profile.wants_email(kind)


def failure_reason(error: BaseException) -> str:
    """Return why a send failed, on one line, without the addresses or phone numbers it may quote."""
    return single_line(redact(f"{type(error).__name__}: {error}"))[:500]


def notify_admins(*, title: str, body: str, dedupe_key: str, url: str = "") -> int:
    """Tell every active superuser something in the app, once per key; return how many were told.

    Never by e-mail: what admins are told about is often that e-mail fails.
    """
    told = 0
    for admin in get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk"):
        note = notify(
            user=admin,
            kind=EMAIL_FAILED_KIND,
            title=title,
            body=body,
            url=url,
            dedupe_key=f"{dedupe_key}:{admin.pk}",
            email=False,
        )
        told += note is not None
    return told


def requeue_unsent_emails(*, now=None) -> int:
    """Queue again every recent e-mail a failure left unsent (the mail server was down); return how many.

    E-mails tried `EMAIL_MAX_ATTEMPTS` times are given up. E-mails already waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    pending = Notification.objects.filter(
        wants_email=True,
        emailed_at__isnull=True,
        email_attempts__lt=EMAIL_MAX_ATTEMPTS,
        created_at__gte=now - EMAIL_GIVE_UP_AFTER,
    ).values_list("pk", flat=True)
    return enqueue_missing(SEND_EMAIL_TASK, list(pending[:500]), since=now - EMAIL_RETRY_AFTER)


def mark_read(*, user: AbstractBaseUser, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
