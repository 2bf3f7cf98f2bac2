"""Programs too big to count on every view are served stored figures, refreshed by Celery."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights import selectors, services, snapshots
from insights.models import FigureSnapshot
from tests.insights.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def slow(settings):
    """Treat every program as slow to count, as a program of a million issues is."""
    settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS = 0


def received(health) -> int:
    return health.current.figures.received


def test_a_quick_program_is_always_counted_live(program, terms, issue_at):
    issue_at(NOW - timedelta(days=2))
    first = selectors.program_health(program=program, now=NOW)
    issue_at(NOW - timedelta(days=1))
    second = selectors.program_health(program=program, now=NOW)
    assert (received(first), received(second)) == (1, 2)
    assert first.as_of is None and second.as_of is None
    assert not FigureSnapshot.objects.exists()


def test_a_slow_program_is_served_its_snapshot_until_the_refresh(slow, program, terms, issue_at):
    issue_at(NOW - timedelta(days=2), outreach=2)
    live = selectors.program_health(program=program, now=NOW)
    assert live.as_of is None and received(live) == 1
    issue_at(NOW - timedelta(days=1))
    with CaptureQueriesContext(connection) as ctx:
        stored = selectors.program_health(program=program, now=NOW + timedelta(minutes=3))
    assert stored.as_of == NOW and received(stored) == 1  # the snapshot, not yet the new issue
    assert stored.current.figures.outreach_median == live.current.figures.outreach_median == 7200
    assert [w.figures.received for w in stored.weeks] == [w.figures.received for w in live.weeks]
    assert not any("GROUP BY" in q["sql"] and "issues_hotissue" in q["sql"] for q in ctx.captured_queries)
    assert stored.summary["open"] == 2  # open issues stay live

    later = NOW + timedelta(minutes=5)
    assert services.refresh_snapshots(now=later) == 1
    assert services.refresh_snapshots(now=later) == 0  # run twice, recomputed once
    fresh = selectors.program_health(program=program, now=later + timedelta(minutes=1))
    assert fresh.as_of == later and received(fresh) == 2


def test_a_stale_snapshot_or_a_new_term_is_counted_again(slow, program, terms, issue_at):
    issue_at(NOW - timedelta(days=2))
    selectors.program_health(program=program, now=NOW)
    issue_at(NOW - timedelta(days=1))
    stale = NOW + snapshots.FRESH_FOR + timedelta(minutes=1)
    health = selectors.program_health(program=program, now=stale)
    assert health.as_of is None and received(health) == 2
    previous, current = terms
    current.ends_at += timedelta(days=1)
    current.save()
    health = selectors.program_health(program=program, now=stale + timedelta(minutes=1))
    assert health.as_of is None  # the terms changed, so the stored figures do not fit


def test_a_program_that_becomes_quick_loses_its_snapshot(slow, settings, program, terms, issue_at):
    issue_at(NOW - timedelta(days=2))
    selectors.customers_chair_brief(program=program, now=NOW)
    selectors.program_health(program=program, now=NOW)
    assert FigureSnapshot.objects.count() == 2
    settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS = 60
    services.refresh_snapshots(now=NOW + timedelta(minutes=10))
    assert not FigureSnapshot.objects.exists()


def test_the_brief_counts_come_from_the_snapshot_and_its_top_issues_stay_live(slow, program, terms, issue_at):
    issue_at(NOW - timedelta(days=2), level=2, outreach=1)
    selectors.customers_chair_brief(program=program, now=NOW)
    newest = issue_at(NOW - timedelta(hours=1), level=5)
    brief = selectors.customers_chair_brief(program=program, now=NOW + timedelta(minutes=1))
    assert brief.as_of == NOW
    assert brief.changes[0].label == "New issues" and brief.changes[0].this_week == 1  # stored
    assert brief.top_issues[0].pk == newest.pk and brief.open_count == 2  # live


def test_pages_say_how_old_stored_figures_are(slow, client_for, program, manager, terms, issue_at):
    issue_at(NOW - timedelta(days=2))
    client = client_for(manager)
    health_url = reverse("insights:health", args=[program.slug])
    brief_url = reverse("insights:brief", args=[program.slug])
    assert 'id="figures-as-of"' not in client.get(health_url).content.decode()  # computed now, live
    assert 'id="figures-as-of"' in client.get(health_url).content.decode()
    client.get(brief_url)
    assert 'id="counts-as-of"' in client.get(brief_url).content.decode()


def test_admins_see_snapshots_read_only_and_can_delete_one_to_force_a_recount(
    slow, client, superuser, program, terms, issue_at
):
    issue_at(NOW - timedelta(days=2))
    selectors.program_health(program=program, now=NOW)
    snapshot = FigureSnapshot.objects.get()
    client.force_login(superuser)
    assert client.get("/admin/insights/figuresnapshot/").status_code == 200
    assert client.get(f"/admin/insights/figuresnapshot/{snapshot.pk}/change/").status_code == 200
    assert client.get("/admin/insights/figuresnapshot/add/").status_code == 403
    response = client.post(f"/admin/insights/figuresnapshot/{snapshot.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not FigureSnapshot.objects.exists()
    assert selectors.program_health(program=program, now=NOW + timedelta(minutes=1)).as_of is None
