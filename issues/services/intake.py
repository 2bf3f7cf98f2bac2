"""Ways in: the public form, customers' notes, mentions and mention feeds."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import require_manager, require_member
from core.locks import lock_for_transaction
from core.outbox import enqueue, queued_args

from .. import notices
from ..fetching import private_literal
from ..models import (
    HotIssue,
    IntakeAttempt,
    IssueEvent,
    Mention,
    MentionFeed,
    Source,
    TrackingLinkEmail,
)
from .common import (
    CONTACT_REQUIRED,
    CUSTOMER_NOTE_LIMIT,
    CUSTOMER_NOTE_MAX,
    CUSTOMER_NOTE_REQUIRED,
    CUSTOMER_NOTE_TOO_LONG,
    CUSTOMER_NOTE_WINDOW,
    CUSTOMER_NOTES_LIMITED,
    FEED_HTTP_ONLY,
    FEED_NAME_REQUIRED,
    FEED_NOT_PUBLIC,
    FEED_PAUSED,
    MENTION_DECIDED,
    PUBLIC_FORM_LIMIT,
    PUBLIC_FORM_WINDOW,
    PUBLIC_SUMMARY_MAX,
    PUBLIC_SUMMARY_REQUIRED,
    PUBLIC_SUMMARY_TOO_LONG,
    PUBLIC_WORDS_REQUIRED,
    RATE_LIMITED,
    _event,
    _locked,
    _queue_tracking_link,
    tells_customer,
)
from .creating import create_issue


@transaction.atomic
def submit_public_form(
    *,
    program: Program,
    address: str,
    what_happened: str,
    level: int,
    summary: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    honeypot: str = "",
    now: datetime | None = None,
) -> HotIssue | None:
    """Create a hot issue from the public form, limited per program and address.

    The count and the new attempt are serialised per program and address, so
    thirty submissions at the same instant still let only the limit through.
    `honeypot` is the form's field hidden from people: when a bot has filled
    it in, nothing is stored or counted and None is returned (the bot is told
    all went well). `summary`, the customer's own few words, is the issue's
    title. A customer who gave an e-mail address is sent their tracking link
    and their advocate's name once this commits.
    """
    if honeypot:
        return None
    now = now or timezone.now()
    lock_for_transaction(f"intake:{program.pk}:{address}")
    recent = IntakeAttempt.objects.filter(program=program, address=address, at__gte=now - PUBLIC_FORM_WINDOW).count()
    if recent >= PUBLIC_FORM_LIMIT:
        raise ValidationError(RATE_LIMITED, code="rate_limited")
    errors = {}
    what_happened = (what_happened or "").strip()
    if not what_happened:
        errors["what_happened"] = PUBLIC_WORDS_REQUIRED
    summary = " ".join((summary or "").split())
    if not summary:
        errors["summary"] = PUBLIC_SUMMARY_REQUIRED
    elif len(summary) > PUBLIC_SUMMARY_MAX:
        errors["summary"] = ValidationError(PUBLIC_SUMMARY_TOO_LONG, params={"limit": PUBLIC_SUMMARY_MAX})
    if not (email or "").strip() and not (phone or "").strip():
        errors["email"] = CONTACT_REQUIRED
    if errors:
        raise ValidationError(errors)
    IntakeAttempt.objects.create(program=program, address=address, at=now)
    issue = create_issue(
        program=program,
        actor=None,
        title=summary,
        words=what_happened,
        level=level,
        source=Source.CUSTOMER_FORM,
        customer_name=name,
        customer_email=email,
        customer_phone=phone,
    )
    if tells_customer(issue):
        _queue_tracking_link(issue, reason=TrackingLinkEmail.Reason.RECEIVED, key=f"tracking-link-{issue.pk}-received")
    return issue


@transaction.atomic
def add_customer_note(*, issue: HotIssue, text: str, now: datetime | None = None) -> IssueEvent:
    """Add what the customer wrote on their tracking page to the issue's timeline, and tell the owner.

    Limited per issue (that is, per tracking link): the count and the new note
    are serialised by the issue's row lock.
    """
    issue = _locked(issue)
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"information": CUSTOMER_NOTE_REQUIRED})
    if len(text) > CUSTOMER_NOTE_MAX:
        raise ValidationError(
            {"information": ValidationError(CUSTOMER_NOTE_TOO_LONG, params={"limit": CUSTOMER_NOTE_MAX})}
        )
    recent = issue.events.filter(kind=IssueEvent.Kind.CUSTOMER_NOTE, at__gte=now - CUSTOMER_NOTE_WINDOW).count()
    if recent >= CUSTOMER_NOTE_LIMIT:
        raise ValidationError(CUSTOMER_NOTES_LIMITED, code="rate_limited")
    event = _event(issue, IssueEvent.Kind.CUSTOMER_NOTE, None, "The customer added information", text, at=now)
    notices.tell_owner_of_customer_note(issue, event)
    return event


@transaction.atomic
def promote_mention(
    *, mention: Mention, actor: AbstractBaseUser, level: int, public: bool = True, title: str = ""
) -> HotIssue:
    """Turn a web mention into a hot issue."""
    require_member(program=mention.program, actor=actor)
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    if mention.state != Mention.State.NEW:
        raise ValidationError(MENTION_DECIDED, code="decided")
    link, words = mention.link, mention.snippet
    try:
        URLValidator(schemes=["http", "https"])(link)
        if len(link) > HotIssue._meta.get_field("source_url").max_length:
            raise ValidationError("too long")
    except ValidationError:
        # Keep an odd or very long link in the words rather than lose it.
        link, words = "", f"{words}\n\n{mention.link}".strip()
    issue = create_issue(
        program=mention.program,
        actor=actor,
        title=(title or mention.title)[:200],
        words=words,
        level=level,
        source=Source.WEB_MENTION,
        source_url=link,
        public=public,
    )
    mention.state = Mention.State.PROMOTED
    mention.issue = issue
    mention.decided_by = actor
    mention.save(update_fields=["state", "issue", "decided_by"])
    return issue


@transaction.atomic
def dismiss_mention(*, mention: Mention, actor: AbstractBaseUser) -> Mention:
    require_member(program=mention.program, actor=actor)
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    if mention.state != Mention.State.NEW:
        raise ValidationError(MENTION_DECIDED, code="decided")
    mention.state = Mention.State.DISMISSED
    mention.decided_by = actor
    mention.save(update_fields=["state", "decided_by"])
    return mention


def _feed_fields(*, name: str, url: str) -> tuple[str, str]:
    """Return the feed's name and address stripped, or raise the form's messages for what is wrong.

    The one check of a feed address, for adding and editing: only http(s), and
    nothing on this machine or a private network (the poller refuses those too).
    """
    name, url = (name or "").strip(), (url or "").strip()
    errors = {}
    if not name:
        errors["name"] = FEED_NAME_REQUIRED
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = FEED_HTTP_ONLY
    elif url and private_literal(url):
        errors["url"] = FEED_NOT_PUBLIC
    if errors:
        raise ValidationError(errors)
    return name, url


@transaction.atomic
def add_mention_feed(
    *, program: Program, actor: AbstractBaseUser, name: str, url: str, is_active: bool = True
) -> MentionFeed:
    """Add an RSS/Atom feed of web mentions to poll; only a feed on the public internet."""
    require_manager(program=program, actor=actor)
    name, url = _feed_fields(name=name, url=url)
    feed = MentionFeed(program=program, name=name, url=url, is_active=is_active)
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def edit_mention_feed(
    *, feed: MentionFeed, actor: AbstractBaseUser, name: str, url: str, is_active: bool | None = None
) -> MentionFeed:
    """Rename a feed or change its address (and, if given, pause or resume it).

    A new address is a new feed to the poller: its caching headers and its
    last error belong to the old one and are cleared, so the next poll starts afresh.
    """
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    name, url = _feed_fields(name=name, url=url)
    if url != feed.url:
        feed.etag = feed.modified = feed.last_error = ""
        feed.failures = 0
        feed.last_polled_at = feed.last_ok_at = None
    feed.name, feed.url = name, url
    if is_active is not None:
        feed.is_active = is_active
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def pause_mention_feed(*, feed: MentionFeed, actor: AbstractBaseUser, paused: bool) -> MentionFeed:
    """Pause a feed (the periodic poll skips it) or resume it; its mentions stay as they are."""
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.is_active == paused:
        feed.is_active = not paused
        feed.save(update_fields=["is_active"])
    return feed


@transaction.atomic
def remove_mention_feed(*, feed: MentionFeed, actor: AbstractBaseUser) -> int:
    """Remove a feed and the mentions still waiting for triage; return how many of those went.

    Issues made from its mentions stay, and so do the mentions already turned
    into issues or dismissed (kept without their feed), so the health figures
    of past terms do not change.
    """
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    dropped, _ = Mention.objects.filter(feed=feed, state=Mention.State.NEW).delete()
    Mention.objects.filter(feed=feed).update(feed=None)
    feed.delete()
    return dropped


POLL_FEED_TASK = "issues.tasks.poll_mention_feed"
# A poll asked for this recently (or still waiting for the broker) is not queued again.
POLL_AGAIN_AFTER = timedelta(minutes=1)


@transaction.atomic
def request_feed_poll(*, feed: MentionFeed, actor: AbstractBaseUser) -> bool:
    """Queue a poll of one feed now, on the worker; return False if one is already on its way.

    The fetch may take many seconds: a web request never waits for it.
    """
    require_member(program=feed.program, actor=actor)
    if not feed.is_active:
        raise ValidationError(FEED_PAUSED, code="paused")
    if (feed.pk,) in queued_args(POLL_FEED_TASK, since=timezone.now() - POLL_AGAIN_AFTER):
        return False
    enqueue(POLL_FEED_TASK, args=[feed.pk])
    return True
