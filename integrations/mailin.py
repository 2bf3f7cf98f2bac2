"""E-mail in: a program's address, receiving a forwarded mail, and turning it into a hot issue.

Each program has an address on one shared mailbox by plus-addressing
(`advocate+support-desk-x7k2qm@example.com`, the mailbox from the setting
INBOUND_EMAIL_ADDRESS). Mail reaches Baton two ways, which both end in
`receive_mail`: an e-mail service's inbound webhook (django-anymail checks its
signature, see receivers.py) or Baton's own SMTP receiver (smtp.py,
`manage.py receive_mail`). Receiving does as little as it can: it finds the
program by the address, refuses what is too large or meant for no program,
stores the raw message and queues `process_mail`. That task (Celery) reads the
message, skips auto-replies and bounces, applies the limits, finds the customer
and their words in the forwarded mail (mailparse.py) and creates the issue
through the same service as every other intake. The same Message-ID twice
creates one issue; running the task twice does its work once.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import Actor, require_manager
from core.outbox import enqueue, enqueue_missing
from issues import services as issue_services
from issues.models import Level
from issues.models import Source as IssueSource

from . import mailparse
from .models import Mail, MailIn, new_mail_tag

PROCESS_TASK: Final = "integrations.tasks.process_mail"

BAD_LEVEL: Final = "Choose a level from 1 to 5."
UNKNOWN_ADDRESS: Final = "No program takes mail at {address}."
TURNED_OFF: Final = "E-mail in is turned off for this program; the mail was not kept."
TOO_LARGE: Final = "The mail is larger than the limit of {limit}{size}; it was not kept."
DUPLICATE_OF: Final = "The same mail (Message-ID) as #{pk}; nothing created again."
AUTOMATIC: Final = "Not from a person ({why}); ignored so that two mail robots never answer each other for ever."
TOO_MANY_ATTACHMENTS: Final = "The mail has {count} attachments, more than the limit of {limit}; refused."
NO_TEXT: Final = "The mail has no text to read (only attachments, or an empty body); nothing created."
RATE_LIMITED: Final = (
    "More than {limit} mails from {sender} to this program in an hour; this one was not turned into an issue."
)
ISSUE_FAILED: Final = "The issue could not be created: {reason}"
UNREADABLE: Final = "The mail could not be read: {error}"
ATTACHMENTS_NOT_KEPT: Final = " {count} attachment{s} not kept."

# At most this many unknown-address mails a minute are recorded, so a flood of spam cannot fill the table.
UNKNOWN_RECORDED_PER_MINUTE: Final = 60

ESP_VIA: Final = {
    "Postmark": Mail.Via.POSTMARK,
    "Mailgun": Mail.Via.MAILGUN,
    "SendGrid": Mail.Via.SENDGRID,
    "Amazon SES": Mail.Via.AMAZON_SES,
}


def max_bytes() -> int:
    return settings.INBOUND_EMAIL_MAX_BYTES


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{max(1, count // 1024)} KB"


# ---------------------------------------------------------------- a program's address


@transaction.atomic
def configure_mail_in(*, program: Program, actor: Actor, enabled: bool, level: int) -> MailIn:
    """Turn e-mail in on or off for a program and set the level its mails become; return its settings."""
    require_manager(program=program, actor=actor)
    if level not in Level.values:
        raise ValidationError({"level": BAD_LEVEL})
    mail_in = MailIn.objects.select_for_update().filter(program=program).first()
    if mail_in is None:
        mail_in = MailIn(program=program, tag=new_mail_tag(program.slug))
    mail_in.enabled = bool(enabled)
    mail_in.level = level
    mail_in.full_clean()
    mail_in.save()
    return mail_in


@transaction.atomic
def change_address(*, program: Program, actor: Actor) -> MailIn:
    """Give a program a new address (a new random tag): mail to the old one is refused from now on."""
    require_manager(program=program, actor=actor)
    mail_in = MailIn.objects.select_for_update().filter(program=program).first()
    if mail_in is None:
        mail_in = MailIn(program=program)
    mail_in.tag = new_mail_tag(program.slug)
    mail_in.save()
    return mail_in


def tag_of(address: str) -> str | None:
    """Return the plus-tag of `address` when it is on Baton's mailbox (any case), else None."""
    local, _, domain = (address or "").strip().strip("<>").rpartition("@")
    box_local, _, box_domain = settings.INBOUND_EMAIL_ADDRESS.lower().partition("@")
    if domain.lower() != box_domain or "+" not in local:
        return None
    base, _, tag = local.partition("+")
    return tag.lower() if base.lower() == box_local and tag else None


def _mail_ins_for(recipients: list[str]) -> list[tuple[MailIn, str]]:
    """Return each program address among `recipients` (once each) with the address it came to."""
    found: dict[int, tuple[MailIn, str]] = {}
    tags = {tag: address for address in recipients if (tag := tag_of(address))}
    for mail_in in MailIn.objects.filter(tag__in=list(tags)).select_related("program"):
        found.setdefault(mail_in.pk, (mail_in, tags[mail_in.tag][:254]))
    return list(found.values())


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Received:
    """What became of a mail at the door: `smtp` is the reply an SMTP server gives (250 accepted)."""

    smtp: str
    mails: list[Mail]

    @property
    def accepted(self) -> bool:
        return self.smtp.startswith("250")


def _headers_of(raw: bytes) -> tuple[str, str, str]:
    """Return (sender address, subject, dedupe key) read from the headers only."""
    headers = mailparse.parse_headers(raw)
    _, sender = mailparse.address_of(mailparse.header_text(headers, "From"))
    subject = mailparse.header_text(headers, "Subject")[:200]
    message_id = mailparse.header_text(headers, "Message-ID").strip()[:280]
    key = f"id:{message_id.lower()}" if message_id else f"sha256:{hashlib.sha256(raw).hexdigest()}"
    return sender, subject, key


def _record(**fields) -> Mail:
    fields.setdefault("processed_at", timezone.now())
    fields["reason"] = fields.get("reason", "")[:500]
    for name in ("recipient", "sender", "envelope_sender"):
        if fields.get(name):
            fields[name] = fields[name][:254]
    return Mail.objects.create(**fields)


def _record_unknown(*, recipients: list[str], via: str, size: int, envelope_sender: str | None) -> Mail:
    """Record a mail to no program's address (at most so many a minute; beyond, returned unsaved)."""
    address = next((a for a in recipients if a), "")[:254]
    reason = UNKNOWN_ADDRESS.format(address=address or "no address")
    now = timezone.now()
    recent = Mail.objects.filter(
        mail_in__isnull=True, outcome=Mail.Outcome.UNKNOWN_ADDRESS, received_at__gte=now - timedelta(minutes=1)
    )
    if recent.count() >= UNKNOWN_RECORDED_PER_MINUTE:
        return Mail(via=via, recipient=address, outcome=Mail.Outcome.UNKNOWN_ADDRESS, reason=reason)
    return _record(
        via=via,
        recipient=address,
        size=size,
        envelope_sender=envelope_sender,
        outcome=Mail.Outcome.UNKNOWN_ADDRESS,
        reason=reason,
    )


def refusal_for_recipient(address: str, *, via: str = Mail.Via.SMTP, envelope_sender: str | None = None) -> str | None:
    """Return the SMTP reply refusing a recipient (recorded), or None when a program takes mail there.

    The SMTP receiver asks this for each RCPT TO, so a mail for no program is
    refused before its body is sent.
    """
    matched = _mail_ins_for([address])
    if not matched:
        _record_unknown(recipients=[address], via=via, size=0, envelope_sender=envelope_sender)
        return "550 5.1.1 No program takes mail at this address"
    mail_in, recipient = matched[0]
    if not mail_in.enabled:
        _record(
            mail_in=mail_in,
            via=via,
            recipient=recipient,
            envelope_sender=envelope_sender,
            outcome=Mail.Outcome.TURNED_OFF,
            reason=TURNED_OFF,
        )
        return "550 5.7.1 E-mail in is turned off for this address"
    return None


def record_too_large(*, recipients: list[str], via: str, size: int | None, envelope_sender: str | None = None) -> str:
    """Record a mail refused for its size on each program it was for; return the SMTP reply.

    `size` is None when the mail was not read to its end (the SMTP receiver stops at the limit).
    """
    reason = TOO_LARGE.format(size=f" ({_size(size)})" if size else "", limit=_size(max_bytes()))
    size = size or 0
    matched = _mail_ins_for(recipients)
    for mail_in, recipient in matched:
        _record(
            mail_in=mail_in,
            via=via,
            recipient=recipient,
            size=size,
            envelope_sender=envelope_sender,
            outcome=Mail.Outcome.TOO_LARGE,
            reason=reason,
        )
    if not matched:
        _record_unknown(recipients=recipients, via=via, size=size, envelope_sender=envelope_sender)
    return too_large_reply()


def too_large_reply() -> str:
    """Return the SMTP reply refusing a mail for its size."""
    return f"552 5.3.4 Message too big: the limit is {_size(max_bytes())}"


@transaction.atomic
def receive_mail(*, raw: bytes, recipients: list[str], via: str, envelope_sender: str | None = None) -> Received:
    """Store a mail for each program address it was sent to and queue its processing; return the SMTP reply.

    `recipients` are the envelope recipients (or the To/Cc addresses when the
    way in gives none), `envelope_sender` the SMTP MAIL FROM when known. Only
    the headers are read here; a mail already stored for that program (same
    Message-ID) is recorded as its duplicate.
    """
    recipients = [r for r in recipients if r]
    envelope_sender = envelope_sender[:254] if envelope_sender is not None else None
    if len(raw) > max_bytes():
        return Received(
            record_too_large(recipients=recipients, via=via, size=len(raw), envelope_sender=envelope_sender), []
        )
    matched = _mail_ins_for(recipients)
    if not matched:
        mail = _record_unknown(recipients=recipients, via=via, size=len(raw), envelope_sender=envelope_sender)
        return Received("550 5.1.1 No program takes mail at this address", [mail])
    sender, subject, key = _headers_of(raw)
    mails, accepted = [], False
    for mail_in, recipient in matched:
        common = {
            "mail_in": mail_in,
            "via": via,
            "recipient": recipient,
            "size": len(raw),
            "sender": sender,
            "envelope_sender": envelope_sender,
            "subject": subject,
        }
        if not mail_in.enabled:
            mails.append(_record(**common, outcome=Mail.Outcome.TURNED_OFF, reason=TURNED_OFF))
            continue
        accepted = True
        try:
            with transaction.atomic():
                mail = Mail.objects.create(**common, raw=raw, dedupe_key=key)
        except IntegrityError:
            original = Mail.objects.filter(mail_in=mail_in, dedupe_key=key, duplicate_of__isnull=True).first()
            mails.append(
                _record(
                    **common,
                    dedupe_key=key,
                    duplicate_of=original,
                    issue_id=original.issue_id if original else None,
                    outcome=Mail.Outcome.DUPLICATE,
                    reason=DUPLICATE_OF.format(pk=original.pk if original else "?"),
                )
            )
            continue
        enqueue(PROCESS_TASK, args=[mail.pk])
        mails.append(mail)
    if not accepted:
        return Received("550 5.7.1 E-mail in is turned off for this address", mails)
    return Received(f"250 2.0.0 OK: kept as #{mails[0].pk}", mails)


def receive_from_esp(*, message, esp_name: str) -> Received:
    """Receive a mail an e-mail service posted (an anymail inbound message): its raw form, its recipients."""
    try:
        raw = message.as_bytes()
    except Exception:  # a header the serializer cannot write back: fall back to the lenient form
        raw = message.as_string().encode("utf-8", "surrogateescape")
    recipients = [message.envelope_recipient] if message.envelope_recipient else []
    recipients += mailparse.addresses_in(message, "To", "Cc", "Delivered-To", "X-Original-To")
    return receive_mail(
        raw=raw,
        recipients=recipients,
        via=ESP_VIA.get(esp_name, Mail.Via.SMTP),
        envelope_sender=message.envelope_sender,
    )


# ---------------------------------------------------------------- processing


def _finish(mail: Mail, outcome: str, reason: str = "", issue=None) -> str:
    mail.outcome = outcome
    mail.reason = reason[:500]
    mail.issue = issue
    mail.processed_at = timezone.now()
    mail.save(update_fields=["outcome", "reason", "issue", "processed_at"])
    return outcome


def _rate_limited(mail: Mail) -> bool:
    limit = settings.INBOUND_EMAIL_PER_SENDER_PER_HOUR
    if not mail.sender or not limit:
        return False
    earlier = Mail.objects.filter(
        mail_in_id=mail.mail_in_id,
        sender=mail.sender,
        outcome=Mail.Outcome.ISSUE_CREATED,
        received_at__gte=mail.received_at - timedelta(hours=1),
        received_at__lte=mail.received_at,
    ).exclude(pk=mail.pk)
    return earlier.count() >= limit


@transaction.atomic
def process_mail(*, mail_id: int) -> str:
    """Turn one stored mail into a hot issue, or record why not; return the outcome.

    Idempotent: the mail's row is locked, and a mail already processed is left as it is.
    """
    mail = Mail.objects.select_for_update(of=("self",)).select_related("mail_in__program").filter(pk=mail_id).first()
    if mail is None:
        return "gone"
    if mail.outcome != Mail.Outcome.RECEIVED:
        return mail.outcome
    try:
        message = mailparse.parse(bytes(mail.raw))
        why = mailparse.automatic(message, envelope_sender=mail.envelope_sender)
        attachments = mailparse.attachment_count(message)
        reading = None if why else mailparse.read(message)
    except Exception as error:  # the e-mail package raises many kinds on a broken message
        return _finish(mail, Mail.Outcome.FAILED, UNREADABLE.format(error=f"{type(error).__name__}: {error}"[:200]))
    if why:
        return _finish(mail, Mail.Outcome.AUTOMATIC, AUTOMATIC.format(why=why))
    limit = settings.INBOUND_EMAIL_MAX_ATTACHMENTS
    if attachments > limit:
        return _finish(
            mail, Mail.Outcome.TOO_MANY_ATTACHMENTS, TOO_MANY_ATTACHMENTS.format(count=attachments, limit=limit)
        )
    if not reading.words.strip():
        return _finish(mail, Mail.Outcome.NO_TEXT, NO_TEXT)
    if _rate_limited(mail):
        return _finish(
            mail,
            Mail.Outcome.RATE_LIMITED,
            RATE_LIMITED.format(limit=settings.INBOUND_EMAIL_PER_SENDER_PER_HOUR, sender=mail.sender),
        )
    mail_in = mail.mail_in
    title = reading.title or f"E-mail from {reading.customer_name or reading.customer_email or 'a customer'}"
    try:
        with transaction.atomic():
            issue = issue_services.create_issue(
                program=mail_in.program,
                actor=None,
                title=title,
                words=reading.words,
                level=mail_in.level,
                source=IssueSource.EMAIL,
                customer_name=reading.customer_name,
                customer_email=reading.customer_email,
            )
    except ValidationError as error:
        return _finish(mail, Mail.Outcome.FAILED, ISSUE_FAILED.format(reason=" ".join(error.messages)))
    reason = f"From {reading.customer_email or 'the sender'}"
    reason += f", forwarded by {reading.forwarded_by}." if reading.forwarded_by else "."
    if attachments:
        reason += ATTACHMENTS_NOT_KEPT.format(count=attachments, s="s" if attachments != 1 else "")
    return _finish(mail, Mail.Outcome.ISSUE_CREATED, reason, issue=issue)


# A mail still waiting this long after it arrived lost its job (a worker died mid-way): queue it again.
STUCK_AFTER: Final = timedelta(minutes=10)
# The raw messages of processed mails are kept this long (for a look at what came), then cleared.
KEEP_RAW: Final = timedelta(days=30)


def requeue_stuck_mails(*, now=None) -> int:
    """Queue again the processing of mails still waiting long after they arrived; clear old raw messages."""
    now = now or timezone.now()
    Mail.objects.filter(processed_at__lt=now - KEEP_RAW, size__gt=0).exclude(raw=b"").update(raw=b"")
    waiting = Mail.objects.filter(outcome=Mail.Outcome.RECEIVED, received_at__lt=now - STUCK_AFTER)
    ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:1000])
    return enqueue_missing(PROCESS_TASK, ids, since=now - STUCK_AFTER)
