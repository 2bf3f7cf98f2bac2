"""Faults with the real services: a database connection dropped mid-request, a broker that goes away."""

import socket
import subprocess
import time

import pytest
from django.db import connection
from django.urls import reverse

from advocacy.models import Membership, Program
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_mid_request_leaves_no_partial_write(client, settings):
    """The program row is written, then PostgreSQL kills the connection before the request ends."""
    user = UserFactory()
    client.force_login(user)
    client.raise_request_exception = False

    settings.MEMBERSHIP_CHANGED_PARTICIPANTS = ["tests.hook_participants.drop_connection"]
    try:
        response = client.post(
            reverse("advocacy:program_create"),
            {"name": "Doomed", "slug": "doomed", "term_length": "3", "time_zone": "UTC", "handoff_time": "09:00"},
        )
    finally:
        connection.close()
    assert response.status_code == 500
    assert "Nothing you entered was half-saved" in response.content.decode()
    assert not Program.objects.filter(slug="doomed").exists()
    assert not Membership.objects.filter(user=user).exists()


# ---------------------------------------------------------------- the broker goes away


class PrivateRedis:
    """A redis-server of this test's own on a free port; the shared 6379 is never touched."""

    def __init__(self, directory):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _use_broker(url: str) -> None:
    """Point the Celery app at `url`, dropping its cached connection and producer pools."""
    from config.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_broker(tmp_path):
    from config.celery import app

    redis = PrivateRedis(tmp_path)
    redis.start()
    previous = app.conf.broker_url
    _use_broker(redis.url)
    yield redis
    redis.stop()
    _use_broker(previous)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_breaks_no_page_and_loses_no_work(private_broker, client, caplog):
    """Redis stops; a member logs, works and resolves an issue and imports a file; Redis returns; all is delivered."""
    from celery.contrib.testing.worker import start_worker
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from config.celery import app
    from issues import background, tasks
    from issues.models import HotIssue, ImportJob, Outreach, Status
    from tests.factories import MembershipFactory, ProgramFactory

    program = ProgramFactory(name="Support Desk", slug="support-desk")
    MembershipFactory(program=program, role=Membership.Role.MANAGER, user__first_name="Maria")
    member = MembershipFactory(program=program, user__username="member").user
    client.force_login(member)
    client.raise_request_exception = False

    private_broker.stop()
    response = client.post(
        reverse("issues:create"),
        {
            "program": program.slug,
            "title": "Charged twice",
            "words": "You charged me twice and nobody calls back.",
            "level": "4",
            "source": "phone",
            "customer_name": "Ana",
            "customer_email": "ana@example.com",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    issue = HotIssue.objects.get(title="Charged twice")
    response = client.post(
        reverse("issues:outreach", args=[issue.pk]),
        {"channel": "phone", "outcome": "spoke", "note": "She wants a refund."},
    )
    assert response.status_code == 302
    assert client.get(issue.get_absolute_url()).status_code == 200
    response = client.post(reverse("issues:resolve", args=[issue.pk]), {"resolution": "Refunded in full."})
    assert response.status_code == 302
    upload = SimpleUploadedFile("survey.csv", b"score,comment\n1,Awful\n5,Fine\n", content_type="text/csv")
    response = client.post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(program=program)
    assert client.get(reverse("issues:import_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("issues:log")).status_code == 200

    # Nothing was lost: everything is in the database, and what the broker missed is logged.
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.resolution == "Refunded in full."
    assert Outreach.objects.get(issue=issue).note == "She wants a refund."
    assert issue.satisfaction_asked_at is None and job.state == ImportJob.State.PENDING
    assert caplog.text.count("left for the periodic sweep") == 2
    assert not mail.outbox

    # Redis is back; beat's sweep (run here through the broker and a real worker) delivers it all.
    private_broker.start()
    _use_broker(private_broker.url)
    later = timezone.now() + background.SWEEP_GRACE * 2
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # Within the grace period the sweep waits: queued work might still be on its way.
        assert tasks.resend_pending_work.delay().get(timeout=20) == {"asked": 0, "imports": 0}
        done = background.resend_pending_work(now=later)
        assert done == {"asked": 1, "imports": 1}
        deadline = time.monotonic() + 30
        while ImportJob.objects.get(pk=job.pk).state != ImportJob.State.DONE:
            assert time.monotonic() < deadline, "the re-sent import was not run"
            time.sleep(0.2)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.com"]
    assert issue.get_tracking_url() in mail.outbox[0].body
    assert HotIssue.objects.filter(program=program, title__startswith="Survey").count() == 1
