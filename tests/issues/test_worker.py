"""The import runs in a real Celery worker on Redis and reports its progress in the database."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from issues.models import HotIssue, ImportJob
from tests.factories import MembershipFactory, ProgramFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_runs_in_a_worker(worker_queues):
    from issues.tasks import run_import

    program = ProgramFactory()
    manager = MembershipFactory(program=program, role="manager").user
    rows = "\n".join(f"{1 + i % 5},Comment number {i}" for i in range(450))
    job = ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, content=f"score,comment\n{rows}\n", created_by=manager
    )
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        assert run_import.delay(job.pk).get(timeout=30) == ImportJob.State.DONE
    job.refresh_from_db()
    assert (job.total_rows, job.processed_rows, job.percent) == (450, 450, 100)
    # Scores 1 and 2 are below the default threshold of 3.
    assert job.created_issues == 180 == HotIssue.objects.filter(program=program).count()
