"""Account e-mails are rendered in the request, sent by a worker, and forgotten once sent."""

import pytest
from django.core import mail
from django.utils import timezone

from core import mail as queued
from core.models import OutgoingMail

pytestmark = pytest.mark.django_db


def test_a_queued_mail_is_sent_once_and_deleted(run_jobs):
    stored = queued.queue_mail(to="ann@example.com", subject="Reset\nyour password", body="https://x/reset/abc")
    assert OutgoingMail.objects.count() == 1 and not mail.outbox
    assert run_jobs() == [True]
    assert [(m.to, m.subject) for m in mail.outbox] == [(["ann@example.com"], "Reset your password")]
    assert not OutgoingMail.objects.exists()
    assert queued.send_queued_mail(mail_id=stored.pk) is False  # delivered twice: nothing more


def test_a_mail_server_failure_keeps_the_mail_and_the_sweep_sends_it(run_jobs, refusing_mail_server, settings):
    stored = queued.queue_mail(to="ann@example.com", subject="Confirm", body="link")
    [result] = run_jobs()
    assert isinstance(result, Exception)
    stored.refresh_from_db()
    assert stored.attempts == 1 and "ConnectionRefusedError" in stored.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert queued.requeue_unsent_mail(now=timezone.now() + queued.RETRY_AFTER * 2) == 1
    assert run_jobs() == [True]
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_mail_older_than_a_day_is_dropped_by_the_sweep(db):
    stored = queued.queue_mail(to="ann@example.com", subject="Old", body="link")
    assert queued.requeue_unsent_mail(now=stored.created_at + queued.GIVE_UP_AFTER * 2) == 0
    assert not OutgoingMail.objects.exists()
