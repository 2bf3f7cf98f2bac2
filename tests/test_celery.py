"""Celery is wired in both modes: Redis (tests, production) and the embedded broker (make run)."""

import ast
import inspect
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.mark.worker
def test_a_real_worker_on_redis_runs_a_task():
    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert app.send_task("baton.ping").get(timeout=10) == "pong"


@pytest.mark.worker
def test_worker_and_beat_run_on_the_embedded_broker_with_no_services(tmp_path):
    """What `make run` starts: SQLite, the filesystem broker, a worker and beat."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_FILESYSTEM_BROKER_DIR": str(tmp_path / "broker"),
        "CELERY_RESULT_BACKEND": f"file://{tmp_path / 'results'}",
    }
    (tmp_path / "results").mkdir()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    worker = subprocess.Popen(
        [CELERY, "-A", "config", "worker", "--pool=solo", "--without-gossip", "--without-mingle", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    beat_log = tmp_path / "beat.log"
    beat = subprocess.Popen(
        [CELERY, "-A", "config", "beat", "-l", "INFO", "-s", str(tmp_path / "beat-schedule"), "-f", str(beat_log)],
        cwd=ROOT,
        env=env,
    )
    try:
        answer = subprocess.run(
            [sys.executable, "-c", "from config.celery import app; print(app.send_task('baton.ping').get(timeout=60))"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert answer.stdout.strip() == "pong", answer.stderr
        deadline = time.monotonic() + 30
        while "beat: Starting" not in (beat_log.read_text() if beat_log.exists() else ""):
            assert beat.poll() is None, "beat exited"
            assert time.monotonic() < deadline, "beat did not start"
            time.sleep(0.5)
        time.sleep(2)
        assert beat.poll() is None, "beat stopped after starting"
        assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
        # Beat wrote every job of the schedule into the shared SQLite file (a lock it could not
        # wait for once left some out, and their jobs never ran).
        assert "Cannot add entry" not in beat_log.read_text()
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            saved = {name for (name,) in db.execute("SELECT name FROM django_celery_beat_periodictask")}
        assert set(app.conf.beat_schedule) <= saved
    finally:
        for process in (worker, beat):
            process.terminate()
            process.wait(timeout=20)


# Tasks whose names predate the module convention and are kept because clients call them by name.
NAMED_APART = {"baton.ping": "config.celery.ping"}


def _our_tasks() -> dict:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def _decorator_names(function) -> list[str | None]:
    """The name= given in each decorator call of `function`, read from its source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    names = []
    for decorator in tree.body[0].decorator_list:
        keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
        names.append(next((k.value.value for k in keywords if k.arg == "name"), None))
    return names


def test_every_task_has_an_explicit_name_after_its_module_path():
    tasks = _our_tasks()
    assert "core.tasks.flush_outbox" in tasks and "issues.tasks.run_import" in tasks
    for name, task in tasks.items():
        assert name in _decorator_names(task.run), f"{name}: give the task an explicit name="
        where = f"{task.run.__module__}.{task.run.__name__}"
        assert NAMED_APART.get(name, name) == where, f"{name} is defined as {where}"


def test_routes_and_beat_entries_name_registered_tasks_and_every_task_is_routed():
    tasks = _our_tasks()
    assert set(settings.CELERY_TASK_ROUTES) == set(tasks)
    for entry, schedule in settings.CELERY_BEAT_SCHEDULE.items():
        assert schedule["task"] in tasks, f"beat entry {entry} names an unknown task"
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert queues == {app.conf.task_default_queue, "io"}
    for procfile in ("Procfile", "Procfile.dev"):
        consumed = set()
        for line in (ROOT / procfile).read_text().splitlines():
            words = line.split()
            if "worker" in words:
                assert "-Q" in words, f"{procfile}: give each worker its queues"
                consumed |= set(words[words.index("-Q") + 1].split(","))
        assert consumed == queues, f"{procfile}: a queue no worker consumes, or a worker of no queue"


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_slow_work_waits_on_its_own_queue_and_handoffs_and_reminders_never_behind_it():
    for task in (
        "issues.tasks.poll_mention_feeds",
        "issues.tasks.poll_mention_feed",
        "issues.tasks.run_import",
        "advocacy.tasks.send_notification_email",
        "issues.tasks.ask_satisfaction",
    ):
        assert _queue_of(task) == "io", task
    for task in (
        "rotations.tasks.run_handoffs",
        "rotations.tasks.handoff_program",
        "rotations.tasks.send_reminders",
        "rotations.tasks.send_program_reminders",
        "core.tasks.flush_outbox",
        "core.tasks.heartbeat",
    ):
        assert _queue_of(task) == app.conf.task_default_queue, task
