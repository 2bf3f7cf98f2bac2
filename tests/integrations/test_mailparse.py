"""Reading forwarded e-mails: the customer, their words, the title, and the mails no person sent."""

from email.message import EmailMessage

import pytest

from integrations import mailparse

GMAIL = b"""From: Dana Advocate <dana@example.com>
To: advocate+desk-abc123@example.com
Subject: Fwd: My order never came
Message-ID: <gmail-1@example.com>
Content-Type: text/plain; charset=utf-8

FYI, she is furious.

---------- Forwarded message ---------
From: Carla Customer <carla@customer.test>
Date: Mon, Mar 3, 2025 at 10:00 AM
Subject: My order never came
To: <support@example.com>


I ordered three weeks ago and nothing came.
Nobody answers the phone.

Best regards,
Carla
--
Carla Customer, ACME

On Mon, Mar 1, 2025 at 9:00 AM Support <support@example.com> wrote:
> We will look into it.
"""

OUTLOOK_HTML = b"""From: Dana <dana@example.com>
Subject: FW: Broken again
Content-Type: text/html; charset=utf-8

<html><head><style>p {color: red}</style></head><body><p>see below</p><div><hr>-----Original Message-----<br>
<b>From:</b> Olaf Old [mailto:olaf@old.test]<br><b>Sent:</b> Tuesday, March 4, 2025 9:12 AM<br><b>To:</b> Support<br>
<b>Subject:</b> Broken again<br><br><p>It broke again &amp; again. &lt;script&gt;alert(1)&lt;/script&gt;</p>
<p>Sent from my iPhone</p></div><script>steal()</script></body></html>
"""

APPLE = b"""From: Dana <dana@example.com>
Subject: Fwd: Refund
Content-Type: text/plain

Begin forwarded message:

From: "Ann Apple" <ann@apple.test>
Subject: Refund
Date: 4 March 2025 at 09:00:00 CET
To: support@example.com

Where is my refund?
"""


def test_a_gmail_forward_names_the_original_sender_and_keeps_only_their_new_words():
    reading = mailparse.read(mailparse.parse(GMAIL))
    assert (reading.customer_name, reading.customer_email) == ("Carla Customer", "carla@customer.test")
    assert reading.forwarded_by == "dana@example.com"
    assert reading.title == "My order never came"
    assert reading.words == "I ordered three weeks ago and nothing came.\nNobody answers the phone."


def test_an_outlook_html_forward_is_read_as_text_without_scripts_or_the_mobile_signature():
    reading = mailparse.read(mailparse.parse(OUTLOOK_HTML))
    assert (reading.customer_name, reading.customer_email) == ("Olaf Old", "olaf@old.test")
    assert reading.title == "Broken again"
    assert reading.words == "It broke again & again. <script>alert(1)</script>"  # text, escaped where shown
    assert "steal" not in reading.words and "color" not in reading.words


def test_an_apple_mail_forward_names_the_original_sender():
    reading = mailparse.read(mailparse.parse(APPLE))
    assert (reading.customer_name, reading.customer_email, reading.words) == (
        "Ann Apple",
        "ann@apple.test",
        "Where is my refund?",
    )


def test_a_mail_forwarded_twice_names_the_innermost_sender():
    twice = APPLE.replace(
        b"Begin forwarded message:",
        b"---------- Forwarded message ---------\nFrom: Ben <ben@example.com>\nSubject: Fwd: Refund\n\nBegin forwarded message:",
    )
    assert mailparse.read(mailparse.parse(twice)).customer_email == "ann@apple.test"


def test_a_mail_forwarded_as_an_attachment_names_the_attached_mails_sender():
    inner = EmailMessage()
    inner["From"] = "Ivy Inner <ivy@inner.test>"
    inner["Subject"] = "Still waiting"
    inner.set_content("Three weeks and no answer.\n\n-- \nIvy")
    outer = EmailMessage()
    outer["From"] = "dana@example.com"
    outer["Subject"] = "FW: Still waiting"
    outer.set_content("See the attached mail.")
    outer.add_attachment(inner)
    reading = mailparse.read(mailparse.parse(outer.as_bytes()))
    assert (reading.customer_email, reading.words, reading.title) == (
        "ivy@inner.test",
        "Three weeks and no answer.",
        "Still waiting",
    )


def test_without_a_forwarded_block_the_sender_is_the_customer():
    direct = b"From: Zoe <zoe@customer.test>\nSubject: Re: Fwd: bad service\n\nYour service is bad.\n\n> old quote\n"
    reading = mailparse.read(mailparse.parse(direct))
    assert (reading.customer_email, reading.forwarded_by, reading.title, reading.words) == (
        "zoe@customer.test",
        "",
        "bad service",
        "Your service is bad.",
    )


@pytest.mark.parametrize(
    ("headers", "envelope_sender", "why"),
    [
        ("Auto-Submitted: auto-replied\n", None, "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated\n", None, "Auto-Submitted: auto-generated"),
        ("X-Autoreply: yes\n", None, "X-Autoreply header"),
        ("Precedence: bulk\n", None, "Precedence: bulk"),
        ("Precedence: auto_reply\n", None, "Precedence: auto_reply"),
        ("Precedence: list\n", None, "Precedence: list"),
        ("", "", "a null return path (a bounce)"),
        ("Return-Path: <>\n", None, "a null return path (a bounce)"),
    ],
)
def test_auto_replies_bounces_and_lists_are_told_apart_from_people(headers, envelope_sender, why):
    raw = f"From: someone@example.com\n{headers}Subject: Out of office\n\nI am away.\n".encode()
    assert mailparse.automatic(mailparse.parse(raw), envelope_sender=envelope_sender) == why


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_mail_from_the_mail_system_is_automatic(sender):
    raw = f"From: {sender}\nSubject: Undelivered\n\nSorry.\n".encode()
    assert mailparse.automatic(mailparse.parse(raw), envelope_sender="x@example.com").startswith("sent by")


def test_a_delivery_report_is_automatic():
    raw = (
        b"From: mx@example.com\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nFailed.\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.0.0\n--b--\n"
    )
    assert mailparse.automatic(mailparse.parse(raw), envelope_sender=None) == "a delivery report"


def test_a_persons_mail_and_auto_submitted_no_are_not_automatic():
    raw = b"From: carla@customer.test\nAuto-Submitted: no\nSubject: hi\n\nHello\n"
    assert mailparse.automatic(mailparse.parse(raw), envelope_sender="carla@customer.test") is None


def test_attachments_are_counted():
    message = EmailMessage()
    message["From"] = "carla@customer.test"
    message.set_content("See the photos.")
    for n in range(3):
        message.add_attachment(b"x", maintype="image", subtype="png", filename=f"{n}.png")
    assert mailparse.attachment_count(mailparse.parse(message.as_bytes())) == 3


def test_an_encoded_subject_and_sender_name_are_decoded():
    raw = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\nSubject: =?utf-8?q?Fwd=3A_Gr=C3=BC=C3=9Fe?=\n\nHallo\n"
    reading = mailparse.read(mailparse.parse(raw))
    assert (reading.customer_name, reading.title) == ("Jürgen", "Grüße")


GMAIL_HTML = (
    '<div dir="ltr">Please help<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
    '---------- Forwarded message ---------<br>From: <strong class="gmail_sendername">Carla Customer</strong> '
    '<span>&lt;<a href="mailto:carla@customer.test">carla@customer.test</a>&gt;</span><br>'
    "Date: Mon, Mar 3, 2025 at 10:00 AM<br>Subject: Order<br>To: &lt;support@example.com&gt;<br></div><br><br>"
    '<div dir="ltr">Where is my order?<div>It is late.</div></div></div></div>'
)
APPLE_HTML = (
    '<html><body>FYI<div><br><blockquote type="cite"><div>Begin forwarded message:</div><br>'
    "<div><span><b>From: </b></span><span>Ann Apple &lt;ann@apple.test&gt;<br></span></div>"
    "<div><span><b>Subject: </b></span><span><b>Refund</b><br></span></div>"
    "<div><span><b>Date: </b></span><span>4 March 2025<br></span></div><br>"
    "<div>Where is my refund?</div></blockquote></div></body></html>"
)


@pytest.mark.parametrize(
    ("html", "email", "words"),
    [
        (GMAIL_HTML, "carla@customer.test", "Where is my order?\nIt is late."),
        (APPLE_HTML, "ann@apple.test", "Where is my refund?"),
    ],
)
def test_html_only_forwards_of_gmail_and_apple_mail_are_read(html, email, words):
    raw = f"From: dana@example.com\nSubject: Fwd: x\nContent-Type: text/html; charset=utf-8\n\n{html}".encode()
    reading = mailparse.read(mailparse.parse(raw))
    assert (reading.customer_email, reading.words) == (email, words)
