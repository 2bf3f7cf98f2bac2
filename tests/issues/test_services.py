from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.permissions import NOT_MANAGER, NOT_MEMBER
from core.models import OutboxMessage
from issues import feeds, selectors, services
from issues.models import (
    HotIssue,
    ImportJob,
    IntakeAttempt,
    IssueEvent,
    IssueSettings,
    MentionFeed,
    Outreach,
    Source,
    Status,
)
from issues.receivers import on_handoff
from rotations.hooks import HandoffContext
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, closing

pytestmark = pytest.mark.django_db


def test_owner_defaults_to_first_manager_without_a_current_advocate(make_issue, manager):
    assert make_issue().owner == manager


def test_owner_defaults_to_current_advocate(make_issue, term, advocate):
    issue = make_issue()
    assert issue.owner == advocate
    assert issue.events.get().kind == IssueEvent.Kind.CREATED


def test_first_outreach_target_follows_level_and_program_settings(make_issue, program):
    issue = make_issue(level=5)
    assert issue.first_outreach_due_at - issue.created_at == timedelta(hours=4)
    assert (make_issue(level=1).first_outreach_due_at - timezone.now()) > timedelta(days=6)
    IssueSettings.objects.create(program=program, target_hours_5=1)
    program.refresh_from_db()
    issue = make_issue(level=5)
    assert issue.first_outreach_due_at - issue.created_at == timedelta(hours=1)


def test_create_issue_rejects_bad_input_and_saves_nothing(make_issue, outsider, program):
    with pytest.raises(ValidationError) as error:
        make_issue(title="  ", level=9)
    assert error.value.message_dict == {"title": [services.TITLE_REQUIRED], "level": [services.BAD_LEVEL]}
    with pytest.raises(PermissionDenied):
        make_issue(actor=outsider)
    with pytest.raises(ValidationError) as error:
        make_issue(owner=outsider)
    assert error.value.message_dict["owner"] == [services.OWNER_NOT_MEMBER]
    assert not HotIssue.objects.exists()


def test_priority_order_level_then_overdue_then_public_then_oldest(make_issue):
    now = timezone.now()
    old_calm = make_issue(title="old calm", level=1, created_at=now - timedelta(days=2))
    angry = make_issue(title="angry", level=3, created_at=now - timedelta(hours=1))
    angry_public = make_issue(title="angry public", level=3, public=True, created_at=now - timedelta(minutes=30))
    angry_older = make_issue(title="angry older", level=3, created_at=now - timedelta(hours=2))
    overdue_mild = make_issue(title="overdue mild", level=2, created_at=now - timedelta(days=4))
    leaving = make_issue(title="leaving", level=5, created_at=now - timedelta(minutes=5))
    order = list(selectors.with_priority(HotIssue.objects.all()).values_list("title", flat=True))
    assert order == [
        leaving.title,
        angry_public.title,
        angry_older.title,
        angry.title,
        overdue_mild.title,  # overdue, but only frustrated: below every angrier customer
        old_calm.title,
    ]
    assert overdue_mild.is_overdue and not leaving.is_overdue
    assert overdue_mild.overdue_by() > timedelta(hours=23)


def test_runaround_rises_above_other_non_overdue_issues_of_its_level(make_issue, manager, departments):
    bounced = make_issue(level=4, department=departments[0])
    hostile = make_issue(level=4, created_at=timezone.now() - timedelta(hours=1))
    leaving = make_issue(level=5)
    for dept in (departments[1], departments[2], departments[0]):
        services.transfer_issue(issue=bounced, actor=manager, to_department=dept, reason="Not ours")
    order = list(selectors.with_priority(HotIssue.objects.all()).values_list("pk", flat=True))
    assert order == [leaving.pk, bounced.pk, hostile.pk]


def test_outreach_stops_the_overdue_clock_and_counts_attempts(make_issue, manager):
    issue = make_issue(level=5, created_at=timezone.now() - timedelta(hours=6))
    assert issue.is_overdue
    due = timezone.now() + timedelta(days=1)
    first = services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer")
    second = services.log_outreach(
        issue=issue, actor=manager, channel="email", outcome="left_message", next_attempt_due_at=due
    )
    issue.refresh_from_db()
    assert (first.attempt, second.attempt) == (1, 2)
    assert issue.status == Status.CONTACTED
    assert issue.first_outreach_at == first.at
    assert issue.next_attempt_due_at == due
    assert not issue.is_overdue
    assert HotIssue.objects.filter(selectors.overdue_q(timezone.now())).count() == 0


def test_outreach_rejects_a_next_attempt_in_the_past(make_issue, manager):
    issue = make_issue()
    with pytest.raises(ValidationError) as error:
        services.log_outreach(
            issue=issue,
            actor=manager,
            channel="phone",
            outcome="spoke",
            next_attempt_due_at=timezone.now() - timedelta(hours=1),
        )
    assert error.value.message_dict["next_attempt_due_at"] == [services.NEXT_ATTEMPT_IN_PAST]
    assert not Outreach.objects.exists()


def test_three_transfers_flag_the_runaround(make_issue, manager, departments, program):
    issue = make_issue(department=departments[0])
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[1], reason="Billing said shipping")
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[2], reason="Shipping said tech")
    issue.refresh_from_db()
    assert not issue.runaround
    other = MembershipFactory(program=program).user
    services.transfer_issue(issue=issue, actor=manager, to_owner=other, reason="Tech lead takes it")
    issue.refresh_from_db()
    assert issue.runaround and issue.transfer_count == 3 and issue.owner == other
    assert selectors.program_issue_summary(program=program)["runaround"] == 1


def test_back_to_a_department_it_left_is_a_runaround(make_issue, manager, departments):
    issue = make_issue(department=departments[0])
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[1], reason="Not billing")
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[0], reason="Not shipping either")
    issue.refresh_from_db()
    assert issue.runaround and issue.transfer_count == 2
    assert "runaround" in issue.events.filter(kind="transfer").last().summary


def test_runaround_threshold_is_configurable(make_issue, manager, departments, program):
    IssueSettings.objects.create(program=program, runaround_transfers=1)
    program.refresh_from_db()
    issue = make_issue(department=departments[0])
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[1], reason="Not billing")
    issue.refresh_from_db()
    assert issue.runaround


def test_transfer_needs_a_reason(make_issue, manager, departments):
    issue = make_issue(department=departments[0])
    with pytest.raises(ValidationError) as error:
        services.transfer_issue(issue=issue, actor=manager, to_department=departments[1], reason="  ")
    assert error.value.message_dict == {"reason": [services.TRANSFER_REASON_REQUIRED]}
    assert not issue.transfers.exists()


def test_a_transfer_to_the_same_department_and_owner_is_refused_and_changes_nothing(make_issue, manager, departments):
    issue = make_issue(department=departments[0], owner=manager)
    events_before = list(issue.events.values_list("pk", flat=True))
    history_before = issue.history.count()
    with pytest.raises(ValidationError) as error:
        services.transfer_issue(
            issue=issue, actor=manager, to_department=departments[0], to_owner=manager, reason="Passing it on"
        )
    assert error.value.message_dict == {"__all__": [services.TRANSFER_NOTHING]}
    issue.refresh_from_db()
    assert (issue.department, issue.owner, issue.transfer_count, issue.runaround) == (departments[0], manager, 0, False)
    assert not issue.transfers.exists()
    assert list(issue.events.values_list("pk", flat=True)) == events_before
    assert issue.history.count() == history_before


def test_a_transfer_to_another_program_s_department_is_refused(make_issue, manager, departments, other_program):
    issue = make_issue(department=departments[0])
    foreign = DepartmentFactory(program=other_program)
    with pytest.raises(ValidationError) as error:
        services.transfer_issue(issue=issue, actor=manager, to_department=foreign, reason="x")
    assert error.value.message_dict["to_department"] == [services.DEPARTMENT_OTHER_PROGRAM]


def test_status_transitions(make_issue, manager):
    issue = make_issue()
    services.change_status(issue=issue, actor=manager, status=Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        services.change_status(issue=issue, actor=manager, status=Status.RESOLVED)
    assert error.value.message_dict["status"] == [services.USE_RESOLVE]
    with pytest.raises(ValidationError):
        services.change_status(issue=issue, actor=manager, status=Status.NEW)
    services.change_status(issue=issue, actor=manager, status=Status.UNREACHABLE, action="Called", **closing(issue))
    with pytest.raises(ValidationError) as error:
        services.change_status(issue=issue, actor=manager, status=Status.CONTACTED)
    assert services.ISSUE_CLOSED in error.value.messages


def test_resolve_and_reopen(make_issue, manager):
    issue = make_issue()
    with pytest.raises(ValidationError) as error:
        services.resolve(issue=issue, actor=manager, resolution=" ", **closing(issue))
    assert error.value.message_dict["resolution"] == [services.RESOLUTION_REQUIRED]
    services.resolve(
        issue=issue, actor=manager, resolution="Refunded the double charge.", satisfaction=4, **closing(issue)
    )
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.satisfaction == 4 and issue.resolved_by == manager
    with pytest.raises(ValidationError):
        services.reopen(issue=issue, actor=manager, reason="")
    services.reopen(issue=issue, actor=manager, reason="Charged a third time")
    issue.refresh_from_db()
    assert issue.status == Status.NEW and issue.satisfaction is None
    kinds = list(issue.events.values_list("kind", flat=True))
    assert kinds == ["created", "resolved", "satisfaction", "reopened"]
    assert issue.history.count() == 3


def test_satisfaction_given_at_resolve_is_on_the_timeline_as_the_customers_answer(make_issue, manager):
    told = make_issue(customer_name="Ann", customer_email="ann@example.com")
    asked = make_issue(customer_name="Ann", customer_email="ann@example.com")
    with pytest.raises(ValidationError):
        services.resolve(issue=told, actor=manager, resolution="Refunded", satisfaction=9, **closing(told))
    assert not IssueEvent.objects.filter(kind=IssueEvent.Kind.SATISFACTION).exists()
    services.resolve(issue=told, actor=manager, resolution="Refunded", satisfaction=3, **closing(told))
    services.resolve(issue=asked, actor=manager, resolution="Refunded", **closing(asked))
    assert not asked.events.filter(kind=IssueEvent.Kind.SATISFACTION).exists()  # not answered yet
    services.record_satisfaction(issue=asked, score=3)
    by_staff = told.events.get(kind=IssueEvent.Kind.SATISFACTION)
    by_customer = asked.events.get(kind=IssueEvent.Kind.SATISFACTION)
    assert by_staff.summary == by_customer.summary == services.satisfaction_summary(3)
    assert by_staff.actor == manager and by_customer.actor is None
    told.refresh_from_db()
    assert by_staff.at == told.satisfaction_at == told.resolved_at
    # The customer's timeline shows both answers, as the figures count both.
    entries = selectors.customer_timeline(customer=told.customer).object_list
    assert [e.issue_id for e in entries if e.kind == IssueEvent.Kind.SATISFACTION] == [asked.pk, told.pk]


def test_customer_satisfaction_is_stored_once_after_resolution(make_issue, manager):
    issue = make_issue()
    with pytest.raises(ValidationError):
        services.record_satisfaction(issue=issue, score=4)
    services.resolve(issue=issue, actor=manager, resolution="Fixed", **closing(issue))
    with pytest.raises(ValidationError):
        services.record_satisfaction(issue=issue, score=8)
    services.record_satisfaction(issue=issue, score=2)
    with pytest.raises(ValidationError) as error:
        services.record_satisfaction(issue=issue, score=5)
    assert services.ALREADY_ANSWERED in error.value.messages
    issue.refresh_from_db()
    assert issue.satisfaction == 2


def test_reassign_keeps_one_named_owner(make_issue, manager, member, outsider):
    issue = make_issue()
    services.reassign(issue=issue, actor=manager, owner=member)
    issue.refresh_from_db()
    assert issue.owner == member
    with pytest.raises(ValidationError):
        services.reassign(issue=issue, actor=manager, owner=outsider)
    with pytest.raises(ValidationError):
        services.reassign(issue=issue, actor=manager, owner=member)


def _send_handoff(program, outgoing, incoming):
    return on_handoff(
        HandoffContext(
            program=program,
            outgoing_term=None,
            incoming_term=None,
            outgoing_advocate=outgoing,
            incoming_advocate=incoming,
            at=timezone.now(),
        )
    )


@pytest.mark.parametrize("n", [1, 30])
def test_handoff_moves_open_issues_in_constant_queries(make_issue, manager, program, advocate, member, n):
    open_issues = [make_issue(owner=advocate) for _ in range(n)]
    closed = make_issue(owner=advocate)
    services.resolve(issue=closed, actor=manager, resolution="Done", **closing(closed))
    someone_elses = make_issue(owner=manager)
    with CaptureQueriesContext(connection) as ctx:
        effect = _send_handoff(program, advocate, member)
    assert len(ctx.captured_queries) == 4
    assert effect.count == n and set(effect.ids) == {i.pk for i in open_issues}
    assert (
        effect.summary == f"{n} open issue{'s' if n != 1 else ''} moved to {member.get_full_name() or member.username}."
    )
    assert set(HotIssue.objects.filter(owner=member).values_list("pk", flat=True)) == {i.pk for i in open_issues}
    closed.refresh_from_db()
    someone_elses.refresh_from_db()
    assert closed.owner == advocate and someone_elses.owner == manager
    event = open_issues[0].events.get(kind=IssueEvent.Kind.HANDOFF)
    assert "→" in event.summary
    assert open_issues[0].history.first().history_change_reason == "Handoff"
    assert open_issues[0].history.first().owner_id == member.pk


def test_handoff_rolls_back_with_the_handoff_transaction(make_issue, program, advocate, member):
    from django.db import transaction

    issue = make_issue(owner=advocate)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            _send_handoff(program, advocate, member)
            raise RuntimeError("handoff failed")
    issue.refresh_from_db()
    assert issue.owner == advocate and not issue.events.filter(kind="handoff").exists()


def test_handoff_leaves_other_programs_alone(make_issue, program, other_program, advocate, member):
    MembershipFactory(program=other_program, user=advocate, role="manager")
    theirs = services.create_issue(program=other_program, actor=advocate, title="Elsewhere", level=2, owner=advocate)
    _send_handoff(program, advocate, member)
    theirs.refresh_from_db()
    assert theirs.owner == advocate


def test_public_form_creates_an_issue_and_is_rate_limited(program, manager):
    for i in range(services.PUBLIC_FORM_LIMIT):
        issue = services.submit_public_form(
            program=program,
            address="203.0.113.9",
            summary=f"  My parcel never   arrived ({i}) ",
            what_happened="It never came.\nThird time this year.",
            level=4,
            name="Ana",
            email="ana@example.com",
        )
    assert issue.source == Source.CUSTOMER_FORM and issue.owner == manager and issue.created_by is None
    assert issue.title == "My parcel never arrived (4)"
    with pytest.raises(ValidationError) as error:
        services.submit_public_form(
            program=program,
            address="203.0.113.9",
            summary="Again",
            what_happened="again",
            level=4,
            email="a@example.com",
        )
    assert services.RATE_LIMITED in error.value.messages
    services.submit_public_form(
        program=program, address="203.0.113.10", summary="Other", what_happened="other person", level=1, phone="555"
    )


def test_public_form_needs_words_and_a_way_to_reach(program, manager):
    with pytest.raises(ValidationError) as error:
        services.submit_public_form(program=program, address="203.0.113.9", what_happened="", level=3)
    assert error.value.message_dict == {
        "what_happened": [services.PUBLIC_WORDS_REQUIRED],
        "summary": [services.PUBLIC_SUMMARY_REQUIRED],
        "email": [services.CONTACT_REQUIRED],
    }
    assert not HotIssue.objects.exists()


def test_search_finds_words_title_and_customer(make_issue):
    hit = make_issue(title="Refund missing", words="The refunds never arrive", customer_name="Greta Albers")
    make_issue(title="Rude driver", words="He threw the parcel")
    qs = HotIssue.objects.all()
    assert list(selectors.search(qs, "refund")) == [hit]
    assert list(selectors.search(qs, "Albers")) == [hit]
    assert list(selectors.search(qs, "arrive")) == [hit]
    assert selectors.search(qs, "nothing-like-this").count() == 0


def test_member_of_another_program_cannot_work_the_issue(make_issue, outsider):
    issue = make_issue()
    with pytest.raises(PermissionDenied):
        services.log_outreach(issue=issue, actor=outsider, channel="phone", outcome="spoke")
    UserFactory()


# ---------------------------------------------------------------- feeds, imports, intake


def test_add_mention_feed_is_for_managers_and_refuses_private_addresses(program, manager, member, settings):
    settings.ISSUES_FEED_ALLOWED_NETWORKS = []
    with pytest.raises(PermissionDenied, match=NOT_MANAGER):
        services.add_mention_feed(program=program, actor=member, name="Alerts", url="https://x.example/feed")
    with pytest.raises(ValidationError) as error:
        services.add_mention_feed(program=program, actor=manager, name=" ", url="http://10.0.0.8/rss")
    assert error.value.message_dict == {"name": [services.FEED_NAME_REQUIRED], "url": [services.FEED_NOT_PUBLIC]}
    assert not MentionFeed.objects.exists()
    feed = services.add_mention_feed(program=program, actor=manager, name=" Alerts ", url="https://x.example/feed")
    assert (feed.program, feed.name, feed.is_active) == (program, "Alerts", True)


def test_feed_addresses_are_http_or_https_only(program, manager):
    for address in ("file:///etc/passwd", "ftp://x.example/feed"):
        with pytest.raises(ValidationError) as error:
            services.add_mention_feed(program=program, actor=manager, name="Feed", url=address)
        assert error.value.message_dict == {"url": [services.FEED_HTTP_ONLY]}
    assert not MentionFeed.objects.exists()


def test_feed_edit_pause_and_remove_are_for_managers(program, manager, member):
    feed = services.add_mention_feed(program=program, actor=manager, name="Alerts", url="https://x.example/feed")
    with pytest.raises(PermissionDenied, match=NOT_MANAGER):
        services.edit_mention_feed(feed=feed, actor=member, name="Mine", url="https://x.example/feed")
    with pytest.raises(PermissionDenied, match=NOT_MANAGER):
        services.pause_mention_feed(feed=feed, actor=member, paused=True)
    with pytest.raises(PermissionDenied, match=NOT_MANAGER):
        services.remove_mention_feed(feed=feed, actor=member)
    feed.refresh_from_db()
    assert (feed.name, feed.is_active) == ("Alerts", True)


def test_editing_a_feed_with_bad_input_changes_nothing(program, manager):
    feed = services.add_mention_feed(program=program, actor=manager, name="Alerts", url="https://x.example/feed")
    with pytest.raises(ValidationError) as error:
        services.edit_mention_feed(feed=feed, actor=manager, name=" ", url="file:///etc/passwd", is_active=False)
    assert error.value.message_dict == {"name": [services.FEED_NAME_REQUIRED], "url": [services.FEED_HTTP_ONLY]}
    feed.refresh_from_db()
    assert (feed.name, feed.url, feed.is_active) == ("Alerts", "https://x.example/feed", True)
    same = services.edit_mention_feed(feed=feed, actor=manager, name=" Brand ", url="https://x.example/feed")
    assert (same.name, same.is_active) == ("Brand", True)


def test_a_paused_feed_is_not_polled_until_it_is_resumed(program, manager, member, monkeypatch):
    polled = []
    monkeypatch.setattr(feeds, "poll_feed", lambda *, feed, timeout=None: polled.append(feed.pk))
    paused = services.add_mention_feed(program=program, actor=manager, name="Paused", url="https://x.example/a")
    other = services.add_mention_feed(program=program, actor=manager, name="Other", url="https://x.example/b")
    services.pause_mention_feed(feed=paused, actor=manager, paused=True)
    feeds.poll_all()
    assert polled == [other.pk]
    with pytest.raises(ValidationError, match="paused"):
        services.request_feed_poll(feed=MentionFeed.objects.get(pk=paused.pk), actor=member)
    assert feeds.poll_feed_by_id(feed_id=paused.pk) is None  # a poll queued before the pause does nothing
    services.pause_mention_feed(feed=paused, actor=manager, paused=False)
    polled.clear()
    feeds.poll_all()
    assert sorted(polled) == sorted([paused.pk, other.pk])


def test_start_import_stores_the_job_and_records_its_queued_run(program, member, outsider):
    with pytest.raises(PermissionDenied, match=NOT_MEMBER):
        services.start_import(program=program, actor=outsider, kind="survey", filename="a.csv", content="x")
    with pytest.raises(ValidationError) as error:
        services.start_import(program=program, actor=member, kind="letters", filename="a.csv", content=" \n")
    assert error.value.message_dict == {"kind": [services.IMPORT_KIND_REQUIRED], "file": [services.IMPORT_EMPTY]}
    assert not OutboxMessage.objects.exists()
    job = services.start_import(
        program=program, actor=member, kind="survey", filename="a.csv", content="score,comment\n1,Bad\n"
    )
    assert (job.state, job.created_by, job.kind) == (ImportJob.State.PENDING, member, "survey")
    (message,) = OutboxMessage.objects.all()
    assert (message.task_name, message.args) == ("issues.tasks.run_import", [job.pk])


def test_a_filled_honeypot_stores_and_counts_nothing(program, manager):
    result = services.submit_public_form(
        program=program,
        address="192.0.2.1",
        summary="Pills",
        what_happened="Buy pills",
        level=2,
        email="a@b.example",
        honeypot="x",
    )
    assert result is None
    assert not HotIssue.objects.exists() and not IntakeAttempt.objects.exists()


def test_default_next_attempt_is_a_day_later_on_the_minute():
    now = timezone.now().replace(second=42, microsecond=123)
    suggested = services.default_next_attempt(now=now)
    assert suggested - now == timedelta(days=1) - timedelta(seconds=42, microseconds=123)
    assert (suggested.second, suggested.microsecond) == (0, 0)
