"""The handoff through a real Celery worker on Redis: once, all or nothing, and through a dead broker."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification, Program
from config.celery import app
from core import outbox
from core.models import OutboxMessage
from rotations import boundaries, services, tasks
from rotations.models import Handoff, Term
from tests import hook_participants
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def due(desk, people):
    """Two terms whose boundaries have passed: the first handoff and the one into ben's term."""
    today = boundaries.local_date(program=desk, at=timezone.now())
    start = boundaries.add_months(today.replace(day=1), -3)
    first = services.create_term(program=desk, start_date=start, advocate=people[0])
    second = services.create_term(program=desk, start_date=first.end_date, advocate=people[1])
    return first, second


@pytest.fixture
def queue():
    """A private queue per test, so no other test's leftover message or consumer gets in the way.

    start_worker(queues=...) narrows the shared app's queue selection; undo that afterwards.
    """
    yield f"rot-test-{uuid.uuid4().hex[:8]}"
    app.amqp.queues._consume_from = None


def test_the_periodic_handoff_delivered_twice_to_concurrent_workers_hands_off_once(due, queue):
    first, second = due
    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, queues=[queue], shutdown_timeout=10
    ):
        results = [app.send_task("rotations.tasks.run_handoffs", queue=queue) for _ in range(4)]
        performed = [r.get(timeout=30) for r in results]
    assert sum(performed) == 2  # the two due handoffs, each exactly once
    assert Handoff.objects.count() == 2
    assert Handoff.objects.filter(incoming_term=second, outgoing_term=first).count() == 1
    assert Notification.objects.filter(kind="handoff_incoming").count() == 2
    assert list(Term.objects.order_by("starts_at").values_list("status", flat=True)) == ["completed", "active"]


def test_a_second_runner_skips_a_program_another_runner_holds(due, settings):
    """SKIP LOCKED: while one runner is inside a program's handoff, another finds nothing to do."""
    hook_participants.reset()
    settings.HANDOFF_PARTICIPANTS = [*settings.HANDOFF_PARTICIPANTS, "tests.hook_participants.slow"]
    counts = {}

    def runner(name):
        try:
            counts[name] = services.run_due_handoffs()
        finally:
            connection.close()

    try:
        a = threading.Thread(target=runner, args=("a",))
        a.start()
        assert hook_participants.INSIDE.wait(10)
        b = threading.Thread(target=runner, args=("b",))
        b.start()
        b.join(10)
        hook_participants.RELEASE.set()
        a.join(10)
    finally:
        hook_participants.RELEASE.set()
    assert counts == {"a": 2, "b": 0}
    assert Handoff.objects.count() == 2


def test_a_worker_killed_in_the_middle_leaves_nothing_half_done(due, queue, tmp_path, desk):
    first, second = due
    marker = tmp_path / "inside"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": _url_for_test_db(),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("slow_worker.py")), str(marker), queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        app.send_task("rotations.tasks.run_handoffs", queue=queue)
        assert wait_for(marker.exists, timeout=60), "the worker never reached the handoff"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    first.refresh_from_db()
    second.refresh_from_db()
    desk.refresh_from_db()
    assert (first.status, second.status) == (Term.Status.PLANNED, Term.Status.PLANNED)
    assert not Handoff.objects.exists() and desk.description != "half-done handoff"
    # The next run does the whole handoff, once.
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        assert app.send_task("rotations.tasks.run_handoffs", queue=queue).get(timeout=30) == 2
    assert Handoff.objects.count() == 2


def _url_for_test_db() -> str:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


# ------------------------------------------------------------------ the outbox


def test_jobs_queued_while_the_broker_is_down_are_kept_and_sent_when_it_is_back(
    private_broker, client, desk, people, boss
):
    redis = private_broker
    today = boundaries.local_date(program=desk, at=timezone.now())
    term = services.create_term(
        program=desk, start_date=today + timedelta(days=10), end_date=today + timedelta(days=40)
    )
    redis.stop()

    client.force_login(boss)
    started = time.monotonic()
    response = client.post(
        reverse("rotations:term_edit", kwargs={"slug": desk.slug, "pk": term.pk}), {"advocate": people[2].pk}
    )
    assert response.status_code == 302, "the web request must succeed with the broker down"
    assert time.monotonic() - started < 10
    pending = OutboxMessage.objects.get(sent_at__isnull=True, task_name="rotations.tasks.send_program_reminders")
    assert pending.attempts == 1 and pending.last_error
    assert not Notification.objects.filter(kind="term_starting").exists()

    redis.start()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        outbox.flush_outbox()  # the worker may already have flushed on start
        assert wait_for(lambda: Notification.objects.filter(user=people[2], kind="term_starting").exists(), 30)
    pending.refresh_from_db()
    assert pending.sent_at is not None
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert Notification.objects.filter(kind="term_starting").count() == 1


def test_tasks_are_registered_with_the_app():
    for name in ("run_handoffs", "handoff_program", "send_reminders", "send_program_reminders"):
        assert f"rotations.tasks.{name}" in app.tasks
    assert tasks.send_program_reminders.run(program_id=-1) == 0
    assert Program.objects.count() >= 0
