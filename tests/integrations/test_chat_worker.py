"""Channel messages sent by a real Celery worker on Redis: spacing per channel, Slack's 429, retries after failures."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from core.outbox import flush_outbox
from integrations import chat
from integrations.models import ChannelMessage, ChatKind, Event
from tests.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ALL = {f"on_{event.value}": True for event in Event if event != Event.TEST}


@pytest.fixture
def connect(program, manager):
    def make(url, kind=ChatKind.SLACK):
        return chat.create_channel(program=program, actor=manager, kind=kind, name="#desk", url=url, **ALL)

    return make


def sent(count: int) -> bool:
    return ChannelMessage.objects.filter(state=ChannelMessage.State.SENT).count() >= count


def gaps(hits) -> list[float]:
    times = sorted(hit.at for hit in hits)
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def test_messages_to_one_channel_leave_at_most_one_a_second(connect, manager, chat_server, worker_queues, settings):
    settings.INTEGRATIONS_WEBHOOK_INTERVAL = 1
    channel = connect(chat_server.url("/slack/spaced"))
    other = connect(chat_server.url("/teams/other"), kind=ChatKind.TEAMS)
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        for _ in range(4):
            chat.send_test_message(channel=channel, actor=manager)
        chat.send_test_message(channel=other, actor=manager)
        flush_outbox()
        assert wait_for(lambda: sent(5), timeout=40)
    spaced = chat_server.received("/slack/spaced")
    assert len(spaced) == 4
    assert min(gaps(spaced)) >= 0.9, gaps(spaced)  # a second apart, give or take the clock's grain
    assert len(chat_server.received("/teams/other")) == 1


def test_slacks_429_is_honoured_for_its_retry_after(connect, manager, chat_server, worker_queues):
    channel = connect(chat_server.url("/slack/limit-2"))
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        message = chat.send_test_message(channel=channel, actor=manager)
        flush_outbox()
        assert wait_for(lambda: sent(1), timeout=30)
    hits = sorted(chat_server.hits, key=lambda hit: hit.at)
    assert [hit.status for hit in hits] == [429, 429, 200]
    assert min(gaps(hits)) >= 0.95  # Retry-After: 1
    message.refresh_from_db()
    assert message.attempts == 1  # the pauses the tool asked for are not failures


def test_a_failing_server_is_tried_again_with_growing_pauses(connect, manager, chat_server, worker_queues, monkeypatch):
    monkeypatch.setattr(chat, "BACKOFF", (0.3, 0.6, 1.2))
    channel = connect(chat_server.url("/teams/fail-2"), kind=ChatKind.TEAMS)
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        message = chat.send_test_message(channel=channel, actor=manager)
        flush_outbox()
        assert wait_for(lambda: sent(1), timeout=30)
    hits = sorted(chat_server.hits, key=lambda hit: hit.at)
    assert [hit.status for hit in hits] == [500, 500, 202]
    first, second = gaps(hits)
    assert first >= 0.3 and second >= 0.6
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (3, "")


def test_a_slow_server_is_cut_at_the_deadline_and_tried_again(
    connect, manager, chat_server, worker_queues, monkeypatch, settings
):
    settings.INTEGRATIONS_WEBHOOK_DEADLINE = 0.5
    chat_server.slow_seconds = 1.5
    monkeypatch.setattr(chat, "BACKOFF", (0.2,))
    monkeypatch.setattr(chat, "MAX_ATTEMPTS", 2)
    channel = connect(chat_server.url("/slack/slow"))
    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        message = chat.send_test_message(channel=channel, actor=manager)
        flush_outbox()
        assert wait_for(
            lambda: ChannelMessage.objects.filter(pk=message.pk, state=ChannelMessage.State.FAILED).exists(),
            timeout=30,
        )
    message.refresh_from_db()
    assert message.attempts == 2 and message.last_error.startswith("No answer in time")
