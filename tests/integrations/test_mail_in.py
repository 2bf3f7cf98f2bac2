"""E-mail in: the e-mail services' inbound webhooks (through anymail, real payload shapes and signatures), the rules
of receiving and processing, and the program's page (on PostgreSQL)."""

import base64
import hashlib
import hmac
import json
from email.message import EmailMessage

import pytest
from django.urls import reverse

from integrations import mailin
from integrations.models import Mail, MailIn
from issues.models import HotIssue, Source

pytestmark = pytest.mark.django_db

BASIC = "Basic " + base64.b64encode(b"mailhook:test-webhook-password").decode()
WRONG_BASIC = "Basic " + base64.b64encode(b"mailhook:not-the-password").decode()


@pytest.fixture
def address(program, manager) -> str:
    return mailin.configure_mail_in(program=program, actor=manager, enabled=True, level=4).address


def forwarded_mail(
    *, to: str, message_id: str = "<fwd-1@example.com>", sender: str = "dana@example.com", **headers
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Dana Advocate <{sender}>"
    message["To"] = to
    message["Subject"] = "Fwd: My order never came"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(
        "She is furious.\n\n---------- Forwarded message ---------\n"
        "From: Carla Customer <carla@customer.test>\nDate: Mon, Mar 3, 2025 at 10:00 AM\n"
        "Subject: My order never came\nTo: <support@example.com>\n\n"
        "I ordered three weeks ago and nothing came.\n\n-- \nCarla\n"
    )
    return message.as_bytes()


def assert_the_forwarded_issue(program, *, level: int = 4) -> HotIssue:
    issue = HotIssue.objects.get()
    assert issue.program == program and issue.source == Source.EMAIL and issue.level == level
    assert issue.title == "My order never came"
    assert issue.words == "I ordered three weeks ago and nothing came."
    assert (issue.customer.name, issue.customer.email) == ("Carla Customer", "carla@customer.test")
    mail = Mail.objects.get(issue=issue)
    assert mail.outcome == Mail.Outcome.ISSUE_CREATED and "forwarded by dana@example.com" in mail.reason
    return issue


def outcomes(run_jobs) -> list[str]:
    """Run the queued jobs; return the outcomes of the mails processed (not of the notices an issue sends)."""
    return [result for result in run_jobs() if result in Mail.Outcome.values]


# ---------------------------------------------------------------- the e-mail services' webhooks


def postmark_payload(raw_to: str, *, message_id: str = "<fwd-1@example.com>") -> dict:
    """Postmark's inbound webhook JSON (its documented example, with our forwarded mail)."""
    return {
        "FromName": "Dana Advocate",
        "MessageStream": "inbound",
        "From": "dana@example.com",
        "FromFull": {"Email": "dana@example.com", "Name": "Dana Advocate", "MailboxHash": ""},
        "To": raw_to,
        "ToFull": [{"Email": raw_to, "Name": "", "MailboxHash": raw_to.split("+")[1].split("@")[0]}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": raw_to,
        "Subject": "Fwd: My order never came",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": raw_to.split("+")[1].split("@")[0],
        "Date": "Fri, 1 Aug 2025 16:45:32 -04:00",
        "TextBody": (
            "She is furious.\n\n---------- Forwarded message ---------\nFrom: Carla Customer <carla@customer.test>\n"
            "Subject: My order never came\n\nI ordered three weeks ago and nothing came.\n\n-- \nCarla\n"
        ),
        "HtmlBody": "",
        "StrippedTextReply": "She is furious.",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<dana@example.com>"},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "Message-ID", "Value": message_id},
        ],
        "Attachments": [],
    }


def test_a_postmark_inbound_post_with_the_right_basic_auth_becomes_one_hot_issue(client, program, address, run_jobs):
    url = reverse("integrations:mail_hook", args=["postmark"])
    payload = json.dumps(postmark_payload(address))
    response = client.post(url, data=payload, content_type="application/json", headers={"authorization": BASIC})
    assert response.status_code == 200
    mail = Mail.objects.get()
    assert mail.outcome == Mail.Outcome.RECEIVED and mail.via == Mail.Via.POSTMARK and bytes(mail.raw)
    assert mail.envelope_sender == "dana@example.com" and not HotIssue.objects.exists()  # stored, not yet processed
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]
    assert_the_forwarded_issue(program)
    # Postmark retries the same mail: one issue.
    client.post(url, data=payload, content_type="application/json", headers={"authorization": BASIC})
    run_jobs()
    assert HotIssue.objects.count() == 1
    assert sorted(Mail.objects.values_list("outcome", flat=True)) == [
        Mail.Outcome.DUPLICATE,
        Mail.Outcome.ISSUE_CREATED,
    ]


def test_a_postmark_post_with_the_wrong_basic_auth_is_refused_and_nothing_stored(client, address):
    url = reverse("integrations:mail_hook", args=["postmark"])
    for auth in (WRONG_BASIC, ""):
        headers = {"authorization": auth} if auth else {}
        response = client.post(
            url, data=json.dumps(postmark_payload(address)), content_type="application/json", headers=headers
        )
        assert response.status_code == 400
    assert not Mail.objects.exists()


def mailgun_signed(key: str = "test-mailgun-signing-key", timestamp: str = "1754067932", token: str = "a" * 50) -> dict:
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": signature}


def test_a_mailgun_forward_with_a_valid_signature_becomes_a_hot_issue(client, program, address, run_jobs):
    """Mailgun's route forward() posts the parsed message as multipart form fields."""
    raw_headers = [
        ["From", "Dana Advocate <dana@example.com>"],
        ["To", address],
        ["Subject", "Fwd: My order never came"],
        ["Message-Id", "<mailgun-1@example.com>"],
    ]
    body = (
        "She is furious.\n\n---------- Forwarded message ---------\nFrom: Carla Customer <carla@customer.test>\n"
        "Subject: My order never came\n\nI ordered three weeks ago and nothing came.\n"
    )
    data = {
        "recipient": address,
        "sender": "dana@example.com",
        "from": "Dana Advocate <dana@example.com>",
        "subject": "Fwd: My order never came",
        "body-plain": body,
        "stripped-text": "She is furious.",
        "body-html": "",
        "message-headers": json.dumps(raw_headers),
        **mailgun_signed(),
    }
    response = client.post(
        reverse("integrations:mail_hook", args=["mailgun"]), data=data, headers={"authorization": BASIC}
    )
    assert response.status_code == 200, response.content
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]
    assert_the_forwarded_issue(program)
    assert Mail.objects.get().via == Mail.Via.MAILGUN


def test_a_mailgun_raw_mime_post_with_a_forged_signature_is_refused(client, address):
    data = {"recipient": address, "body-mime": forwarded_mail(to=address).decode(), **mailgun_signed(key="guessed")}
    response = client.post(
        reverse("integrations:mail_hook", args=["mailgun"]), data=data, headers={"authorization": BASIC}
    )
    assert response.status_code == 400
    assert not Mail.objects.exists()


def test_a_mailgun_raw_mime_post_with_a_valid_signature_is_stored(client, address, run_jobs):
    data = {"recipient": address, "body-mime": forwarded_mail(to=address).decode(), **mailgun_signed()}
    url = reverse("integrations:mail_hook", args=["mailgun"])
    assert client.post(url, data=data).status_code == 400  # the signature holds, but not the basic auth
    assert client.post(url, data=data, headers={"authorization": BASIC}).status_code == 200
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]


def sendgrid_data(address: str) -> dict:
    """SendGrid's Inbound Parse post (default, not raw): the headers as text, the bodies, the envelope."""
    return {
        "headers": (
            f"From: Dana Advocate <dana@example.com>\r\nTo: {address}\r\nSubject: Fwd: My order never came\r\n"
            "Message-ID: <sendgrid-1@example.com>\r\nMIME-Version: 1.0\r\n"
        ),
        "text": (
            "---------- Forwarded message ---------\nFrom: Carla Customer <carla@customer.test>\n"
            "Subject: My order never came\n\nI ordered three weeks ago and nothing came.\n"
        ),
        "html": "",
        "from": "Dana Advocate <dana@example.com>",
        "to": address,
        "subject": "Fwd: My order never came",
        "envelope": json.dumps({"to": [address], "from": "dana@example.com"}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "utf-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
    }


def test_a_sendgrid_inbound_parse_post_with_basic_auth_becomes_a_hot_issue(client, program, address, run_jobs):
    url = reverse("integrations:mail_hook", args=["sendgrid"])
    assert client.post(url, data=sendgrid_data(address), headers={"authorization": WRONG_BASIC}).status_code == 400
    assert not Mail.objects.exists()
    response = client.post(url, data=sendgrid_data(address), headers={"authorization": BASIC})
    assert response.status_code == 200, response.content
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]
    assert_the_forwarded_issue(program)
    assert Mail.objects.get().envelope_sender == "dana@example.com"


def ses_notification(address: str, raw: bytes) -> dict:
    """An SNS notification of an SES receipt rule with an SNS action (the message base64 in "content")."""
    message = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2025-08-01T20:45:32.000Z",
            "source": "dana@example.com",
            "messageId": "jpm1ec7fn5bk1aoh2s2gfgo1iqrld6ggd6ovfco1",
            "destination": [address],
            "commonHeaders": {"from": ["Dana Advocate <dana@example.com>"], "to": [address]},
        },
        "receipt": {
            "recipients": [address],
            "spamVerdict": {"status": "PASS"},
            "action": {"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound", "encoding": "BASE64"},
        },
        "content": base64.b64encode(raw).decode(),
    }
    return {
        "Type": "Notification",
        "MessageId": "8a6b5b69-2a9d-5b2e-9a5b-0d1f2a3b4c5d",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(message),
        "Timestamp": "2025-08-01T20:45:33.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


def test_an_amazon_ses_notification_with_basic_auth_becomes_a_hot_issue(client, program, address, run_jobs):
    url = reverse("integrations:mail_hook", args=["amazon_ses"])
    body = ses_notification(address, forwarded_mail(to=address))
    sns = {"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": body["MessageId"]}
    # SNS first posts without credentials and is asked for them (401); a wrong password is refused.
    assert client.post(url, data=json.dumps(body), content_type="application/json", headers=sns).status_code == 401
    wrong = {**sns, "authorization": WRONG_BASIC}
    assert client.post(url, data=json.dumps(body), content_type="application/json", headers=wrong).status_code == 400
    assert not Mail.objects.exists()
    signed = {**sns, "authorization": BASIC}
    assert client.post(url, data=json.dumps(body), content_type="application/json", headers=signed).status_code == 200
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]
    assert_the_forwarded_issue(program)
    assert Mail.objects.get().via == Mail.Via.AMAZON_SES


def test_a_service_whose_secret_is_not_set_takes_no_post(client, settings, address):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    data = {"recipient": address, "body-mime": forwarded_mail(to=address).decode(), **mailgun_signed(key="")}
    assert client.post(reverse("integrations:mail_hook", args=["mailgun"]), data=data).status_code == 404
    assert client.post(reverse("integrations:mail_hook", args=["unknown"]), data=data).status_code == 404
    assert not Mail.objects.exists()


# ---------------------------------------------------------------- the rules


def receive(raw: bytes, address: str, *, envelope_sender: str | None = "dana@example.com") -> mailin.Received:
    return mailin.receive_mail(raw=raw, recipients=[address], via=Mail.Via.SMTP, envelope_sender=envelope_sender)


def test_the_same_message_id_twice_creates_one_issue_and_processing_twice_does_it_once(program, address, run_jobs):
    first = receive(forwarded_mail(to=address), address)
    assert first.accepted
    again = receive(forwarded_mail(to=address), address)
    assert again.accepted and again.mails[0].outcome == Mail.Outcome.DUPLICATE
    run_jobs()
    assert mailin.process_mail(mail_id=first.mails[0].pk) == Mail.Outcome.ISSUE_CREATED  # run again: nothing new
    assert HotIssue.objects.count() == 1


def test_a_mail_without_a_message_id_is_deduplicated_by_its_content(address, run_jobs):
    receive(forwarded_mail(to=address, message_id=""), address)
    receive(forwarded_mail(to=address, message_id=""), address)
    run_jobs()
    assert HotIssue.objects.count() == 1


@pytest.mark.parametrize(
    ("headers", "envelope_sender"),
    [
        ({"Auto_Submitted": "auto-replied"}, "dana@example.com"),
        ({"X_Autoreply": "yes"}, "dana@example.com"),
        ({"Precedence": "bulk"}, "dana@example.com"),
        ({}, ""),  # a bounce: the null return path
    ],
)
def test_auto_replies_and_bounces_are_recorded_and_create_nothing(address, run_jobs, headers, envelope_sender):
    receive(forwarded_mail(to=address, **headers), address, envelope_sender=envelope_sender)
    assert outcomes(run_jobs) == [Mail.Outcome.AUTOMATIC]
    assert not HotIssue.objects.exists()
    assert "Not from a person" in Mail.objects.get().reason


def test_mail_from_mailer_daemon_is_ignored(address, run_jobs):
    receive(forwarded_mail(to=address, sender="MAILER-DAEMON@mx.example.com"), address)
    assert outcomes(run_jobs) == [Mail.Outcome.AUTOMATIC]


def test_a_mail_over_the_size_limit_is_refused_with_552_and_recorded_without_its_content(settings, address):
    settings.INBOUND_EMAIL_MAX_BYTES = 2000
    raw = forwarded_mail(to=address) + b"x" * 3000
    received = receive(raw, address)
    assert received.smtp.startswith("552")
    mail = Mail.objects.get()
    assert mail.outcome == Mail.Outcome.TOO_LARGE and bytes(mail.raw) == b"" and "larger than the limit" in mail.reason


def test_a_mail_with_fifty_attachments_is_refused_with_a_reason(address, run_jobs):
    message = EmailMessage()
    message["From"] = "dana@example.com"
    message["To"] = address
    message["Subject"] = "Photos"
    message.set_content("Look at these.")
    for n in range(50):
        message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename=f"photo{n}.png")
    receive(message.as_bytes(), address)
    assert outcomes(run_jobs) == [Mail.Outcome.TOO_MANY_ATTACHMENTS]
    assert Mail.objects.get().reason == mailin.TOO_MANY_ATTACHMENTS.format(count=50, limit=20)
    assert not HotIssue.objects.exists()


def test_a_few_attachments_are_not_kept_and_say_so(address, run_jobs):
    message = EmailMessage()
    message["From"] = "carla@customer.test"
    message["Subject"] = "Broken"
    message.set_content("It arrived broken.")
    message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="photo.png")
    receive(message.as_bytes(), address)
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED]
    assert Mail.objects.get().reason == "From carla@customer.test. 1 attachment not kept."


def test_a_mail_with_no_text_is_recorded_with_a_reason(address, run_jobs):
    receive(b"From: carla@customer.test\nSubject: \nMessage-ID: <empty@x>\n\n\n-- \nCarla\n", address)
    assert outcomes(run_jobs) == [Mail.Outcome.NO_TEXT]
    assert Mail.objects.get().reason == mailin.NO_TEXT


def test_more_than_the_hourly_limit_from_one_sender_is_rate_limited(settings, address, run_jobs):
    settings.INBOUND_EMAIL_PER_SENDER_PER_HOUR = 3
    for n in range(5):
        receive(forwarded_mail(to=address, message_id=f"<m{n}@example.com>"), address)
    assert outcomes(run_jobs) == [Mail.Outcome.ISSUE_CREATED] * 3 + [Mail.Outcome.RATE_LIMITED] * 2
    assert HotIssue.objects.count() == 3
    assert "More than 3 mails from dana@example.com" in Mail.objects.filter(outcome="rate_limited").first().reason


def test_an_unknown_plus_tag_is_refused_and_recorded_on_no_program(address):
    received = receive(forwarded_mail(to="advocate+nobody@example.com"), "advocate+nobody@example.com")
    assert received.smtp.startswith("550")
    mail = Mail.objects.get()
    assert mail.mail_in is None and mail.outcome == Mail.Outcome.UNKNOWN_ADDRESS and bytes(mail.raw) == b""
    assert mailin.refusal_for_recipient("someone@elsewhere.test").startswith("550")


def test_the_address_matches_in_any_case_and_only_on_the_mailbox(address):
    assert mailin.tag_of(address.upper()) == address.split("+")[1].split("@")[0]
    assert mailin.tag_of(address.replace("example.com", "example.org")) is None
    assert mailin.tag_of("other+" + address.split("+")[1]) is None


def test_mail_to_a_program_whose_e_mail_in_is_off_is_refused_and_listed(program, manager, address):
    mailin.configure_mail_in(program=program, actor=manager, enabled=False, level=3)
    received = receive(forwarded_mail(to=address), address)
    assert not received.accepted and received.smtp.startswith("550")
    assert Mail.objects.get().outcome == Mail.Outcome.TURNED_OFF
    assert mailin.refusal_for_recipient(address).startswith("550 5.7.1")


def test_a_new_address_refuses_the_old_one(program, manager, address):
    new = mailin.change_address(program=program, actor=manager).address
    assert new != address
    assert receive(forwarded_mail(to=address), address).smtp.startswith("550")
    assert receive(forwarded_mail(to=new), new).accepted


def test_only_a_manager_sets_up_e_mail_in(program, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        mailin.configure_mail_in(program=program, actor=member, enabled=True, level=3)
    assert not MailIn.objects.exists()


# ---------------------------------------------------------------- the page


def test_the_manager_turns_e_mail_in_on_and_sees_the_address_and_every_outcome(client_for, program, manager, run_jobs):
    client = client_for(manager)
    url = reverse("integrations:mail_in", args=[program.slug])
    page = client.get(url)
    assert page.status_code == 200 and b"Turn e-mail in on below" in page.content
    response = client.post(url, {"enabled": "on", "level": "5"})
    assert response.status_code == 302
    mail_in = MailIn.objects.get()
    assert mail_in.enabled and mail_in.level == 5
    receive(forwarded_mail(to=mail_in.address), mail_in.address)
    receive(forwarded_mail(to=mail_in.address, message_id="<auto@x>", Auto_Submitted="auto-replied"), mail_in.address)
    run_jobs()
    page = client.get(url).content.decode()
    assert mail_in.address in page and 'data-copy-target="#mail-address"' in page
    assert "Issue created" in page and "Auto-reply or bounce" in page and "My order never came" in page


def test_a_bad_level_is_refused_with_a_message_and_changes_nothing(client_for, program, manager):
    response = client_for(manager).post(reverse("integrations:mail_in", args=[program.slug]), {"level": "9"})
    assert response.status_code == 400 and not MailIn.objects.exists()


def test_customer_text_from_mail_is_escaped_on_the_mail_page(client_for, program, manager, address, run_jobs):
    evil = "<script>alert('mail')</script>"
    raw = f"From: carla@customer.test\nSubject: {evil}\nMessage-ID: <xss@x>\n\n{evil} words\n".encode()
    receive(raw, address)
    run_jobs()
    page = client_for(manager).get(reverse("integrations:mail_in", args=[program.slug])).content.decode()
    assert evil not in page and "&lt;script&gt;" in page
