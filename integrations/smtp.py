"""Baton's own SMTP receiver (aiosmtpd): mail for the programs' addresses, stored and queued like a webhook's.

`manage.py receive_mail --port N` runs it as a process of its own (Procfile:
mail). Each RCPT TO is checked at once: an address no program has, or one whose
e-mail in is off, is refused (550) before the body is sent. A body over
INBOUND_EMAIL_MAX_BYTES is refused (552: aiosmtpd stops reading it) and
recorded. An accepted mail is stored raw and its processing queued; the reply
(250) comes as soon as it is stored. Django's database calls run in a thread
of their own (asgiref's sync_to_async): the receiver's event loop never waits
on the database.
"""

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from . import mailin
from .models import Mail


def _with_fresh_connection(function):
    def run(*args, **kwargs):
        close_old_connections()  # a long-running receiver must not keep a connection the database closed
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return run


class Handler:
    """aiosmtpd's handler: the hooks it calls for RCPT and DATA."""

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options):
        refusal = await sync_to_async(_with_fresh_connection(mailin.refusal_for_recipient))(
            address, via=Mail.Via.SMTP, envelope_sender=envelope.mail_from
        )
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received = await sync_to_async(_with_fresh_connection(mailin.receive_mail))(
            raw=bytes(envelope.original_content or b""),
            recipients=list(envelope.rcpt_tos),
            via=Mail.Via.SMTP,
            envelope_sender=envelope.mail_from,
        )
        return received.smtp


class BatonSMTP(SMTP):
    """aiosmtpd's server, recording a mail it refuses for its size (aiosmtpd answers 552 itself)."""

    async def push(self, status: str):
        if status.startswith("552") and self.envelope is not None and self.envelope.rcpt_tos:
            status = await sync_to_async(_with_fresh_connection(mailin.record_too_large))(
                recipients=list(self.envelope.rcpt_tos),
                via=Mail.Via.SMTP,
                size=None,
                envelope_sender=self.envelope.mail_from,
            )
        await super().push(status)


class Receiver(Controller):
    def factory(self):
        return BatonSMTP(self.handler, **self.SMTP_kwargs)


def start(*, host: str, port: int, server_name: str = "") -> Receiver:
    """Start the receiver on host:port in a thread of its own; return it (`.stop()` ends it)."""
    receiver = Receiver(
        Handler(),
        hostname=host,
        port=port,
        server_hostname=server_name or None,
        data_size_limit=mailin.max_bytes(),
        ident="Baton mail receiver",
        decode_data=False,
    )
    receiver.start()
    return receiver
