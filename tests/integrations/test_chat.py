"""Slack and Teams channels: connecting one, which events reach it (once each), and sending to the fake servers."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Notification
from core.models import OutboxMessage
from insights import services as insight_services
from integrations import chat
from integrations.models import Channel, ChannelMessage, ChatKind, Event
from issues import background, hooks
from issues import services as issue_services
from issues.models import HotIssue, RecoveryCheck
from rotations import boundaries, reminders
from rotations import services as rotation_services
from tests.factories import DepartmentFactory, MembershipFactory, closing

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
TEAMS = "https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=xyz"
ALL = {f"on_{event.value}": True for event in Event if event != Event.TEST}


@pytest.fixture
def connect(program, manager):
    def make(url=SLACK, *, kind=ChatKind.SLACK, name="#escalations", target=None, **events):
        return chat.create_channel(
            program=target or program, actor=manager, kind=kind, name=name, url=url, **(events or ALL)
        )

    return make


def messages(**filters):
    return list(ChannelMessage.objects.filter(**filters).order_by("pk"))


# ---------------------------------------------------------------- connecting


@pytest.mark.parametrize(
    ("kind", "url", "error"),
    [
        (ChatKind.SLACK, "", chat.URL_REQUIRED.format(tool="Slack")),
        (ChatKind.SLACK, "http://hooks.slack.com/services/T/B/X", chat.URL_NOT_HTTPS),
        (ChatKind.SLACK, "https://example.com/services/T/B/X", chat.URL_NOT_SLACK),
        (ChatKind.TEAMS, "https://10.0.0.5/hook", chat.URL_PRIVATE),
        (ChatKind.TEAMS, "https://localhost/hook", chat.URL_PRIVATE),
        (ChatKind.TEAMS, "https://[::1]/hook", chat.URL_PRIVATE),
    ],
)
def test_a_bad_webhook_address_is_refused_with_a_clear_message(connect, kind, url, error, settings):
    settings.INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as refused:
        connect(url, kind=kind)
    assert refused.value.message_dict["url"] == [error]
    assert not Channel.objects.exists()


def test_a_channel_must_hear_of_something(connect):
    with pytest.raises(ValidationError) as refused:
        connect(on_new_angry=False)
    assert chat.NO_EVENT in refused.value.messages


def test_an_allowed_private_network_may_take_plain_http(connect, chat_server):
    channel = connect(chat_server.url("/teams/ok"), kind=ChatKind.TEAMS)
    assert channel.masked_url == f"http://127.0.0.1:{chat_server.port}/…s/ok"


def test_only_a_manager_connects_a_channel(program, member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        chat.create_channel(program=program, actor=member, kind=ChatKind.SLACK, name="x", url=SLACK, **ALL)


# ---------------------------------------------------------------- which events reach a channel


def test_a_new_level_4_or_5_issue_is_posted_and_a_level_3_one_is_not(connect, program, manager):
    channel = connect()
    quiet = connect(name="#quiet", on_overdue=True)
    issue_services.create_issue(program=program, actor=manager, title="Mild", level=3)
    issue = issue_services.create_issue(
        program=program, actor=manager, title="Cancelling today", level=5, customer_email="ana@example.com"
    )
    (message,) = messages()
    assert (message.channel, message.event, message.issue) == (channel, Event.NEW_ANGRY, issue)
    assert message.payload["blocks"][0]["text"]["text"] == "Leaving or going public customer: Cancelling today"
    assert "ana@example.com" not in str(message.payload)
    assert not messages(channel=quiet)


def test_nothing_is_posted_when_the_action_rolls_back(connect, program, manager):
    connect()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_services.create_issue(program=program, actor=manager, title="Cancelling", level=5)
        raise RuntimeError
    assert not ChannelMessage.objects.exists()


def test_a_paused_channel_hears_nothing(connect, program, manager):
    channel = connect()
    chat.set_paused(channel=channel, actor=manager, paused=True)
    issue_services.create_issue(program=program, actor=manager, title="Cancelling", level=5)
    assert not ChannelMessage.objects.exists()


def test_an_overdue_issue_is_posted_once_however_often_the_job_runs(connect, program, manager):
    connect()
    issue = issue_services.create_issue(program=program, actor=manager, title="Waiting", level=3)
    HotIssue.objects.filter(pk=issue.pk).update(first_outreach_due_at=timezone.now() - timedelta(hours=3))
    for _ in range(3):
        background.notify_overdue()
    (message,) = messages(event=Event.OVERDUE)
    assert message.issue == issue and "late" in message.payload["text"]


def test_a_runaround_is_posted_once(connect, program, manager):
    connect()
    issue = issue_services.create_issue(program=program, actor=manager, title="Ping-pong", level=2)
    for _ in range(4):
        issue_services.transfer_issue(
            issue=issue, actor=manager, reason="Not ours", to_department=DepartmentFactory(program=program)
        )
    (message,) = messages(event=Event.RUNAROUND)
    assert message.summary == "Runaround: Ping-pong"


def test_a_bulk_import_posts_one_summary_not_one_message_per_issue(connect, program, manager):
    connect()
    issue_services.create_issues_in_bulk(
        program=program,
        actor=manager,
        source="survey",
        issues=[{"title": f"Answer {n}", "level": 4 + n % 2} for n in range(30)] + [{"title": "Meh", "level": 2}],
    )
    (message,) = messages()
    assert message.summary == "30 new issues at level 4 or 5 imported"


def test_a_recovery_answer_that_reopened_an_issue_is_posted_through_the_hook(connect, program, manager):
    connect()
    issue = issue_services.create_issue(program=program, actor=manager, title="Broken again", level=2)
    with transaction.atomic():
        made = hooks.recovery_reopened(issue=issue, answer="Still broken, call me on +49 170 1234567")
    (message,) = messages(event=Event.RECOVERY_REOPENED)
    assert made == [[message]]
    text = message.payload["blocks"][1]["text"]["text"]
    assert text == "The customer's answer: Still broken, call me on [phone]"


def test_a_handoff_is_posted_with_the_first_lines_of_the_note(desk, boss, ann, ben):
    chat.create_channel(program=desk, actor=boss, kind=ChatKind.TEAMS, name="Desk", url=TEAMS, **ALL)
    now = timezone.now()
    today = boundaries.local_date(program=desk, at=now)
    first = rotation_services.create_term(
        program=desk, start_date=today - timedelta(days=30), end_date=today + timedelta(days=30), advocate=ann
    )
    rotation_services.run_due_handoffs(now=now)
    ChannelMessage.objects.all().delete()
    note = "Call Mrs Ortiz back on Friday.\nThe refund for order 7 is promised.\nThird line.\nFourth."
    first.refresh_from_db()
    handoff = rotation_services.hand_over_now(term=first, to=ben, actor=boss, note=note)
    (message,) = messages(event=Event.HANDOFF)
    texts = [block.get("text") for block in message.payload["attachments"][0]["content"]["body"]]
    assert texts[0] == f"Handoff in Desk: {ann.get_full_name()} → {ben.get_full_name()}"
    assert texts[2:] == [
        "From the handoff note:",
        "Call Mrs Ortiz back on Friday.",
        "The refund for order 7 is promised.",
        "Third line.",
    ]
    assert {
        "participant": "integrations.chat",
        "count": 1,
        "summary": "",
        "url": "",
        "ids": [message.pk],
    } in handoff.effects


def test_an_unacknowledged_handoff_is_posted_once(desk, boss, ann):
    now = timezone.now()
    today = boundaries.local_date(program=desk, at=now)
    chat.create_channel(program=desk, actor=boss, kind=ChatKind.SLACK, name="#desk", url=SLACK, on_unacknowledged=True)
    rotation_services.create_term(
        program=desk, start_date=today - timedelta(days=1), end_date=today + timedelta(days=60), advocate=ann
    )
    rotation_services.run_due_handoffs(now=now)
    reminders.send_due_reminders(now=now + timedelta(days=1))
    assert not messages()
    for _ in range(3):
        reminders.send_due_reminders(now=now + timedelta(days=5))
    (message,) = messages()
    assert message.event == Event.UNACKNOWLEDGED and message.summary == "Handoff not acknowledged in Desk"


def test_the_weekly_brief_is_posted_once_a_week_to_the_channels_that_want_it(connect, program, manager, other_program):
    wants = connect(on_weekly_brief=True)
    connect(name="#issues-only", on_new_angry=True)
    now = timezone.now()
    for hour in range(3):
        insight_services.send_weekly_briefs(now=now + timedelta(minutes=hour))
    (message,) = messages(event=Event.WEEKLY_BRIEF)
    assert message.channel == wants and message.summary.startswith("Customer's-chair brief: Support Desk, week of")


# ---------------------------------------------------------------- sending


def test_a_queued_message_reaches_slack_and_teams_once(connect, program, manager, chat_server, run_jobs):
    slack = connect(chat_server.url("/slack/desk"))
    teams = connect(chat_server.url("/teams/desk"), kind=ChatKind.TEAMS, name="Desk team")
    issue_services.create_issue(program=program, actor=manager, title="Cancelling <!channel>", level=5)
    assert sorted(r for r in run_jobs() if isinstance(r, str)) == ["sent", "sent"]
    (slack_hit,) = chat_server.received("/slack/desk")
    (teams_hit,) = chat_server.received("/teams/desk")
    assert slack_hit.body["blocks"][0]["text"]["text"] == "Leaving or going public customer: Cancelling <!channel>"
    assert "&lt;!channel&gt;" in slack_hit.body["text"]
    assert teams_hit.body["attachments"][0]["content"]["body"][0]["text"].startswith("Leaving or going public")
    for message in messages():
        assert message.state == ChannelMessage.State.SENT and message.sent_at
        assert chat.send_message(message_id=message.pk).state == ChannelMessage.State.SENT  # twice: once
    assert len(chat_server.hits) == 2
    slack.refresh_from_db(), teams.refresh_from_db()
    assert slack.last_sent_at and teams.last_sent_at


def test_a_test_message_goes_to_a_paused_channel_too(connect, manager, chat_server, run_jobs):
    channel = connect(chat_server.url("/slack/paused"))
    chat.set_paused(channel=channel, actor=manager, paused=True)
    chat.send_test_message(channel=channel, actor=manager)
    run_jobs()
    (hit,) = chat_server.received("/slack/paused")
    assert hit.body["blocks"][0]["text"]["text"] == "Test message from Baton for Support Desk"


@pytest.mark.parametrize("answer", ["gone", "missing"])
def test_a_gone_channel_is_disabled_and_its_managers_told_once(
    connect, program, manager, chat_server, run_jobs, answer
):
    channel = connect(chat_server.url(f"/slack/{answer}"))
    for title in ("First", "Second"):
        issue_services.create_issue(program=program, actor=manager, title=title, level=5)
    run_jobs()
    channel.refresh_from_db()
    assert channel.state == Channel.State.DISABLED and "removed" in channel.disabled_reason
    first, second = messages(channel=channel)
    assert (first.state, second.state) == (ChannelMessage.State.FAILED, ChannelMessage.State.DROPPED)
    assert len(chat_server.hits) == 1
    told = Notification.objects.filter(kind="chat_channel_disabled")
    assert [n.user for n in told] == [manager]
    # A new address brings it back.
    chat.update_channel(channel=channel, actor=manager, name=channel.name, url=chat_server.url("/slack/new"), **ALL)
    channel.refresh_from_db()
    assert channel.state == Channel.State.ACTIVE


def test_a_slow_server_hits_the_deadline_and_the_message_waits_for_its_next_try(
    connect, manager, chat_server, settings
):
    settings.INTEGRATIONS_WEBHOOK_DEADLINE = 0.5
    chat_server.slow_seconds = 2
    channel = connect(chat_server.url("/slack/slow"))
    message = chat.send_test_message(channel=channel, actor=manager)
    started = timezone.now()
    outcome = chat.send_message(message_id=message.pk)
    assert (timezone.now() - started).total_seconds() < 1.8
    message.refresh_from_db()
    assert outcome == chat.Outcome(ChannelMessage.State.PENDING, retry_in=chat.BACKOFF[0])
    assert message.attempts == 1 and message.last_error.startswith("No answer in time")
    # The sweep leaves a message alone until its next try is long past (its job was lost).
    ChannelMessage.objects.filter(pk=message.pk).update(slot_at=timezone.now() + timedelta(minutes=30))
    long_ago = timezone.now() - timedelta(hours=1)
    OutboxMessage.objects.update(sent_at=long_ago, created_at=long_ago)  # its retry was lost with the worker
    assert chat.requeue_unsent_messages(now=timezone.now() + timedelta(minutes=15)) == 0
    assert chat.requeue_unsent_messages(now=timezone.now() + timedelta(minutes=45)) == 1


def test_a_refused_payload_fails_without_retrying(connect, manager, chat_server):
    channel = connect(chat_server.url("/slack/strict"))
    message = chat.send_test_message(channel=channel, actor=manager)
    ChannelMessage.objects.filter(pk=message.pk).update(payload={"text": ""})
    assert chat.send_message(message_id=message.pk).state == ChannelMessage.State.FAILED
    message.refresh_from_db()
    assert message.last_error == "The address refused the message (400)."


def test_a_private_address_is_refused_at_send_time_too(connect, manager, chat_server, settings):
    channel = connect(chat_server.url("/slack/private"))
    settings.INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS = []
    message = chat.send_test_message(channel=channel, actor=manager)
    outcome = chat.send_message(message_id=message.pk)
    message.refresh_from_db()
    assert outcome.state == ChannelMessage.State.FAILED
    assert message.last_error == "Refused: 127.0.0.1 is not a public internet address"
    assert not chat_server.hits


def test_messages_wait_for_their_slot_one_interval_apart(connect, manager, settings):
    settings.INTEGRATIONS_WEBHOOK_INTERVAL = 1
    channel = connect()
    now = timezone.now()
    first, second, third = (
        chat._new_message(channel, Event.TEST, f"k{n}", chat.Post(title="x"), now=now) for n in range(3)
    )
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        assert chat._take_slot(first, channel, now) == 0
        assert chat._take_slot(second, channel, now) == 1
        assert chat._take_slot(third, channel, now) == 2
        # The second message keeps its slot; at its time it goes.
        assert chat._take_slot(second, channel, now + timedelta(seconds=0.5)) == 0.5
        assert chat._take_slot(second, channel, now + timedelta(seconds=1)) == 0


def test_removing_a_channel_drops_what_waits(connect, program, manager, run_jobs, chat_server):
    channel = connect(chat_server.url("/slack/removed"))
    issue_services.create_issue(program=program, actor=manager, title="Cancelling", level=5)
    chat.delete_channel(channel=channel, actor=manager)
    assert run_jobs() == ["gone"]
    assert not chat_server.hits


def test_an_outsider_cannot_touch_another_programs_channel(connect, outsider):
    from django.core.exceptions import PermissionDenied

    channel = connect()
    with pytest.raises(PermissionDenied):
        chat.send_test_message(channel=channel, actor=outsider)
    with pytest.raises(PermissionDenied):
        chat.delete_channel(channel=channel, actor=outsider)
    assert MembershipFactory  # the factories stay importable for the helpers above


def test_a_low_recovery_answer_posts_once_to_the_channels_that_asked_for_it(desk, boss, ann):
    chat.create_channel(program=desk, actor=boss, kind=ChatKind.SLACK, name="#wanted", url=SLACK, **ALL)
    chat.create_channel(program=desk, actor=boss, kind=ChatKind.SLACK, name="#quiet", url=SLACK + "Q", on_overdue=True)
    issue = issue_services.create_issue(
        program=desk, actor=ann, title="Router again", words="Down.", level=2, customer_email="kim@example.com"
    )
    issue = issue_services.resolve(issue=issue, actor=ann, resolution="Replaced it.", **closing(issue))
    asked_at = issue.resolved_at + timedelta(days=15)
    assert background.open_recovery_checks(now=asked_at) == 1
    check = RecoveryCheck.objects.get(issue=issue)
    issue_services.record_recovery_answer(issue=issue, question=check.token, score="1", now=asked_at)
    (message,) = messages(event=Event.RECOVERY_REOPENED)
    assert message.channel.name == "#wanted"
    assert "Router again" in str(message.payload) and "kim@example.com" not in str(message.payload)
    with pytest.raises(ValidationError):  # answered already: nothing reopens, nothing more is posted
        issue_services.record_recovery_answer(issue=issue, question=check.token, score="1", now=asked_at)
    assert len(messages(event=Event.RECOVERY_REOPENED)) == 1
