"""django-anymail's inbound signal, wired into e-mail in.

Anymail's webhook views check each e-mail service's signature (Mailgun's HMAC,
the basic auth of Postmark, SendGrid and Amazon SES), parse the service's
payload into one normalised message and send its `inbound` signal. That signal
is anymail's documented integration point, so this receiver is the one place it
is used: it hands the message to `mailin.receive_from_esp`, where the rules are.
"""

from anymail.signals import AnymailInboundEvent

from . import mailin


def on_inbound_mail(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Store the posted mail and queue its processing (a failure here answers 500, so the service retries)."""
    mailin.receive_from_esp(message=event.message, esp_name=esp_name)
