"""Each periodic job run on a moving clock, as beat runs it: a notice is sent once, or once per day or week.

Re-running a job at the same instant only shows that a second call is a no-op;
here the clock moves forward hour by hour over days and weeks (through the
jobs' explicit `now=` seams), which is when a dedupe key that contains the day,
or a condition that stays true, would send the same notice again.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from advocacy import notifications
from advocacy.models import Membership, Notification
from insights import services as insights_services
from insights.models import BriefSubscription
from issues import background
from issues import services as issue_services
from issues.models import HotIssue, IssueEvent, RecoveryCheck, Status
from rotations import reminders
from rotations import services as rotation_services
from rotations.models import Handoff, SwapRequest
from tests.factories import MembershipFactory, ProgramFactory, closing

pytestmark = pytest.mark.django_db

# Friday 15 May 2026, noon UTC.
START = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)

# Every beat entry is either run on a moving clock below, or sends no notice of its own.
COVERED = {
    "advocacy.tasks.send_pending_notification_emails": "test_reminders_over_five_weeks_are_each_sent_once",
    "rotations.tasks.send_reminders": "test_reminders_over_five_weeks_are_each_sent_once",
    "rotations.tasks.run_handoffs": "test_reminders_over_five_weeks_are_each_sent_once",
    "issues.tasks.notify_overdue_issues": "test_overdue_notice_is_sent_once_per_issue_over_days",
    "issues.tasks.send_daily_digests": "test_digest_goes_out_exactly_once_per_local_day",
    "issues.tasks.escalate_untouched_issues": "test_untouched_issue_is_escalated_once_per_stage_over_weeks",
    "insights.tasks.send_weekly_briefs": "test_weekly_brief_is_sent_once_a_week",
    "issues.tasks.open_recovery_checks": "test_recovery_question_is_asked_once_per_resolution_over_weeks",
}
NO_NOTICES = {
    "core.tasks.flush_outbox",
    "core.tasks.heartbeat",  # stamps one row for /health/: tests/test_platform.py
    "core.tasks.send_pending_mail",  # re-sends account e-mails a failure left: tests/accounts/test_mail.py
    # Re-sends the invitation e-mails a failure left, once per link: tests/advocacy/test_invitations.py
    "advocacy.tasks.send_pending_invitation_emails",
    "issues.tasks.poll_mention_feeds",
    "issues.tasks.count_past_due_issues",  # marks issues for the kept counts: tests/issues/test_past_due_counts.py
    "issues.tasks.requeue_stuck_imports",  # re-sends or fails stuck imports: tests/issues/test_importing.py
    "issues.tasks.resend_pending_work",  # the satisfaction question: tests/issues/test_tasks.py
    "insights.tasks.build_missing_term_reports",  # one notice per report: term_report:<term>
    "insights.tasks.refresh_snapshots",
    # re-queues lost deliveries; a delivery makes at most one issue: tests/integrations/test_receive.py
    "integrations.tasks.requeue_stuck_deliveries",
    # re-queues lost channel messages; each is keyed on its event and sent once: tests/integrations/test_chat.py
    "integrations.tasks.requeue_unsent_channel_messages",
}


def clock(start: datetime, *, days: float, every: timedelta = timedelta(hours=1)):
    """Yield the instants a periodic job runs at, from `start` for `days` days."""
    now, end = start, start + timedelta(days=days)
    while now <= end:
        yield now
        now += every


def counts(kind: str) -> Counter:
    return Counter(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_every_periodic_job_is_run_on_a_moving_clock_or_sends_no_notices():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    unknown = tasks - set(COVERED) - NO_NOTICES
    assert not unknown, f"Run these periodic jobs on a moving clock here, or list them in NO_NOTICES: {unknown}"


def test_reminders_over_five_weeks_are_each_sent_once(desk, boss, ann, ben, mailoutbox, run_jobs):
    """Ann's term ends on 25 May, Ben's runs to 20 July (then a gap), one term is unassigned,
    Cat covers Ben for three days, Dan offers his autumn term to Cat, Ben has leave in June."""
    cat, dan = (MembershipFactory(program=desk, user__username=name).user for name in ("cat", "dan"))
    rotation_services.create_term(program=desk, start_date=date(2026, 4, 1), end_date=date(2026, 5, 25), advocate=ann)
    rotation_services.run_due_handoffs(now=START)
    rotation_services.acknowledge_handoff(handoff=Handoff.objects.get(incoming_advocate=ann), user=ann)
    bens = rotation_services.create_term(
        program=desk, start_date=date(2026, 5, 25), end_date=date(2026, 7, 20), advocate=ben
    )
    rotation_services.create_term(program=desk, start_date=date(2026, 8, 1), end_date=date(2026, 11, 1))
    dans = rotation_services.create_term(program=desk, start_date=date(2026, 11, 1), advocate=dan)
    rotation_services.add_cover(
        term=bens, person=cat, first_day=date(2026, 5, 28), last_day=date(2026, 5, 30), actor=boss
    )
    swap = rotation_services.request_swap(term=dans, requester=dan, target=cat)
    SwapRequest.objects.filter(pk=swap.pk).update(created_at=START)
    rotation_services.record_leave(user=ben, first_day=date(2026, 6, 10), last_day=date(2026, 6, 12))
    before = Counter(Notification.objects.values_list("kind", flat=True))

    # Beat runs the handoffs every minute and the reminders every 15 minutes; every two hours is
    # enough here. The e-mails go through the outbox, run after each round as a worker would.
    for now in clock(START, days=35, every=timedelta(hours=2)):
        rotation_services.run_due_handoffs(now=now)
        reminders.send_due_reminders(now=now)
        notifications.requeue_unsent_emails(now=now)
        run_jobs()

    assert counts("term_starting") == {"ben": 2}  # 14 and 3 days before 25 May
    assert counts("term_ending") == {"ann": 2}  # 7 and 2 days before 25 May
    assert counts("handoff_unacknowledged") == {"boss": 1}  # Ben never acknowledges; told once, not daily
    assert counts("term_unassigned") == {"boss": 1}  # the August term, once inside 60 days
    assert counts("coverage_gap") == {"boss": 1}  # nothing from 20 July to 1 August
    assert counts("cover_started") == {"cat": 1}
    assert counts("cover_ended") == {"ben": 1, "cat": 1}
    assert counts("swap_follow_up") == {"cat": 3}  # after 3, 6 and 9 days, then no more
    assert counts("leave_conflict") == {"boss": before["leave_conflict"]}  # told on recording, not again
    # Each notice's e-mail goes out once, however many times the sweep runs after.
    emailed = Notification.objects.filter(wants_email=True)
    assert emailed.count() > 10 and not emailed.filter(emailed_at__isnull=True).exists()
    assert len(mailoutbox) == emailed.count()


def _open_issue(program, actor, title, created):
    issue = issue_services.create_issue(program=program, actor=actor, title=title, words="Nobody called back.", level=4)
    HotIssue.objects.filter(pk=issue.pk).update(created_at=created, first_outreach_due_at=created + timedelta(hours=24))
    return issue


def test_overdue_notice_is_sent_once_per_issue_over_days(program, manager):
    early = _open_issue(program, manager, "Charged twice", START - timedelta(hours=30))
    later = _open_issue(program, manager, "Parcel lost", START + timedelta(days=1))

    # Beat runs this every 5 minutes; every 20 over four days.
    for now in clock(START, days=4, every=timedelta(minutes=20)):
        background.notify_overdue(now=now)

    notices = Notification.objects.filter(kind="issue_overdue")
    assert sorted(notices.values_list("dedupe_key", flat=True)) == sorted(
        [f"issue-overdue-{early.pk}", f"issue-overdue-{later.pk}"]
    )
    for issue in (early, later):
        assert IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.OVERDUE).count() == 1


def test_untouched_issue_is_escalated_once_per_stage_over_weeks(program, manager):
    issue = _open_issue(program, manager, "Router still drops", START)
    IssueEvent.objects.filter(issue=issue).update(at=START)
    touched = START + timedelta(days=9)  # an outreach on day 9 is a new touch, and a new problem
    for now in clock(START, days=21):
        if now == touched:
            issue_services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="left_message", at=now)
            IssueEvent.objects.filter(issue=issue, kind="outreach").update(at=now)
        background.escalate_untouched(now=now)
    keys = sorted(Notification.objects.filter(kind="issue_untouched").values_list("dedupe_key", flat=True))
    # Level 4: the owner after 2 days, the managers after 4; again from the touch on day 9.
    assert len(keys) == 4 and len(set(keys)) == 4
    assert IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.ESCALATED).count() == 4


def test_recovery_question_is_asked_once_per_resolution_over_weeks(program, manager, mailoutbox, run_jobs):
    """Resolved on day 0; asked on day 14 and answered 1 on day 20 (it comes back); resolved again on day 22.

    The e-mail task reads the real clock (a question past its window is not e-mailed), so day 0 is today.
    """
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    issue = issue_services.create_issue(
        program=program, actor=manager, title="Charged twice", words="Twice!", level=3, customer_email="a@example.com"
    )
    issue_services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="spoke")
    issue = issue_services.resolve(issue=issue, actor=manager, resolution="Refunded.", **closing(issue))
    HotIssue.objects.filter(pk=issue.pk).update(resolved_at=start)
    run_jobs()  # the first satisfaction question
    first_mails = len(mailoutbox)
    answered, resolved_again = start + timedelta(days=20), start + timedelta(days=22)
    for now in clock(start, days=45, every=timedelta(hours=2)):
        if now == answered:
            check = RecoveryCheck.objects.get(issue=issue)
            issue_services.record_recovery_answer(issue=issue, question=check.token, score=1, now=now)
            assert HotIssue.objects.get(pk=issue.pk).status == Status.IN_PROGRESS
        if now == resolved_again:
            issue = issue_services.resolve(
                issue=HotIssue.objects.get(pk=issue.pk),
                actor=manager,
                resolution="Again.",
                **closing(HotIssue.objects.get(pk=issue.pk)),
            )
            HotIssue.objects.filter(pk=issue.pk).update(resolved_at=now)
        background.open_recovery_checks(now=now)
        run_jobs()
    asked = list(RecoveryCheck.objects.filter(issue=issue).order_by("asked_at").values_list("asked_at", flat=True))
    assert asked == [start + timedelta(days=14), resolved_again + timedelta(days=14)]
    recovery_mails = [m for m in mailoutbox[first_mails:] if "still sorted" in m.subject]
    assert len(recovery_mails) == 2
    assert IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.RECOVERY_ASKED).count() == 2
    assert Notification.objects.filter(kind="issue_came_back").count() == 1


def _desk_with_open_issues(name, zone):
    program = ProgramFactory(name=name, slug=name.lower(), time_zone=zone)
    manager = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username=f"{name}-lead").user
    _open_issue(program, manager, f"{name} customer waits", START - timedelta(days=1))
    return program, manager


@pytest.mark.parametrize(
    "start",
    [START, datetime(2026, 10, 23, 0, 0, tzinfo=UTC)],  # an ordinary week; and the end of summer time in Europe
    ids=["may", "summer-time-ends"],
)
def test_digest_goes_out_exactly_once_per_local_day(start):
    """With no advocate the first manager gets the digest; one a day in each program's own calendar."""
    zones = {"Berlin": "Europe/Berlin", "Auckland": "Pacific/Auckland", "Angeles": "America/Los_Angeles"}
    programs = {name: _desk_with_open_issues(name, zone) for name, zone in zones.items()}
    runs = list(clock(start, days=5))  # beat: hourly
    for now in runs:
        background.send_digests(now=now)

    for name, (program, manager) in programs.items():
        zone = ZoneInfo(zones[name])
        # The days on which the job ran at or after 08:00 local time.
        expected = sorted({t.astimezone(zone).date() for t in runs if t.astimezone(zone).hour >= 8})
        digests = Notification.objects.filter(kind="issue_digest", program=program, user=manager)
        keys = sorted(digests.values_list("dedupe_key", flat=True))
        assert keys == [f"issue-digest-{program.pk}-{day.isoformat()}" for day in expected], name
        assert len(expected) >= 5, name


def test_weekly_brief_is_sent_once_a_week(program, member, manager):
    """Run on beat's schedule (Mondays 07:00–12:00 UTC) and, as an admin might set it,
    every two hours: once a week."""
    for person in (member, manager):
        BriefSubscription.objects.create(program=program, user=person)
    monday = datetime(2026, 5, 18, 0, 0, tzinfo=UTC)
    beat = [t for t in clock(monday, days=21) if t.weekday() == 0 and 7 <= t.hour <= 12]
    for now in beat:
        insights_services.send_weekly_briefs(now=now)
    assert counts("weekly_brief") == {member.username: 3, manager.username: 3}

    hourly = list(clock(monday + timedelta(days=21), days=14, every=timedelta(hours=2)))
    for now in hourly:
        insights_services.send_weekly_briefs(now=now)
    # The weeks (Monday to Sunday in the program's zone) those runs touched: 8, 15 and 22 June.
    weeks = {local.date() - timedelta(days=local.weekday()) for local in (t.astimezone(program.zone) for t in hourly)}
    assert len(weeks) == 3
    assert counts("weekly_brief") == {member.username: 6, manager.username: 6}
