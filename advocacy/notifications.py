"""Tell a person something: an in-app notification plus one e-mail, exactly once."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification, Program


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
    """Record a notification and e-mail it after commit; return None if already sent.

    The dedupe key is unique, so concurrent or repeated calls for the same
    event create one row and send one e-mail.
    """
    try:
        with transaction.atomic():
            note = Notification.objects.create(
                user=user, program=program, kind=kind, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
            )
    except IntegrityError:
        return None
    if email and getattr(user, "email", ""):
        transaction.on_commit(lambda: _email(note.pk))
    return note


def _email(notification_id: int) -> None:
    """Send a notification's e-mail once; a second call finds it already sent."""
    with transaction.atomic():
        note = Notification.objects.select_for_update().select_related("user").filter(pk=notification_id).first()
        if note is None or note.emailed_at is not None:
            return
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{note.url}" if note.url else ""
        send_mail(note.title, f"{note.body}{link}", None, [note.user.email])
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])


def mark_read(*, user: AbstractBaseUser, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) as read; return how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
