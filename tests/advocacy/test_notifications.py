"""Notification e-mails: a job recorded with the notice, queued again after a mail-server failure, sent once."""

import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from advocacy.notifications import (
    EMAIL_FAILED_KIND,
    EMAIL_MAX_ATTEMPTS,
    EMAIL_RETRY_AFTER,
    SEND_EMAIL_TASK,
    deliver_email,
    notify,
    requeue_unsent_emails,
)
from config.celery import app
from core.models import OutboxMessage
from tests.factories import MembershipFactory, ProgramFactory, UserFactory


@pytest.mark.django_db
def test_a_notice_without_e_mail_is_never_mailed(member):
    note = notify(user=member, kind="t", title="In-app only", dedupe_key="k", email=False)
    assert not note.wants_email
    assert not OutboxMessage.objects.exists()
    assert requeue_unsent_emails(now=timezone.now() + EMAIL_RETRY_AFTER * 2) == 0 and not mail.outbox


@pytest.mark.django_db
def test_a_person_without_an_address_gets_the_in_app_notice_only():
    user = UserFactory(email="")
    assert notify(user=user, kind="t", title="Hi", dedupe_key="k").wants_email is False


@pytest.mark.django_db
def test_the_e_mail_is_a_job_recorded_with_the_notice(member, run_jobs):
    note = notify(user=member, kind="t", title="Your term starts in 3 days", dedupe_key="k")
    job = OutboxMessage.objects.get()
    assert (job.task_name, job.args, job.sent_at) == (SEND_EMAIL_TASK, [note.pk], None)
    assert run_jobs() == [True]
    assert mail.outbox[0].subject == "Your term starts in 3 days"
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


@pytest.mark.django_db
def test_a_mail_server_failure_leaves_the_e_mail_pending_and_the_sweep_queues_it_again(member, run_jobs):
    note = notify(user=member, kind="t", title="Hello", dedupe_key="k")
    with mock.patch("advocacy.notifications.send_mail", side_effect=OSError("SMTP down")):
        [failure] = run_jobs()
    assert isinstance(failure, OSError)
    assert Notification.objects.get(pk=note.pk).emailed_at is None
    # Just queued: the sweep leaves it; a few minutes later it queues it again, once.
    assert requeue_unsent_emails() == 0
    later = timezone.now() + EMAIL_RETRY_AFTER * 2
    assert requeue_unsent_emails(now=later) == 1
    assert requeue_unsent_emails(now=later) == 0  # waiting in the outbox
    assert run_jobs() == [True] and len(mail.outbox) == 1
    assert requeue_unsent_emails(now=later + EMAIL_RETRY_AFTER * 2) == 0


@pytest.mark.django_db
def test_an_e_mail_the_mail_server_keeps_refusing_is_given_up_and_the_admins_are_told_once(
    member, superuser, run_jobs, refusing_mail_server
):
    note = notify(user=member, kind="t", title="Your term starts soon", dedupe_key="k")
    later = timezone.now()
    for _ in range(EMAIL_MAX_ATTEMPTS + 3):
        later += EMAIL_RETRY_AFTER * 2
        requeue_unsent_emails(now=later)
        for result in run_jobs():
            assert isinstance(result, ConnectionRefusedError)
    note.refresh_from_db()
    assert note.emailed_at is None and note.email_attempts == EMAIL_MAX_ATTEMPTS
    assert "ConnectionRefusedError" in note.email_error
    assert requeue_unsent_emails(now=later + EMAIL_RETRY_AFTER * 2) == 0
    assert deliver_email(notification_id=note.pk) is False  # a stray job does not try again
    [notice] = Notification.objects.filter(user=superuser)
    assert notice.kind == EMAIL_FAILED_KIND and not notice.wants_email
    assert f"#{note.pk}" in notice.body and member.email not in notice.body + notice.title
    assert not Notification.objects.filter(user=member, kind=EMAIL_FAILED_KIND).exists()


@pytest.mark.django_db
def test_old_unsent_e_mails_are_given_up(member):
    note = notify(user=member, kind="t", title="Stale", dedupe_key="k")
    OutboxMessage.objects.all().delete()  # sent and forgotten long ago
    Notification.objects.filter(pk=note.pk).update(created_at=note.created_at - timedelta(days=4))
    assert requeue_unsent_emails() == 0
    Notification.objects.filter(pk=note.pk).update(created_at=note.created_at - timedelta(days=2))
    assert requeue_unsent_emails() == 1


@pytest.mark.django_db
def test_delivering_the_same_notification_twice_sends_one_e_mail(member):
    note = notify(user=member, kind="t", title="Once", dedupe_key="k")
    assert deliver_email(notification_id=note.pk) is True
    assert deliver_email(notification_id=note.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_e_mail_queued_after_commit(client_for, program, manager, worker_queues):
    """A notice queued on commit is e-mailed by a worker consuming from Redis."""
    app.control.purge()  # jobs other tests queued without a worker
    newcomer = UserFactory(username="newcomer")
    note = notify(user=newcomer, kind="t", title="Welcome to Support Desk", dedupe_key="welcome", url=reverse("home"))
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        for _ in range(50):
            if Notification.objects.get(pk=note.pk).emailed_at:
                break
            time.sleep(0.1)
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


@pytest.mark.django_db
def test_the_notifications_page_shows_each_notice_in_its_programs_zone(client_for):
    berlin = ProgramFactory(name="Berlin desk", slug="berlin", time_zone="Europe/Berlin")
    new_york = ProgramFactory(name="New York desk", slug="new-york", time_zone="America/New_York")
    person = MembershipFactory(program=berlin).user
    MembershipFactory(program=new_york, user=person)
    at = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    for program in (berlin, new_york):
        notify(user=person, kind="x", title=f"From {program.name}", dedupe_key=f"zone-{program.pk}", program=program)
    Notification.objects.update(created_at=at)
    body = client_for(person).get(reverse("advocacy:my_notifications")).content.decode()
    assert "2 Dec 2026, 15:00" in body  # Berlin, UTC+1
    assert "2 Dec 2026, 09:00" in body  # New York, UTC-5
    assert " ago</time>" not in body  # the moment, not only "2 hours ago"
