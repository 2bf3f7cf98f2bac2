"""E-mails rendered in a request and sent by a worker: queued through the outbox, deleted once sent.

`queue_mail` stores the message and queues its send in the caller's
transaction, so a request never waits for the mail server (nor fails because
it is down). `send_queued_mail` sends one and deletes it; a failure is counted
and raised (the task fails visibly), and `requeue_unsent_mail` (periodic) queues
again what is left, for a day, up to `MAX_ATTEMPTS` tries.
"""

import logging
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .edge import single_line
from .models import OutgoingMail
from .outbox import enqueue, enqueue_missing
from .scrub import redact

SEND_TASK = "core.tasks.send_queued_mail"
MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(days=1)
RETRY_AFTER = timedelta(minutes=2)

log = logging.getLogger(__name__)


def queue_mail(*, to: str, subject: str, body: str, html: str = "") -> OutgoingMail:
    """Store one e-mail and queue its sending after the surrounding transaction commits."""
    mail = OutgoingMail.objects.create(to=to, subject=single_line(subject)[:300], body=body, html=html)
    enqueue(SEND_TASK, args=[mail.pk])
    return mail


def send_queued_mail(*, mail_id: int) -> bool:
    """Send one stored e-mail and delete it; return False when it was sent (or given up) already."""
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update(skip_locked=True).filter(pk=mail_id).first()
        if mail is None or mail.attempts >= MAX_ATTEMPTS:
            return False
        message = EmailMultiAlternatives(mail.subject, mail.body, None, [mail.to])
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        try:
            message.send()
        except Exception as error:  # the mail server refused, timed out, is down…: count it, keep why
            mail.attempts += 1
            mail.last_error = single_line(redact(f"{type(error).__name__}: {error}"))[:500]
            mail.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            mail.delete()
            return True
    log.warning("Queued e-mail %s failed (attempt %s)", mail_id, mail.attempts)
    raise failure


def requeue_unsent_mail(*, now=None) -> int:
    """Queue again the e-mails a mail-server failure left unsent; drop those older than a day."""
    now = now or timezone.now()
    OutgoingMail.objects.filter(created_at__lt=now - GIVE_UP_AFTER).delete()
    pending = OutgoingMail.objects.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)[:500]
    return enqueue_missing(SEND_TASK, list(pending), since=now - RETRY_AFTER)
