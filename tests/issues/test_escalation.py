"""Untouched issues escalate: once to the owner, then once to the managers, counted from the last touch."""

from datetime import UTC, datetime, timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership, Notification
from config.celery import app
from issues import background
from issues import services as issue_services
from issues.models import Escalation, HotIssue, IssueEvent, IssueSettings
from tests.factories import MembershipFactory, closing
from tests.waiting import wait_for

NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


def aged(issue: HotIssue, at: datetime) -> HotIssue:
    """Move an issue and its timeline back to `at`, as if it had been logged then."""
    HotIssue.objects.filter(pk=issue.pk).update(created_at=at, first_outreach_due_at=at + timedelta(hours=24))
    IssueEvent.objects.filter(issue=issue).update(at=at)
    return HotIssue.objects.get(pk=issue.pk)


@pytest.fixture
def owner(desk):
    return MembershipFactory(program=desk, user__username="olga", user__first_name="Olga", user__last_name="Smith").user


def logged(desk, owner, level: int, at: datetime, title="Charged twice") -> HotIssue:
    issue = issue_services.create_issue(program=desk, actor=owner, title=title, level=level, owner=owner)
    return aged(issue, at)


def told(kind="issue_untouched"):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


@pytest.mark.django_db
def test_each_level_has_its_own_limit_and_the_program_can_change_it(desk, owner, boss):
    five = logged(desk, owner, 5, NOW - timedelta(hours=23))
    three = logged(desk, owner, 3, NOW - timedelta(days=3, hours=23))
    assert background.escalate_untouched(now=NOW) == 0
    assert background.escalate_untouched(now=NOW + timedelta(hours=1)) == 2  # one day for 5, four for 3
    assert told() == ["olga", "olga"]
    IssueSettings.objects.update_or_create(program=desk, defaults={"untouched_days_2": 1})
    two = logged(desk, owner, 2, NOW - timedelta(days=1, hours=1))
    assert background.escalate_untouched(now=NOW + timedelta(hours=1)) == 1
    assert set(Escalation.objects.values_list("issue", flat=True)) == {five.pk, three.pk, two.pk}


@pytest.mark.django_db
def test_the_owner_then_the_managers_are_told_once_however_often_the_job_runs(desk, owner, boss):
    issue = logged(desk, owner, 4, NOW - timedelta(days=2, hours=1))  # level 4: two days
    for hour in range(0, 24 * 4):  # four days of hourly runs
        background.escalate_untouched(now=NOW + timedelta(hours=hour))
    assert told() == ["boss", "olga"]
    stages = list(Escalation.objects.filter(issue=issue).values_list("stage", flat=True))
    assert stages == [Escalation.Stage.OWNER, Escalation.Stage.MANAGERS]
    events = IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.ESCALATED).order_by("at")
    assert [e.summary.split(":")[-1].strip() for e in events] == ["Olga Smith was told", "the managers were told"]


@pytest.mark.django_db
def test_a_touch_restarts_the_count_and_is_a_new_problem(desk, owner, boss):
    issue = logged(desk, owner, 4, NOW - timedelta(days=2, hours=1))
    assert background.escalate_untouched(now=NOW) == 1
    issue_services.log_outreach(
        issue=issue, actor=owner, channel="phone", outcome="left_message", at=NOW + timedelta(hours=1)
    )
    IssueEvent.objects.filter(issue=issue, kind="outreach").update(at=NOW + timedelta(hours=1))
    assert background.escalate_untouched(now=NOW + timedelta(days=2)) == 0  # touched 47 h ago
    assert background.escalate_untouched(now=NOW + timedelta(days=2, hours=2)) == 1
    assert told() == ["olga", "olga"]


@pytest.mark.django_db
def test_a_handoff_neither_restarts_nor_doubles_the_escalation(desk, owner, boss):
    ben = MembershipFactory(program=desk, user__username="ben2", user__first_name="Ben").user
    issue = logged(desk, owner, 4, NOW - timedelta(days=2, hours=1))
    background.escalate_untouched(now=NOW)
    issue_services.move_issues_on_handoff(program=desk, outgoing=owner, incoming=ben, at=NOW + timedelta(hours=2))
    IssueEvent.objects.filter(issue=issue, kind="handoff").update(at=NOW + timedelta(hours=2))
    assert background.escalate_untouched(now=NOW + timedelta(hours=3)) == 0  # the owner stage is done
    assert background.escalate_untouched(now=NOW + timedelta(days=2)) == 1  # the managers, on time
    assert told() == ["boss", "olga"]
    assert Escalation.objects.filter(issue=issue).count() == 2


@pytest.mark.django_db
def test_closed_issues_and_the_customer_own_notes_do_not_count(desk, owner, boss):
    closed = logged(desk, owner, 5, NOW - timedelta(days=3))
    issue_services.resolve(issue=closed, actor=owner, resolution="Refunded.", **closing(closed))
    noted = logged(desk, owner, 5, NOW - timedelta(days=3), title="Line down")
    IssueEvent.objects.create(issue=noted, kind=IssueEvent.Kind.CUSTOMER_NOTE, at=NOW, summary="The customer wrote")
    assert background.escalate_untouched(now=NOW) == 2  # three days untouched at level 5: both stages
    assert list(Escalation.objects.values_list("issue", flat=True).distinct()) == [noted.pk]


@pytest.mark.django_db
def test_settings_page_refuses_a_limit_out_of_range_and_changes_nothing(desk, boss, client_for):
    client = client_for(boss)
    url = reverse("issues:settings", args=[desk.slug])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    response = client.post(url, {**data, "untouched_days_5": "0"})
    assert "Give at least 1 day." in response.content.decode()
    assert not IssueSettings.objects.filter(program=desk, untouched_days_5=0).exists()
    client.post(url, {**data, "untouched_days_5": "3"})
    assert IssueSettings.objects.get(program=desk).untouched_days_5 == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_through_a_worker_twice_a_day_over_several_days_each_stage_is_sent_once(desk, worker_queues):
    owner = MembershipFactory(
        program=desk, user__username="olga", user__first_name="Olga", user__last_name="Smith"
    ).user
    MembershipFactory(program=desk, role=Membership.Role.MANAGER, user__username="mara")
    issue = logged(desk, owner, 5, timezone.now() - timedelta(hours=25))  # level 5: one day

    def a_day_passes():
        """Move everything one day into the past, as a day of real time would."""
        day = timedelta(days=1)
        HotIssue.objects.filter(pk=issue.pk).update(created_at=issue.created_at - day)
        for event in IssueEvent.objects.filter(issue=issue):
            IssueEvent.objects.filter(pk=event.pk).update(at=event.at - day)
        for row in Escalation.objects.filter(issue=issue):
            Escalation.objects.filter(pk=row.pk).update(touched_at=row.touched_at - day, at=row.at - day)
        issue.created_at -= day

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=worker_queues):
        for _ in range(3):  # three days, the job delivered twice on each
            results = [app.send_task("issues.tasks.escalate_untouched_issues") for _ in range(2)]
            assert wait_for(lambda results=results: all(r.ready() for r in results))
            a_day_passes()
    assert told() == ["mara", "olga"]
    assert Escalation.objects.filter(issue=issue).count() == 2
    assert IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.ESCALATED).count() == 2


def test_the_defaults_are_the_documented_ones():
    assert {level: IssueSettings().untouched_limit(level).days for level in range(1, 6)} == {
        5: 1,
        4: 2,
        3: 4,
        2: 7,
        1: 7,
    }
