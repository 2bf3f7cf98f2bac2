"""Baton's SMTP receiver, started on localhost and sent to with smtplib (on PostgreSQL, committed data)."""

import os
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connection

from integrations import mailin, smtp
from integrations.models import Mail
from issues.models import HotIssue, Source

pytestmark = pytest.mark.django_db(transaction=True)

# Each test process its own ports (gw0, gw1, ...), so two processes never bind the same one.
PORT = 9141 + 5 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


@pytest.fixture
def receiver():
    server = smtp.start(host="127.0.0.1", port=PORT)
    yield server
    server.stop()


@pytest.fixture
def address(program, manager) -> str:
    return mailin.configure_mail_in(program=program, actor=manager, enabled=True, level=3).address


def forwarded(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Dana Advocate <dana@example.com>"
    message["To"] = to
    message["Subject"] = "Fwd: Nobody called back"
    message["Message-ID"] = "<smtp-1@example.com>"
    message.set_content(
        "Begin forwarded message:\n\nFrom: Carla Customer <carla@customer.test>\nSubject: Nobody called back\n\n"
        "I was promised a call on Monday.\n\nSent from my iPhone\n"
    )
    return message


def test_a_mail_sent_by_smtp_is_stored_queued_and_becomes_one_hot_issue(receiver, program, address):
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as client:
        refused = client.send_message(forwarded(address), from_addr="dana@example.com", to_addrs=[address])
        assert refused == {}
        client.send_message(forwarded(address), from_addr="dana@example.com", to_addrs=[address])  # sent again
    mails = list(Mail.objects.order_by("pk"))
    assert [m.outcome for m in mails] == [Mail.Outcome.RECEIVED, Mail.Outcome.DUPLICATE]
    assert mails[0].via == Mail.Via.SMTP and mails[0].envelope_sender == "dana@example.com"
    assert mailin.process_mail(mail_id=mails[0].pk) == Mail.Outcome.ISSUE_CREATED  # as the worker does
    issue = HotIssue.objects.get()
    assert issue.source == Source.EMAIL and issue.customer.email == "carla@customer.test"
    assert issue.words == "I was promised a call on Monday." and issue.title == "Nobody called back"


def test_an_unknown_plus_tag_is_refused_at_rcpt_with_550(receiver, address):
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(forwarded("advocate+nobody@example.com"), to_addrs=["advocate+nobody@example.com"])
    code, text = refused.value.recipients["advocate+nobody@example.com"]
    assert code == 550 and b"No program" in text
    assert Mail.objects.get().outcome == Mail.Outcome.UNKNOWN_ADDRESS


def test_a_bounce_with_the_null_return_path_is_accepted_and_ignored(receiver, address):
    with smtplib.SMTP("127.0.0.1", PORT, timeout=10) as client:
        client.send_message(forwarded(address), from_addr="<>", to_addrs=[address])
    mail = Mail.objects.get()
    assert mail.envelope_sender == "<>" or mail.envelope_sender == ""
    assert mailin.process_mail(mail_id=mail.pk) == Mail.Outcome.AUTOMATIC


def test_a_mail_over_the_size_limit_is_refused_with_552_and_recorded(settings, program, address):
    settings.INBOUND_EMAIL_MAX_BYTES = 4000
    server = smtp.start(host="127.0.0.1", port=PORT + 1)
    try:
        message = forwarded(address)
        message.add_attachment(b"x" * 10_000, maintype="application", subtype="octet-stream", filename="big.bin")
        with smtplib.SMTP("127.0.0.1", PORT + 1, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("size") and client.esmtp_features["size"] == "4000"
            client.mail("dana@example.com")
            client.rcpt(address)
            code, text = client.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        assert code == 552 and b"too big" in text
    finally:
        server.stop()
    mail = Mail.objects.get()
    assert mail.outcome == Mail.Outcome.TOO_LARGE and mail.mail_in.program == program and bytes(mail.raw) == b""


def test_manage_py_receive_mail_runs_the_receiver_as_a_process_of_its_own(address):
    """The Procfile's `mail` line: the command serves until SIGTERM, on the test database."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "TEST_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "receive_mail", "--port", str(PORT + 2)],
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = []
        while len(started) < 5 and not any("Receiving mail on 127.0.0.1" in line for line in started):
            started.append(process.stdout.readline())  # the command's first line, after any warnings
        assert "Receiving mail on 127.0.0.1" in started[-1], started
        with smtplib.SMTP("127.0.0.1", PORT + 2, timeout=10) as client:
            assert client.send_message(forwarded(address), from_addr="dana@example.com", to_addrs=[address]) == {}
        assert Mail.objects.get().outcome == Mail.Outcome.RECEIVED
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0 and "Stopped." in output
