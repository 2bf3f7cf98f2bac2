"""A handoff through a real Celery worker on Redis leads to exactly one term report."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app
from insights.models import TermReport
from rotations import boundaries, services
from rotations.models import Term
from tests.waiting import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_handoff_in_a_worker_builds_exactly_one_report(desk, ann, ben):
    today = boundaries.local_date(program=desk, at=timezone.now())
    start = boundaries.add_months(today.replace(day=1), -3)
    first = services.create_term(program=desk, start_date=start, advocate=ann)
    services.create_term(program=desk, start_date=first.end_date, advocate=ben)
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
        # The periodic handoff, delivered twice: one handoff, one queued build, one report.
        results = [app.send_task("rotations.tasks.run_handoffs") for _ in range(2)]
        assert sum(r.get(timeout=30) for r in results) == 2
        assert wait_for(lambda: TermReport.objects.filter(term=first).exists())
        # A repeated build message and the sweep find the report already there.
        again = app.send_task("insights.tasks.build_term_report", args=[first.pk]).get(timeout=30)
        swept = app.send_task("insights.tasks.build_missing_term_reports").get(timeout=30)
    assert again == TermReport.objects.get(term=first).pk
    assert swept == 0
    assert TermReport.objects.count() == 1
    assert Term.objects.get(pk=first.pk).status == Term.Status.COMPLETED
    assert timezone.now() - TermReport.objects.get().built_at < timedelta(minutes=5)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_refresh_jobs_delivered_twice_recount_each_snapshot_once(settings, desk, ann):
    from insights import selectors
    from insights.models import FigureSnapshot
    from tests.factories import HotIssueFactory

    settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS = 0
    HotIssueFactory(program=desk)
    old = timezone.now() - timedelta(minutes=10)
    selectors.program_health(program=desk, now=old)
    selectors.customers_chair_brief(program=desk, now=old)
    assert FigureSnapshot.objects.filter(computed_at=old).count() == 2
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10):
        results = [app.send_task("insights.tasks.refresh_snapshots") for _ in range(2)]
        assert sum(r.get(timeout=30) for r in results) == 2
    assert not FigureSnapshot.objects.filter(computed_at=old).exists()
