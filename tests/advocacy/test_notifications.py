"""Notification e-mails: queued after commit, swept when the broker or mail server was down, sent once."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse

from advocacy import notifications
from advocacy.models import Notification
from advocacy.notifications import deliver_email, notify, send_pending_emails
from config.celery import app
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_notice_without_e_mail_is_never_mailed(member):
    note = notify(user=member, kind="t", title="In-app only", dedupe_key="k", email=False)
    assert not note.wants_email
    assert send_pending_emails() == 0 and not mail.outbox


@pytest.mark.django_db
def test_a_person_without_an_address_gets_the_in_app_notice_only():
    user = UserFactory(email="")
    assert notify(user=user, kind="t", title="Hi", dedupe_key="k").wants_email is False


@pytest.mark.django_db
def test_a_broker_outage_does_not_break_the_action_and_the_sweep_sends_it_later(
    client_for, program, manager, member, django_capture_on_commit_callbacks
):
    """The broker refuses the job after commit: the notice stays, unsent, and the sweep mails it."""
    with (
        mock.patch.object(notifications, "_queue_email", wraps=notifications._queue_email) as queued,
        mock.patch(
            "advocacy.tasks.send_notification_email.apply_async", side_effect=ConnectionRefusedError("broker down")
        ),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            note = notify(user=member, kind="t", title="Your term starts in 3 days", dedupe_key="k")
    assert queued.called
    assert Notification.objects.get(pk=note.pk).emailed_at is None
    assert send_pending_emails() == 1
    assert mail.outbox[0].subject == "Your term starts in 3 days"


@pytest.mark.django_db
def test_a_mail_server_failure_leaves_the_e_mail_pending(member):
    note = notify(user=member, kind="t", title="Hello", dedupe_key="k")
    with mock.patch("advocacy.notifications.send_mail", side_effect=OSError("SMTP down")):
        assert send_pending_emails() == 0
    assert Notification.objects.get(pk=note.pk).emailed_at is None
    assert send_pending_emails() == 1 and send_pending_emails() == 0


@pytest.mark.django_db
def test_old_unsent_e_mails_are_given_up(member):
    note = notify(user=member, kind="t", title="Stale", dedupe_key="k")
    Notification.objects.filter(pk=note.pk).update(created_at=note.created_at - timedelta(days=4))
    assert send_pending_emails() == 0


@pytest.mark.django_db
def test_delivering_the_same_notification_twice_sends_one_e_mail(member):
    note = notify(user=member, kind="t", title="Once", dedupe_key="k")
    assert deliver_email(notification_id=note.pk) is True
    assert deliver_email(notification_id=note.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_e_mail_queued_after_commit(client_for, program, manager):
    """A notice queued on commit is e-mailed by a worker consuming from Redis."""
    app.control.purge()  # jobs other tests queued without a worker
    newcomer = UserFactory(username="newcomer")
    note = notify(user=newcomer, kind="t", title="Welcome to Support Desk", dedupe_key="welcome", url=reverse("home"))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for _ in range(50):
            if Notification.objects.get(pk=note.pk).emailed_at:
                break
            time.sleep(0.1)
    assert Notification.objects.get(pk=note.pk).emailed_at is not None
