"""CSV import: every job ends done or failed, malformed files are refused by row, and the bulk write is exact."""

import io
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership
from config.celery import app
from issues import importing, services
from issues.models import Customer, HotIssue, ImportJob, IssueEvent, Source
from tests.factories import MembershipFactory, ProgramFactory
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
HistoricalHotIssue = HotIssue.history.model


def written() -> tuple[int, int, int, int]:
    """What an import writes: issues, their customers, timeline events and history rows."""
    return (
        HotIssue.objects.count(),
        Customer.objects.count(),
        IssueEvent.objects.count(),
        HistoricalHotIssue.objects.count(),
    )


@pytest.fixture
def make_job(program, manager):
    def make(content: str, kind=ImportJob.Kind.SURVEY, **fields) -> ImportJob:
        return ImportJob.objects.create(program=program, kind=kind, content=content, created_by=manager, **fields)

    return make


def run(job: ImportJob) -> ImportJob:
    importing.run_import_job(job_id=job.pk)
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------ malformed files


MALFORMED = {
    "extra cells in a row": (
        "score,comment\n1,Fine\n2,Rude, and slow\n",
        3,
        "this row has 3 cells but the header names 2 columns",
    ),
    "a cell over the csv field limit": ("score,comment\n1,Fine\n2," + "x" * 140_000 + "\n", 3, importing.CELL_TOO_LONG),
    "an unclosed quote running to the end": (
        'score,comment\n1,Fine\n2,"Rude\n3,Slow\n4,Late\n1,Cold\n',
        3,
        "a quote is not closed, so rows 3-6 would run together",
    ),
    "an unclosed quote closed by a later row": (
        'score,comment\n1,Fine\n2,"Rude\n3,Slow\n4,"\n1,Cold\n',
        3,
        "a quote is not closed, so rows 3-5 would run together",
    ),
    "an unclosed quote stopped by a later quoted cell": (
        'score,comment\n1,Fine\n2,"Rude\n3,Slow\n4,"Late" again\n',
        3,
        "a quote is not closed, so rows 3-5 would run together",
    ),
    "an unclosed quote swallowing more than the csv field limit": (
        'score,comment\n1,Fine\n2,"Rude\n' + "3,Slow service again and again\n" * 5000,
        3,
        "a quote is not closed, so rows 3-",
    ),
    "a stray quote inside a quoted cell": ('score,comment\n1,"He said "hi" and left"\n', 2, importing.STRAY_QUOTE),
    "a duplicate header": (
        "score,comment,name,date,comment\n1,Rude,Ana,,Again\n",
        1,
        "The header has “comment” twice (columns 2 and 5).",
    ),
    "a file that is control characters": ("".join(chr(c) for c in range(1, 32)) * 50, 0, importing.NOT_TEXT),
    "an empty file": ("", 0, "The file needs the columns: score, comment. It has: nothing."),
    "a header only": ("score,comment\n", 0, importing.EMPTY_FILE),
}


@pytest.mark.parametrize("content, row, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_fails_with_its_row_and_creates_nothing(make_job, content, row, message):
    before = written()
    job = run(make_job(content))
    assert job.state == ImportJob.State.FAILED, job.errors
    assert job.errors[0]["row"] == row
    assert message in job.errors[0]["message"]
    assert job.finished_at is not None and job.created_issues == 0
    assert written() == before


def test_every_bad_row_is_listed_with_its_spreadsheet_row_number(make_job):
    # A blank line is a row in a spreadsheet, and a quoted comment over two lines is one row.
    content = 'score,comment\n1,"Two\nlines"\n\n9,Bad score\n2,Fine,extra\n'
    job = run(make_job(content))
    assert job.state == ImportJob.State.FAILED
    assert [e["row"] for e in job.errors] == [4, 5]
    assert importing.BAD_SCORE in job.errors[0]["message"]
    assert "3 cells" in job.errors[1]["message"]


WELL_FORMED = {
    "CR-only line ends": "score,comment\r1,Rude\r5,Lovely\r2,Slow\r",
    "CRLF line ends": "score,comment\r\n1,Rude\r\n5,Lovely\r\n2,Slow\r\n",
    "a comment over several lines, with commas": 'score,comment\n1,"Rude,\nthen slow, very slow"\n5,Lovely\n2,Slow',
    "trailing empty cells": "score,comment\n1,Rude,,\n5,Lovely,\n2,Slow\n",
    "a byte-order mark": "\ufeffscore,comment\n1,Rude\n5,Lovely\n2,Slow\n",
}


@pytest.mark.parametrize("content", WELL_FORMED.values(), ids=WELL_FORMED.keys())
def test_a_well_formed_file_is_read_right(make_job, content):
    job = run(make_job(content))
    assert (job.state, job.errors, job.total_rows, job.created_issues) == (ImportJob.State.DONE, [], 3, 2)
    assert HotIssue.objects.filter(words__startswith="Rude").count() == 1


# ------------------------------------------------------------------ the upload


def upload(client, program, data: bytes):
    file = io.BytesIO(data)
    file.name = "results.csv"
    return client.post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": file})


@pytest.mark.parametrize(
    "data, message",
    [
        (bytes(range(256)) * 40, importing.NOT_TEXT),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), importing.NOT_TEXT),
        (b"score,comment\n1,Rude\n2,Sl\x00ow\n", "Line 3 holds a NUL byte"),
        (b"score,comment\r1,Rude\r2,Sl\x00ow\r", "Line 3 holds a NUL byte"),
    ],
    ids=["binary", "an image", "a NUL byte in a cell", "a NUL byte in a file with CR line ends"],
)
def test_an_upload_that_is_not_text_is_refused_before_any_job(client_for, member, program, data, message):
    response = upload(client_for(member), program, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"], ids=lambda e: f"{e} file"
)
def test_an_upload_in_another_text_encoding_is_read(client_for, member, program, encoding):
    data = "score,comment\n1,Café froid très lent\n5,Lovely\n".encode(encoding)
    response = upload(client_for(member), program, data)
    assert response.status_code == 302
    assert ImportJob.objects.get().content == "score,comment\n1,Café froid très lent\n5,Lovely\n"


# ------------------------------------------------------------------ the write


def test_one_imported_row_writes_exactly_what_create_issue_writes(make_job, program, manager):
    row = {
        "score": "1",
        "comment": "  Rude staff and a dirty store  ",
        "date": "2026-03-01",
        "name": "Ana Lopez",
        "email": "ana@example.com",
        "phone": "+49 30 1234",
        "company": "Lopez GmbH",
        "location": "Main St",
    }
    content = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
    job = run(make_job(content, kind=ImportJob.Kind.MYSTERY_SHOP))
    assert job.state == ImportJob.State.DONE and job.created_issues == 1
    imported = HotIssue.objects.get()
    clean, _ = importing.check_row(
        dict(zip(row, (v.strip() for v in row.values()), strict=True)), program_tz=program.zone
    )
    direct = services.create_issue(
        program=program,
        actor=manager,
        title="Main St: Rude staff and a dirty store",
        words=clean["comment"],
        level=importing.level_for(1),
        source=Source.MYSTERY_SHOP,
        customer_name=row["name"],
        customer_email=row["email"],
        customer_phone=row["phone"],
        customer_company=row["company"],
        created_at=imported.created_at,  # the moment the import ran
        occurred_at=clean["date"],
    )

    def stored(model, pk, *ignore):
        values = model.objects.filter(pk=pk).values().get()
        return {k: v for k, v in values.items() if k not in ("id", *ignore)}

    assert stored(HotIssue, imported.pk, "customer_id", "tracking_token", "is_repeat") == stored(
        HotIssue, direct.pk, "customer_id", "tracking_token", "is_repeat"
    )
    assert stored(HotIssue, imported.pk)["search_vector"]  # indexed for search, as create_issue does
    # The same person: the second issue joins the first one's customer, and is a repeat.
    assert direct.customer_id == imported.customer_id and Customer.objects.count() == 1
    assert (imported.is_repeat, direct.is_repeat) == (False, True)
    events = [list(issue.events.values("kind", "actor", "at", "summary", "detail")) for issue in (imported, direct)]
    assert events[0] == events[1] and len(events[0]) == 1

    def history(issue):
        rows = list(issue.history.values())
        for r in rows:
            for key in ("id", "customer_id", "history_id", "history_date", "is_repeat"):
                r.pop(key)
        return rows

    assert history(imported) == history(direct) and len(history(imported)) == 1
    assert imported.history.get().history_user == manager


def test_a_row_the_database_refuses_mid_write_leaves_everything_as_it_was(make_job, make_issue):
    make_issue()
    before = written()
    with connection.cursor() as cursor:
        # A real refusal from PostgreSQL after the issues, customers and history rows are in.
        cursor.execute(
            """
            CREATE FUNCTION refuse_cold_event() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM issues_hotissue WHERE id = NEW.issue_id AND words = 'Cold') THEN
                RAISE EXCEPTION 'no cold coffee here';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_cold_event BEFORE INSERT ON issues_issueevent
              FOR EACH ROW EXECUTE FUNCTION refuse_cold_event();
            """
        )
    rows = "".join(f"{1 + i % 2},Rude {i},Ana {i}\n" for i in range(4500))
    job = run(make_job(f"score,comment,name\n{rows}1,Cold,Cy\n"))
    assert job.state == ImportJob.State.FAILED
    assert job.errors == [
        {"row": 0, "message": importing.NOT_SAVED % {"reason": "no cold coffee here"}},
    ]
    assert written() == before


def test_a_rule_of_the_service_fails_the_job_and_creates_nothing(make_job, program, manager):
    # The uploader left the program between the upload and the run.
    job = make_job("score,comment\n1,Rude\n")
    Membership.objects.filter(program=program, user=manager).delete()
    job = run(job)
    assert job.state == ImportJob.State.FAILED
    assert "no longer a member of this program" in job.errors[0]["message"]
    assert written() == (0, 0, 0, 0)


def test_no_owner_fails_the_job_with_the_services_message(program, manager):
    member = MembershipFactory(program=program).user
    Membership.objects.filter(program=program, user=manager).delete()
    job = ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, content="score,comment\n1,Rude\n", created_by=member
    )
    job = run(job)
    assert job.state == ImportJob.State.FAILED
    assert job.errors == [{"row": 0, "message": services.NO_OWNER}]
    assert written() == (0, 0, 0, 0)


def test_the_bulk_writer_names_the_items_that_break_a_rule_and_writes_none(program, manager, make_issue):
    make_issue()
    before = written()
    items = [{"title": "Cold", "level": 2}, {"title": "  ", "level": 2}, {"title": "Late", "level": 9}]
    items += [{"title": "Slow", "level": 1, "customer_email": "not an address"}]
    with pytest.raises(ValidationError) as caught:
        services.create_issues_in_bulk(program=program, actor=manager, source=Source.SURVEY, issues=items)
    assert caught.value.message_dict == {
        "1": [services.TITLE_REQUIRED],
        "2": [services.BAD_LEVEL],
        "3": ["Enter a valid email address."],
    }
    assert written() == before


def test_the_same_job_delivered_twice_imports_once(make_job):
    job = make_job("score,comment\n1,Rude\n2,Slow\n5,Lovely\n")
    assert run(job).state == ImportJob.State.DONE
    after = written()
    again = run(job)
    assert (again.state, again.created_issues, again.attempts) == (ImportJob.State.DONE, 2, 1)
    assert written() == after == (2, 0, 2, 2)


def test_a_job_left_running_by_a_crash_starts_over_and_imports_once(make_job):
    job = make_job("score,comment\n1,Rude\n2,Slow\n5,Lovely\n")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, attempts=1, processed_rows=2)
    job = run(job)
    assert (job.state, job.attempts, job.processed_rows, job.created_issues) == (ImportJob.State.DONE, 2, 3, 2)
    assert HotIssue.objects.count() == 2


def test_a_big_file_is_checked_with_progress_and_written_in_bulk(make_job, django_assert_max_num_queries):
    rows = "".join(f"{1 + i % 5},Comment {i},Person {i},p{i}@example.com\n" for i in range(5000))
    job = make_job(f"score,comment,name,email\n{rows}")
    # A query or two per 1000 rows checked and per 2000 rows written, not several per row.
    with django_assert_max_num_queries(60):
        job = run(job)
    assert (job.state, job.total_rows, job.processed_rows, job.created_issues) == (
        ImportJob.State.DONE,
        5000,
        5000,
        2000,
    )
    assert written() == (2000, 2000, 2000, 2000)
    assert HotIssue.objects.filter(search_vector="person").count() == 2000


# ------------------------------------------------------------------ the sweep


def test_the_sweep_leaves_a_job_with_a_recent_heartbeat_alone(make_job, django_capture_on_commit_callbacks):
    job = make_job("score,comment\n1,Rude\n", state=ImportJob.State.RUNNING, attempts=1, progress_at=timezone.now())
    with django_capture_on_commit_callbacks() as sent:
        assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 0}
    assert not sent
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING


def test_the_sweep_sends_again_a_job_whose_heartbeat_stopped(make_job, django_capture_on_commit_callbacks):
    old = timezone.now() - timedelta(minutes=11)
    job = make_job("score,comment\n1,Rude\n", state=ImportJob.State.RUNNING, attempts=1, progress_at=old)
    with django_capture_on_commit_callbacks() as sent:
        assert importing.requeue_stuck_imports() == {"requeued": 1, "failed": 0}
    assert len(sent) == 1  # the task, queued once the sweep commits
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.progress_at > old
    # Its next run starts over and finishes it.
    assert run(job).state == ImportJob.State.DONE and job.attempts == 2 and HotIssue.objects.count() == 1


def test_the_sweep_sends_again_a_job_whose_message_the_broker_lost(make_job, django_capture_on_commit_callbacks):
    """Sent by the outbox, then lost with the broker's data: still pending long after its upload."""
    from core.models import OutboxMessage

    job = make_job("score,comment\n1,Rude\n")
    sent = OutboxMessage.objects.create(task_name="issues.tasks.run_import", args=[job.pk], sent_at=timezone.now())
    later = timezone.now() + importing.STUCK_AFTER + timedelta(minutes=1)
    assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 0}  # not yet: it may be in the queue
    with django_capture_on_commit_callbacks() as queued:
        assert importing.requeue_stuck_imports(now=later) == {"requeued": 1, "failed": 0}
    assert len(queued) == 1
    # Sent again: the next sweep waits as long again before another try.
    assert importing.requeue_stuck_imports(now=later) == {"requeued": 0, "failed": 0}
    assert run(job).state == ImportJob.State.DONE and HotIssue.objects.count() == 1
    assert OutboxMessage.objects.exclude(pk=sent.pk).filter(task_name="issues.tasks.run_import").count() == 1


def test_the_sweep_leaves_a_pending_job_whose_message_waits_in_the_outbox(make_job):
    """The broker is down: the outbox's flush sends it when the broker is back; the sweep adds nothing."""
    from core.models import OutboxMessage

    job = make_job("score,comment\n1,Rude\n")
    OutboxMessage.objects.create(task_name="issues.tasks.run_import", args=[job.pk])
    later = timezone.now() + importing.STUCK_AFTER + timedelta(minutes=1)
    assert importing.requeue_stuck_imports(now=later) == {"requeued": 0, "failed": 0}
    assert OutboxMessage.objects.count() == 1


def test_the_sweep_fails_a_job_never_started_the_day_it_was_uploaded(make_job):
    job = make_job("score,comment\n1,Rude\n")
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.state, job.errors) == (ImportJob.State.FAILED, [{"row": 0, "message": importing.TOO_LATE_TO_RETRY}])


def test_the_sweep_fails_a_job_after_the_retries(make_job, django_capture_on_commit_callbacks):
    old = timezone.now() - timedelta(minutes=11)
    job = make_job("score,comment\n1,Rude\n", state=ImportJob.State.RUNNING, attempts=3, progress_at=old)
    with django_capture_on_commit_callbacks() as sent:
        assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 1}
    assert not sent
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.finished_at is not None
    assert job.errors == [{"row": 0, "message": "The import stopped and was retried 2 times; please upload it again."}]
    assert run(job).state == ImportJob.State.FAILED and written() == (0, 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_job_whose_write_is_under_way(worker_program):
    """The bulk write holds the job's row lock however long it takes; the sweep skips a locked job."""
    program, manager = worker_program
    old = timezone.now() - timedelta(hours=1)
    job = ImportJob.objects.create(
        program=program,
        kind=ImportJob.Kind.SURVEY,
        content="score,comment\n1,Rude\n",
        created_by=manager,
        state=ImportJob.State.RUNNING,
        attempts=1,
    )
    ImportJob.objects.filter(pk=job.pk).update(progress_at=old)
    locked, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(10)
        assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 0}
    finally:
        release.set()
        thread.join(10)
    job.refresh_from_db()
    assert (job.state, job.progress_at) == (ImportJob.State.RUNNING, old)


def test_the_sweep_fails_rather_than_runs_a_job_uploaded_days_ago(make_job, django_capture_on_commit_callbacks):
    job = make_job("score,comment\n1,Rude\n", state=ImportJob.State.RUNNING, attempts=1)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=3), progress_at=None)
    with django_capture_on_commit_callbacks() as sent:
        assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 1}
    assert not sent
    job.refresh_from_db()
    assert (job.state, job.errors) == (ImportJob.State.FAILED, [{"row": 0, "message": importing.TOO_LATE_TO_RETRY}])


def test_the_stuck_import_sweep_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["issues-requeue-stuck-imports"]
    assert entry["task"] in app.tasks and entry["task"] == "issues.tasks.requeue_stuck_imports"


# ------------------------------------------------------------------ a real worker


@pytest.fixture
def queue():
    """A private queue per test; start_worker(queues=...) narrows the shared app's queues, so undo that after."""
    yield f"import-test-{uuid.uuid4().hex[:8]}"
    app.amqp.queues._consume_from = None


@pytest.fixture
def worker_program(transactional_db):
    program = ProgramFactory()
    manager = MembershipFactory(program=program, role="manager").user
    return program, manager


def big_job(program, manager, rows: int) -> ImportJob:
    lines = "".join(f"{1 + i % 5},Comment number {i},Person {i}\n" for i in range(rows))
    return ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, content=f"score,comment,name\n{lines}", created_by=manager
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_an_import_to_done_showing_progress_and_a_second_delivery_creates_nothing(worker_program, queue):
    job = big_job(*worker_program, rows=20_000)
    seen = set()
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        result = app.send_task("issues.tasks.run_import", args=[job.pk], queue=queue)

        def finished():
            state, processed = ImportJob.objects.filter(pk=job.pk).values_list("state", "processed_rows").get()
            if state == ImportJob.State.RUNNING:
                seen.add(processed)
            return state in (ImportJob.State.DONE, ImportJob.State.FAILED)

        assert wait_for(finished, timeout=120)
        assert result.get(timeout=30) == ImportJob.State.DONE
        after = written()
        assert app.send_task("issues.tasks.run_import", args=[job.pk], queue=queue).get(timeout=30) == "done"
    # The page's bar moved while the rows were checked, before the write.
    assert any(0 < n < 20_000 for n in seen), seen
    assert after == written() == (8000, 8000, 8000, 8000)
    job.refresh_from_db()
    assert (job.attempts, job.processed_rows, job.created_issues) == (1, 20_000, 8000)


def _url_for_test_db() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_is_requeued_by_the_sweep_and_another_worker_finishes(
    worker_program, queue, worker_queues
):
    program, manager = worker_program
    job = big_job(program, manager, rows=15_000)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": _url_for_test_db(),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
    command += ["--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        app.send_task("issues.tasks.run_import", args=[job.pk], queue=queue)
        started = wait_for(lambda: ImportJob.objects.filter(pk=job.pk, processed_rows__gt=0).exists(), timeout=90)
        assert started, "the worker never got into the import"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    job.refresh_from_db()
    assert job.state == ImportJob.State.RUNNING and job.attempts == 1
    assert written() == (0, 0, 0, 0)
    # Too early: the heartbeat is recent.
    assert importing.requeue_stuck_imports() == {"requeued": 0, "failed": 0}
    later = timezone.now() + importing.STUCK_AFTER + timedelta(minutes=1)
    # The sweep re-queues it where imports go (the io queue): a worker consuming every queue takes it.
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        assert importing.requeue_stuck_imports(now=later) == {"requeued": 1, "failed": 0}
        assert wait_for(lambda: ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.DONE).exists(), timeout=120)
    job.refresh_from_db()
    assert (job.attempts, job.processed_rows, job.created_issues) == (2, 15_000, 6_000)
    assert written() == (6_000, 6_000, 6_000, 6_000)


def test_an_import_tells_the_owner_once_how_many_angry_customers_arrived(make_job, manager):
    from advocacy.models import Notification

    content = "score,comment\n1,Rude staff\n1,Never again\n4,Fine\n"
    assert run(make_job(content)).state == ImportJob.State.DONE
    (notice,) = Notification.objects.filter(user=manager, kind="issue_angry_customer")
    assert notice.title == "2 angry or leaving customers just arrived by import"
    assert "level=4" in notice.url and "level=5" in notice.url


# ------------------------------------------------------------------ titles and targets


def test_an_imported_answer_is_titled_with_the_customers_words_cut_at_a_word(make_job):
    comment = (
        "The technician promised to come on Tuesday morning, nobody came, and when I called the hotline "
        "I was told to wait another week"
    )
    run(make_job(f'score,comment\n1,"{comment}"\n2,Cold coffee\n'))
    titles = dict(HotIssue.objects.values_list("words", "title"))
    long_title = titles[comment]
    assert long_title.endswith("…") and len(long_title) <= importing.TITLE_MAX
    assert comment.startswith(long_title.removesuffix("…"))
    assert comment[len(long_title) - 1] == " "  # the cut falls between two words
    assert titles["Cold coffee"] == "Cold coffee"
    assert "scored" not in long_title


def test_a_visit_title_says_where_it_happened_and_a_title_column_still_wins(make_job):
    content = "score,comment,location,title\n1,Dirty tables,Main St,\n1,Rude,Airport,Our own title\n"
    run(make_job(content, kind=ImportJob.Kind.MYSTERY_SHOP))
    assert sorted(HotIssue.objects.values_list("title", flat=True)) == ["Main St: Dirty tables", "Our own title"]


@pytest.mark.parametrize(
    "words, limit, title",
    [
        ("Short and clear", 80, "Short and clear"),
        ("  Line one\n\nline   two ", 80, "Line one line two"),
        ("alpha beta gamma", 12, "alpha beta…"),
        ("alpha beta, gamma", 12, "alpha beta…"),  # no dangling comma
        ("alpha beta gamma", 11, "alpha beta…"),  # a cut exactly at a space keeps the whole word
        ("Supercalifragilistic", 10, "Supercali…"),  # one word longer than the limit is the only word ever cut
    ],
)
def test_title_from_words(words, limit, title):
    assert services.title_from_words(words, limit=limit) == title


def test_an_old_answer_imported_today_is_received_today_with_its_target_from_now(make_job, program):
    before = timezone.now()
    run(make_job("score,comment,date\n1,Nobody called me back,2026-01-05\n"))
    issue = HotIssue.objects.get()
    rules = services.issue_settings(program=program)
    assert issue.created_at >= before  # received now: counted in today's term, not in January's
    assert issue.occurred_at.date().isoformat() == "2026-01-05"  # the survey's date is kept for people to read
    assert issue.first_outreach_due_at == issue.created_at + rules.target_for(issue.level)
    assert not issue.is_overdue
