"""Faults with the real services: a database connection dropped mid-request, a broker that goes away."""

import time

import pytest
from django.db import connection
from django.urls import reverse

from advocacy.models import Membership, Program
from tests.factories import UserFactory, root_cause_for


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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_breaks_no_page_and_loses_no_work(private_broker, client, worker_queues):
    """Redis stops; a member logs, works and resolves an issue and imports a file; Redis returns; all is delivered."""
    from celery.contrib.testing.worker import start_worker
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile

    from config.celery import app
    from core import outbox
    from core.models import OutboxMessage
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
    cause = root_cause_for(program)
    response = client.post(
        reverse("issues:resolve", args=[issue.pk]),
        {"resolution": "Refunded in full.", "root_cause": cause.pk, "lasting_fix_needed": "no"},
    )
    assert response.status_code == 302
    upload = SimpleUploadedFile("survey.csv", b"score,comment\n1,Awful\n5,Fine\n", content_type="text/csv")
    response = client.post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(program=program)
    assert client.get(reverse("issues:import_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("issues:log")).status_code == 200

    # Nothing was lost: everything is in the database, and what the broker missed waits in the outbox.
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.resolution == "Refunded in full."
    assert Outreach.objects.get(issue=issue).note == "She wants a refund."
    assert issue.satisfaction_asked_at is None and job.state == ImportJob.State.PENDING
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert {("issues.tasks.ask_satisfaction", (issue.pk,)), ("issues.tasks.run_import", (job.pk,))} <= {
        (m.task_name, tuple(m.args)) for m in pending
    }
    assert all(m.attempts == 1 and m.last_error for m in pending)
    assert not mail.outbox

    # Redis is back; the flush (beat's, or the worker's on start) sends it all to a real worker.
    private_broker.start()
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        outbox.flush_outbox()
        deadline = time.monotonic() + 30
        while ImportJob.objects.get(pk=job.pk).state != ImportJob.State.DONE or not mail.outbox:
            assert time.monotonic() < deadline, "the kept jobs were not run"
            time.sleep(0.2)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    asked = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert len(asked) == 1 and issue.get_tracking_url() in asked[0].body
    assert HotIssue.objects.filter(program=program, title="Awful").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_brokers_data_flushed_mid_import_loses_no_import(private_broker, client, worker_queues):
    """Redis loses every key (FLUSHDB, as a restart without persistence does) while a worker runs one import
    and a second waits in the queue: the running one finishes, the lost one is sent again by the sweep,
    and each ends done with every row imported once."""
    from datetime import timedelta

    import redis
    from celery.contrib.testing.worker import start_worker
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from advocacy import notifications
    from advocacy.models import Notification
    from config.celery import app
    from core.models import OutboxMessage
    from issues import importing
    from issues.models import HotIssue, ImportJob
    from tests.factories import MembershipFactory, ProgramFactory

    program = ProgramFactory(name="Support Desk", slug="support-desk")
    manager = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__email="lead@example.com").user
    client.force_login(manager)
    sizes = {"big.csv": 4000, "small.csv": 30}
    for name, rows in sizes.items():
        lines = "".join(f"{1 + i % 5},Comment {i} of {name},Person {i}\n" for i in range(rows))
        upload = SimpleUploadedFile(name, f"score,comment,name\n{lines}".encode(), content_type="text/csv")
        response = client.post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": upload})
        assert response.status_code == 302
    big, small = (ImportJob.objects.get(filename=name) for name in sizes)
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()  # both are in Redis now

    def state(job):
        return ImportJob.objects.filter(pk=job.pk).values_list("state", "processed_rows").get()

    def wait(check, what, timeout=60):
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, what
            time.sleep(0.02)

    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        # One job at a time: the big one is under way, the small one waits in the queue.
        wait(lambda: state(big)[1] > 0, "the worker never got into the big import")
        assert state(small)[0] == ImportJob.State.PENDING
        redis.Redis.from_url(private_broker.url).flushdb()  # this test's own redis-server, never a shared one

        wait(lambda: state(big)[0] != ImportJob.State.RUNNING, "the running import did not finish")
        assert state(big)[0] == ImportJob.State.DONE
        time.sleep(1)
        assert state(small)[0] == ImportJob.State.PENDING  # its message went with the flush

        # The sweep, once the job has waited too long, sends it again; the notices' e-mails too.
        later = timezone.now() + importing.STUCK_AFTER + timedelta(minutes=1)
        assert importing.requeue_stuck_imports(now=later) == {"requeued": 1, "failed": 0}
        wait(lambda: state(small)[0] == ImportJob.State.DONE, "the lost import was not run again")
        notifications.requeue_unsent_emails(now=later)
        wanted = Notification.objects.filter(wants_email=True)
        wait(lambda: not wanted.filter(emailed_at__isnull=True).exists(), "a notice's e-mail was lost")

    for job in (big, small):
        job.refresh_from_db()
        assert (job.state, job.processed_rows) == (ImportJob.State.DONE, sizes[job.filename])
        assert job.created_issues == sizes[job.filename] * 2 // 5
        assert HotIssue.objects.filter(words__endswith=f"of {job.filename}").count() == job.created_issues
    # Each import's notice to its owner reached them once.
    assert [m.to for m in mail.outbox] == [["lead@example.com"]] * wanted.count()
    assert wanted.count() == 2


# ---------------------------------------------------------------- a worker killed mid-poll

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>
<item><guid>m-1</guid><title>Acme never calls back</title><link>https://forum.example/1</link></item>
<item><guid>m-2</guid><title>Acme charged me twice</title><link>https://forum.example/2</link></item>
</channel></rss>"""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_poll_leaves_nothing_and_the_next_poll_stores_each_mention_once(tmp_path):
    """A real worker process is killed while a slow feed is half sent; the next periodic poll does the work once."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from config.celery import app
    from issues import feeds
    from issues.models import Mention, MentionFeed
    from tests.factories import ProgramFactory
    from tests.issues.test_importing import ROOT, _url_for_test_db

    half_sent, release = threading.Event(), threading.Event()

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(FEED)))
            self.end_headers()
            if self.path == "/slow.xml" and not release.is_set():
                self.wfile.write(FEED[:100])
                self.wfile.flush()
                half_sent.set()
                release.wait(30)
                return
            self.wfile.write(FEED)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = MentionFeed.objects.create(
        program=ProgramFactory(), name="Forum", url=f"http://127.0.0.1:{server.server_address[1]}/slow.xml"
    )
    queue = f"poll-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "TEST_DATABASE_URL": _url_for_test_db()}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
    command += ["--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        app.send_task("issues.tasks.poll_mention_feed", args=[feed.pk], queue=queue)
        assert half_sent.wait(90), "the worker never started the poll"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        release.set()
    try:
        # Nothing half-stored, the feed not marked polled.
        assert not Mention.objects.exists()
        feed.refresh_from_db()
        assert (feed.last_polled_at, feed.failures, feed.etag) == (None, 0, "")
        # The next periodic poll (every 15 minutes) does the work, once however often it runs.
        assert sum(result.new for result in feeds.poll_all()) == 2
        assert sum(result.new for result in feeds.poll_all()) == 0
        assert sorted(Mention.objects.values_list("entry_id", flat=True)) == ["m-1", "m-2"]
    finally:
        server.shutdown()
        server.server_close()
