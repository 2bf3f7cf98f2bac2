"""Demo data: a Zendesk source on the support desk with a few deliveries of each outcome, and a paused Slack channel. Safe to run twice."""

from advocacy.permissions import SYSTEM

from . import chat, mailin, mapping, services, signatures
from .models import Channel, ChatKind, Kind, MailIn, Source

DEMO_ZENDESK_SECRET = "demo-zendesk-signing-secret-0123456789"  # noqa: S105 — demo data only


def _deliver(source: Source, body: bytes, *, signed: bool = True) -> None:
    headers = signatures.sign(kind=source.kind, secret=source.secret, body=body) if signed else {}
    received = services.receive(source=source, body=body, headers=headers)
    if received.status == 202:
        services.process_delivery(delivery_id=received.delivery.pk)


def build(ctx: dict) -> None:
    desk = ctx["programs"]["support-desk"]
    Source.objects.filter(program=desk).delete()
    source, _ = services.create_source(
        program=desk, actor=SYSTEM, kind=Kind.ZENDESK, name="Zendesk EU", secret=DEMO_ZENDESK_SECRET
    )
    _deliver(source, mapping.sample_body(Kind.ZENDESK, n=1))
    _deliver(source, mapping.sample_body(Kind.ZENDESK, bad=False, n=2))
    _deliver(source, mapping.sample_body(Kind.ZENDESK, n=1))  # Zendesk retried: a duplicate
    _deliver(source, mapping.sample_body(Kind.ZENDESK, n=3), signed=False)  # not from Zendesk: refused
    services.create_source(program=desk, actor=SYSTEM, kind=Kind.HELPSCOUT, name="Help Scout")
    print("Inbound sources: Zendesk EU (with deliveries) and Help Scout on the support desk")
    _mail_in(desk)


DEMO_FORWARD = """From: Dana <dana@example.com>
To: {address}
Subject: Fwd: Third time I am writing about my refund
Message-ID: <demo-forward-1@example.com>

Can we help her today?

---------- Forwarded message ---------
From: Rosa Ramirez <rosa.ramirez@example.net>
Date: Mon, 2 Mar 2026 at 09:14
Subject: Third time I am writing about my refund
To: <support@example.com>

This is the third time I write. I returned the boots four weeks ago and I am still waiting for my money.
If I hear nothing by Friday I will dispute the charge with my bank.

Kind regards,
Rosa
"""


def _mail_in(desk) -> None:
    """E-mail in on the support desk, with one forwarded e-mail made an issue and one auto-reply ignored."""
    MailIn.objects.filter(program=desk).delete()
    address = mailin.configure_mail_in(program=desk, actor=SYSTEM, enabled=True, level=4).address
    for raw in (
        DEMO_FORWARD.format(address=address),
        f"From: Rosa Ramirez <rosa.ramirez@example.net>\nTo: {address}\nSubject: Out of office\n"
        "Auto-Submitted: auto-replied\nMessage-ID: <demo-auto-1@example.net>\n\nI am away until Monday.\n",
    ):
        received = mailin.receive_mail(
            raw=raw.encode(), recipients=[address], via="smtp", envelope_sender="dana@example.com"
        )
        for mail in received.mails:
            mailin.process_mail(mail_id=mail.pk)
    print(f"E-mail in: {address} on the support desk, with one forwarded e-mail and one auto-reply")
    # A Slack channel with an example address, paused so that nothing is posted until a real one is pasted.
    Channel.objects.filter(program=desk).delete()
    channel = chat.create_channel(
        program=desk,
        actor=SYSTEM,
        kind=ChatKind.SLACK,
        name="#support-escalations",
        url="https://hooks.slack.com/services/T00000000/B00000000/DEMOdemoDEMOdemoDEMOdemo",
        on_new_angry=True,
        on_overdue=True,
        on_runaround=True,
        on_handoff=True,
    )
    chat.set_paused(channel=channel, actor=SYSTEM, paused=True)
    print("Slack: #support-escalations on the support desk (paused: paste a real webhook address to use it)")
