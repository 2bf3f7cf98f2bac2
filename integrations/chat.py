"""Outbound Slack and Teams: a program's channels, the messages its events make, and sending them once.

A manager connects a channel by pasting the webhook address Slack (an
incoming webhook) or Teams (a workflow "when a Teams webhook request is
received") made for it, and ticks the events it should hear of. When one of
those happens, the hook participants (integrations.receivers) call
`post_event` inside the action's transaction: it writes one ChannelMessage
per channel, keyed on the event, and queues its sending through the outbox, so
a message leaves only once the action committed, and an event raised again
(a periodic job asking again) posts nothing new.

`send_message` (a Celery task on "io") sends one message:

- at most one message per INTEGRATIONS_WEBHOOK_INTERVAL seconds per channel:
  each message takes the channel's next free slot and waits for it (the task
  retries with that countdown);
- Slack's 429 pauses the whole channel for its Retry-After;
- a 404 or 410 (the channel or the webhook was deleted) disables the channel,
  drops what was still waiting for it and tells the program's managers, once;
- other failures are tried again with growing pauses, MAX_ATTEMPTS times;
- every post has a total deadline and goes to the public internet only
  (INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS allows private networks), through the
  same guard as the mention feeds (issues.fetching).

The message row is locked while it is sent and stamped in the same
transaction, so a task delivered twice sends once.
"""

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from advocacy.permissions import Actor, require_manager
from core.outbox import enqueue, enqueue_missing
from issues.fetching import DeadlineExceeded, PrivateAddressError, allowing, fetch, private_literal
from rotations.notices import Notice, tell_managers

from . import chat_format
from .chat_format import Post
from .models import CHANNEL_EVENTS, Channel, ChannelMessage, ChatKind, Event

SEND_TASK: Final = "integrations.tasks.send_channel_message"

NAME_REQUIRED: Final = "Give the channel a name, e.g. “#support-escalations”."
URL_REQUIRED: Final = "Paste the webhook address {tool} made for the channel."
URL_NOT_HTTPS: Final = "The webhook address must start with https://."
URL_PRIVATE: Final = "That address is on a private network; Baton posts to the public internet only."
URL_NOT_SLACK: Final = "That is not a Slack incoming-webhook address (https://hooks.slack.com/services/…)."
BAD_KIND: Final = "Choose Slack or Microsoft Teams."
NO_EVENT: Final = "Tick at least one thing the channel should hear of."
CANNOT_TEST_DISABLED: Final = "This channel is disabled; give it a working address first."

MAX_ATTEMPTS: Final = 6
# Pause before each new try after a failure (seconds), the last one repeated.
BACKOFF: Final = (10, 30, 120, 600, 1800)
# A Retry-After longer than this is not believed.
MAX_RETRY_AFTER: Final = 3600
MAX_ANSWER: Final = 64 * 1024
# A message still waiting this long after its time lost its job: the sweep queues it again.
STUCK_AFTER: Final = timedelta(minutes=10)
# Messages are kept this long, then forgotten.
KEEP_MESSAGES: Final = timedelta(days=90)
LAST_MESSAGES: Final = 30

TEST_KEY_PREFIX: Final = "test:"


# ---------------------------------------------------------------- channels


def _allowed_networks() -> list[str]:
    return list(getattr(settings, "INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS", []))


def _in_allowed_network(url: str) -> bool:
    """Whether the address names a host in an allowed private network (there plain http is fine too)."""
    with allowing(_allowed_networks()):
        allowed_private = not private_literal(url)
    with allowing([]):
        private = private_literal(url)
    return private and allowed_private


def _check_url(kind: str, url: str) -> str | None:
    tool = ChatKind(kind).label if kind in ChatKind.values else "the tool"
    if not url:
        return URL_REQUIRED.format(tool=tool)
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return "That is not a web address. " + URL_REQUIRED.format(tool=tool)
    if len(url) > 1000:
        return "That address is longer than 1000 characters."
    internal = _in_allowed_network(url)
    if not url.startswith("https://") and not internal:
        return URL_NOT_HTTPS
    with allowing(_allowed_networks()):
        if private_literal(url):
            return URL_PRIVATE
    host = (urlparse(url).hostname or "").lower()
    if kind == ChatKind.SLACK and not internal and host != "hooks.slack.com" and not host.endswith(".slack.com"):
        return URL_NOT_SLACK
    return None


def _events(values: dict) -> dict[str, bool]:
    return {f"on_{event.value}": bool(values.get(f"on_{event.value}", False)) for event in CHANNEL_EVENTS}


def _check(kind: str, name: str, url: str, events: dict[str, bool]) -> dict:
    errors = {}
    if kind not in ChatKind.values:
        errors["kind"] = BAD_KIND
    if not name:
        errors["name"] = NAME_REQUIRED
    error = _check_url(kind, url)
    if error:
        errors["url"] = error
    if not any(events.values()):
        errors["__all__"] = NO_EVENT
    return errors


@transaction.atomic
def create_channel(*, program, actor: Actor, kind: str, name: str, url: str, **events) -> Channel:
    """Connect a Slack or Teams channel to a program, with the events it hears of."""
    require_manager(program=program, actor=actor)
    name = " ".join((name or "").split())
    url = (url or "").strip()
    chosen = _events(events)
    errors = _check(kind, name, url, chosen)
    if errors:
        raise ValidationError(errors)
    channel = Channel(program=program, kind=kind, name=name, url=url, **chosen)
    channel.created_by = actor if getattr(actor, "is_authenticated", False) else None
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def update_channel(*, channel: Channel, actor: Actor, name: str, url: str = "", **events) -> Channel:
    """Rename a channel, choose its events again, or give it a new webhook address (empty: keep the old one).

    A new address brings a disabled channel back.
    """
    require_manager(program=channel.program, actor=actor)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    name = " ".join((name or "").split())
    url = (url or "").strip()
    chosen = _events(events)
    errors = _check(channel.kind, name, url or channel.url, chosen)
    if errors:
        raise ValidationError(errors)
    channel.name = name
    for field, value in chosen.items():
        setattr(channel, field, value)
    if url and url != channel.url:
        channel.url = url
        if channel.state == Channel.State.DISABLED:
            channel.state = Channel.State.ACTIVE
            channel.disabled_reason = ""
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def set_paused(*, channel: Channel, actor: Actor, paused: bool) -> Channel:
    """Pause a channel (nothing is posted, what waits is dropped) or resume it."""
    require_manager(program=channel.program, actor=actor)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.state == Channel.State.DISABLED:
        raise ValidationError(CANNOT_TEST_DISABLED)
    channel.state = Channel.State.PAUSED if paused else Channel.State.ACTIVE
    channel.save(update_fields=["state"])
    return channel


@transaction.atomic
def delete_channel(*, channel: Channel, actor: Actor) -> None:
    """Remove a channel and its messages (what was waiting is never sent)."""
    require_manager(program=channel.program, actor=actor)
    channel.delete()


@transaction.atomic
def send_test_message(*, channel: Channel, actor: Actor, now: datetime | None = None) -> ChannelMessage:
    """Queue a test message to a channel (also a paused one), through the same sending as every message."""
    require_manager(program=channel.program, actor=actor)
    if channel.state == Channel.State.DISABLED:
        raise ValidationError(CANNOT_TEST_DISABLED)
    now = now or timezone.now()
    heard = ", ".join(event.label.lower() for event in channel.events) or "nothing yet"
    post = Post(
        title=f"Test message from Baton for {channel.program.name}",
        lines=[f"This channel is connected. It will hear of: {heard}."],
        path=channel.program.get_absolute_url(),
        link_label="Open the program in Baton",
    )
    message = _new_message(channel, Event.TEST, f"{TEST_KEY_PREFIX}{now.isoformat()}", post, now=now)
    return message


# ---------------------------------------------------------------- events


def _new_message(channel: Channel, event: str, key: str, post: Post, *, issue=None, now=None) -> ChannelMessage | None:
    """Write one message (none when the channel has it already) and queue its sending after commit."""
    try:
        with transaction.atomic():
            message = ChannelMessage.objects.create(
                channel=channel,
                event=event,
                key=key[:200],
                issue=issue,
                summary=chat_format.clean(post.title, 300),
                payload=chat_format.payload(channel.kind, post),
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        return None
    enqueue(SEND_TASK, args=[message.pk])
    return message


def channels_for(*, program, event: str, since: datetime | None = None) -> list[Channel]:
    """Return the program's active channels that hear of `event` (connected by `since`, when given)."""
    query = Channel.objects.filter(program=program, state=Channel.State.ACTIVE, **{f"on_{event}": True})
    if since is not None:
        query = query.filter(created_at__lte=since)
    return list(query)


def post_event(
    *, program, event: str, key: str, post: Post, issue=None, since: datetime | None = None
) -> list[ChannelMessage]:
    """Post `post` to every active channel of `program` that hears of `event`, once per channel and `key`.

    Called inside the action's transaction; a fixed number of queries per channel.
    """
    channels = channels_for(program=program, event=event, since=since)
    if not channels:
        return []
    known = set(ChannelMessage.objects.filter(channel__in=channels, key=key[:200]).values_list("channel_id", flat=True))
    made = []
    for channel in channels:
        if channel.pk in known:
            continue
        message = _new_message(channel, event, key, post, issue=issue)
        if message is not None:
            made.append(message)
    return made


# ---------------------------------------------------------------- sending


@dataclass(frozen=True)
class Outcome:
    """What one run of the task did: the message's state, and when to try again (seconds), if it must."""

    state: str
    retry_in: float | None = None


class _Gone(Exception):
    pass


class _RateLimited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:g} s")
        self.seconds = seconds


class _Refused(Exception):
    """A permanent refusal (a 4xx other than 404, 410 and 429): trying again sends the same thing."""


def _interval() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "INTEGRATIONS_WEBHOOK_INTERVAL", 1)))


def _retry_after(headers) -> float:
    try:
        seconds = float((headers or {}).get("Retry-After", "") or 1)
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def post_json(url: str, payload: dict) -> int:
    """POST `payload` to a webhook address within the deadline; return the status, or raise what went wrong."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 — the scheme was checked (https, or an allowed network)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Baton"},
    )
    deadline = float(getattr(settings, "INTEGRATIONS_WEBHOOK_DEADLINE", 10))
    try:
        status, _, _ = fetch(
            request,
            deadline=deadline,
            read_timeout=deadline + 1,  # the total deadline ends a slow answer, with its own message
            max_bytes=MAX_ANSWER,
            allowed_networks=_allowed_networks(),
        )
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise _Gone(f"The address answered {error.code}: the channel or its webhook was removed.") from error
        if error.code == 429:
            raise _RateLimited(_retry_after(error.headers)) from error
        if 400 <= error.code < 500:
            raise _Refused(f"The address refused the message ({error.code}).") from error
        raise
    except urllib.error.URLError as error:
        if isinstance(error.reason, PrivateAddressError):
            raise _Refused(f"Refused: {error.reason}") from error
        raise
    except PrivateAddressError as error:
        raise _Refused(f"Refused: {error}") from error
    return status


def _failure(error: BaseException) -> str:
    if isinstance(error, DeadlineExceeded | TimeoutError):
        return f"No answer in time: {error}"
    if isinstance(error, PrivateAddressError):
        return f"Refused: {error}"
    if isinstance(error, urllib.error.HTTPError):
        return f"The address answered {error.code}."
    if isinstance(error, urllib.error.URLError):
        return f"Could not connect: {error.reason}"[:300]
    return f"{type(error).__name__}: {error}"[:300]


def _take_slot(message: ChannelMessage, channel: Channel, now: datetime) -> float:
    """Give the message its send slot on the channel; return how long to wait for it (0: go now).

    A message keeps the slot it took; it takes a new one when its slot passed but
    another message went out less than an interval ago (a worker ran late).
    """
    interval = _interval()
    if channel.paused_until is not None and channel.paused_until > now:
        return (channel.paused_until - now).total_seconds()
    spaced = channel.last_sent_at is None or channel.last_sent_at + interval <= now
    if message.slot_at is not None and message.slot_at > now:
        return (message.slot_at - now).total_seconds()
    if message.slot_at is not None and spaced:
        channel.last_sent_at = now
        channel.save(update_fields=["last_sent_at"])
        return 0.0
    free = [now]
    if channel.next_slot_at:
        free.append(channel.next_slot_at)
    if channel.last_sent_at:
        free.append(channel.last_sent_at + interval)
    slot = max(free)
    channel.next_slot_at = slot + interval
    message.slot_at = slot
    message.save(update_fields=["slot_at"])
    if slot <= now:
        channel.last_sent_at = now
        channel.save(update_fields=["next_slot_at", "last_sent_at"])
        return 0.0
    channel.save(update_fields=["next_slot_at"])
    return (slot - now).total_seconds()


def _drop(message: ChannelMessage, reason: str) -> Outcome:
    message.state = ChannelMessage.State.DROPPED
    message.last_error = reason[:500]
    message.save(update_fields=["state", "last_error"])
    return Outcome(message.state)


def send_message(*, message_id: int, now: datetime | None = None) -> Outcome:
    """Send one channel message unless it was sent (or given up) already; see the module docstring."""
    now = now or timezone.now()
    with transaction.atomic():
        message = ChannelMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).only("pk").first()
        if message is None:
            return Outcome("busy" if ChannelMessage.objects.filter(pk=message_id).exists() else "gone")
        message = ChannelMessage.objects.get(pk=message_id)
        if message.state != ChannelMessage.State.PENDING:
            return Outcome(message.state)
        channel = Channel.objects.select_for_update().get(pk=message.channel_id)
        if channel.state == Channel.State.DISABLED:
            return _drop(message, f"The channel was disabled: {channel.disabled_reason}")
        if channel.state == Channel.State.PAUSED and message.event != Event.TEST:
            return _drop(message, "The channel was paused.")
        wait = _take_slot(message, channel, now)
        if wait > 0:
            return Outcome(message.state, retry_in=wait)
    with transaction.atomic():
        message = (
            ChannelMessage.objects.select_for_update(skip_locked=True)
            .select_related("channel__program")
            .filter(pk=message_id, state=ChannelMessage.State.PENDING)
            .first()
        )
        if message is None:
            return Outcome("busy")
        channel = message.channel
        message.attempts += 1
        try:
            post_json(channel.url, message.payload)
        except _Gone as error:
            _disable(channel, str(error), now=now)
            message.state = ChannelMessage.State.FAILED
            message.last_error = str(error)
        except _RateLimited as error:
            Channel.objects.filter(pk=channel.pk).update(paused_until=now + timedelta(seconds=error.seconds))
            message.slot_at = None
            message.last_error = f"Slowed down by the chat tool for {error.seconds:g} s."
            message.attempts -= 1  # a pause the tool asked for is not a failure
            message.save(update_fields=["slot_at", "last_error", "attempts"])
            return Outcome(message.state, retry_in=max(error.seconds, 0.05))
        except _Refused as error:
            message.state = ChannelMessage.State.FAILED
            message.last_error = str(error)
        except Exception as error:  # timeouts, refused connections, 5xx…: try again later
            message.last_error = _failure(error)[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = ChannelMessage.State.FAILED
            else:
                pause = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
                message.slot_at = now + timedelta(seconds=pause)  # its next try, which the sweep leaves alone
                message.save(update_fields=["attempts", "last_error", "slot_at"])
                return Outcome(message.state, retry_in=pause)
        else:
            message.state = ChannelMessage.State.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["state", "attempts", "last_error", "sent_at"])
        return Outcome(message.state)


def _disable(channel: Channel, reason: str, *, now: datetime) -> None:
    """Disable a channel whose address is gone, drop what waits for it, and tell the managers once."""
    Channel.objects.filter(pk=channel.pk).update(state=Channel.State.DISABLED, disabled_reason=reason[:300])
    address = hashlib.sha256(channel.url.encode()).hexdigest()[:16]
    notice = Notice(
        "chat_channel_disabled",
        f"{channel.get_kind_display()} channel “{channel.name}” stopped: its address is gone",
        (
            f"Baton could not post to “{channel.name}” in {channel.program.name}: {reason} "
            "It was disabled, so nothing more goes there. Make a new webhook in "
            f"{channel.get_kind_display()} and paste its address on the channel's page."
        ),
        channel.get_absolute_url(),
    )
    tell_managers(notice, program=channel.program, key=f"chat-channel-gone:{channel.pk}:{address}")


def requeue_unsent_messages(*, now: datetime | None = None) -> int:
    """Queue again the messages still waiting long after their time (their job was lost); return how many.

    On the way, forget messages older than KEEP_MESSAGES.
    """
    now = now or timezone.now()
    ChannelMessage.objects.filter(created_at__lt=now - KEEP_MESSAGES).delete()
    waiting = ChannelMessage.objects.filter(
        Q(slot_at__isnull=True) | Q(slot_at__lt=now - STUCK_AFTER),
        state=ChannelMessage.State.PENDING,
        created_at__lt=now - STUCK_AFTER,
    )
    ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:1000])
    return enqueue_missing(SEND_TASK, ids, since=now - STUCK_AFTER)


# ---------------------------------------------------------------- reads


def channels_of(*, program) -> list[Channel]:
    return list(Channel.objects.filter(program=program).order_by("name", "pk"))


def channel_of(*, program, pk: int) -> Channel | None:
    return Channel.objects.filter(program=program, pk=pk).first()


def last_messages(*, channel: Channel, limit: int = LAST_MESSAGES) -> list[ChannelMessage]:
    return list(ChannelMessage.objects.filter(channel=channel).defer("payload").order_by("-created_at", "-pk")[:limit])
