"""Poll RSS/Atom feeds of web mentions into the triage list.

Each feed is fetched with a timeout and conditional headers (ETag,
Last-Modified) and parsed with feedparser. Entries are stored once per feed
(deduplicated by entry id). Google Alerts wraps every link in a redirect whose
`url=` parameter is the real target and marks matched words with <b>: we store
the real link and clean text. A broken, slow or malformed feed records its error
on the feed and never stops the others.
"""

import html
import logging
import re
import urllib.error
import urllib.request
from calendar import timegm
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlparse

import feedparser
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags

from .fetching import DeadlineExceeded, PrivateAddressError, fetch
from .models import Mention, MentionFeed

log = logging.getLogger(__name__)

USER_AGENT = "Baton mention poller (+https://example.invalid/baton)"
MAX_BYTES = 5 * 1024 * 1024
PRIVATE_ADDRESS = "Only feeds on the public internet can be polled: %(host)s is a private or local address."
REDIRECT_HOSTS = ("google.", "www.google.")
# feedparser flags these but parses the feed correctly.
BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass
class PollResult:
    feed_id: int
    new: int = 0
    not_modified: bool = False
    error: str = ""


# The parameters Google adds around the target in its redirect links.
GOOGLE_PARAMS = re.compile(r"&(?:rct|sa|ct|cd|usg|ved|source|esrc|ust|cad|uact|opi|q)=")


def _target_of(query: str) -> str:
    """Return the whole `url=` (or `q=`) value of a Google redirect's query, with the target's own query string.

    Google usually percent-encodes the target, but not always: in
    `url=https://x.example/a?id=1&sort=new&ct=ga` the `&sort=new` belongs to the
    target, so the value runs up to the next parameter that is Google's.
    """
    for key in ("url", "q"):
        match = re.search(rf"(?:^|&){key}=", query)
        if match is None:
            continue
        rest = query[match.end() :]
        end = GOOGLE_PARAMS.search(rest)
        value = unquote(rest[: end.start()] if end else rest)
        if value.startswith(("http://", "https://")):
            return value
    return ""


def real_link(link: str) -> str:
    """Unwrap a Google redirect (…/url?…&url=REAL&…) to the real target; keep only http(s) links."""
    link = (link or "").strip()
    parsed = urlparse(link)
    if parsed.netloc.startswith(REDIRECT_HOSTS) or parsed.path == "/url":
        target = _target_of(parsed.query)
        if target:
            return target
    # A feed is outside data: never keep javascript:, data: or other schemes as a link.
    return link if urlparse(link).scheme in ("http", "https") else ""


def clean_text(text: str) -> str:
    """Remove markup such as <b>matched</b> and entities; collapse white space."""
    text = html.unescape(strip_tags(html.unescape(text or "")))
    return re.sub(r"\s+", " ", text).strip()


def _fetch(feed: MentionFeed, timeout: float) -> tuple[int, bytes, dict]:
    # poll_feed lets only http and https addresses through to here.
    request = urllib.request.Request(feed.url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    if feed.etag:
        request.add_header("If-None-Match", feed.etag)
    if feed.modified:
        request.add_header("If-Modified-Since", feed.modified)
    deadline = getattr(settings, "ISSUES_FEED_DEADLINE", 30)
    return fetch(request, deadline=max(deadline, timeout), read_timeout=timeout, max_bytes=MAX_BYTES)


def poll_feed(*, feed: MentionFeed, timeout: float | None = None) -> PollResult:
    """Fetch one feed and store its new entries; record any error on the feed."""
    timeout = timeout if timeout is not None else getattr(settings, "ISSUES_FEED_TIMEOUT", 10)
    result = PollResult(feed_id=feed.pk)
    now = timezone.now()
    try:
        if urlparse(feed.url).scheme not in ("http", "https"):
            raise ValueError("Only http and https addresses can be polled.")
        status, body, headers = _fetch(feed, timeout)
        if status == 304:
            result.not_modified = True
            entries = []
        else:
            if len(body) > MAX_BYTES:
                raise ValueError("The feed is larger than 5 MB.")
            parsed = feedparser.parse(body)
            problem = parsed.get("bozo_exception")
            if parsed.bozo and not isinstance(problem, BENIGN):
                raise ValueError(f"The feed is not valid RSS or Atom ({problem}).")
            if not parsed.get("version") and not parsed.entries:
                raise ValueError("The address did not return an RSS or Atom feed.")
            entries = parsed.entries
            feed.etag = (headers.get("ETag") or headers.get("Etag") or "")[:255]
            feed.modified = (headers.get("Last-Modified") or "")[:100]
        result.new = _store(feed, entries, now)
    except Exception as error:  # noqa: BLE001 — any failure of one feed is reported, never raised
        result.error = _describe(error)
        log.warning("Mention feed %s failed: %s", feed.pk, result.error)
        MentionFeed.objects.filter(pk=feed.pk).update(
            last_polled_at=now, last_error=result.error, failures=feed.failures + 1
        )
        return result
    MentionFeed.objects.filter(pk=feed.pk).update(
        last_polled_at=now, last_ok_at=now, last_error="", failures=0, etag=feed.etag, modified=feed.modified
    )
    return result


def _describe(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"The server answered {error.code} {error.reason}."
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, DeadlineExceeded):
            return _describe(reason)
        if isinstance(reason, PrivateAddressError):
            return PRIVATE_ADDRESS % {"host": reason.host}
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return "The feed did not answer in time."
        return f"The feed could not be reached ({reason})."
    if isinstance(error, DeadlineExceeded):
        return f"The feed did not send its whole answer within {error.seconds:g} seconds."
    if isinstance(error, TimeoutError):
        return "The feed did not answer in time."
    return str(error)[:500] or error.__class__.__name__


def _store(feed: MentionFeed, entries, now) -> int:
    new = 0
    for entry in entries:
        link = real_link(entry.get("link", ""))
        title = clean_text(entry.get("title", "")) or link or "(untitled mention)"
        entry_id = (entry.get("id") or entry.get("link") or title)[:500]
        snippet = clean_text(entry.get("summary", ""))
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(timegm(stamp), tz=UTC) if stamp else None
        try:
            with transaction.atomic():
                Mention.objects.create(
                    feed=feed,
                    program_id=feed.program_id,
                    entry_id=entry_id,
                    title=title[:500],
                    link=link[:2000],
                    snippet=snippet,
                    published_at=published,
                    fetched_at=now,
                )
        except IntegrityError:
            continue  # seen before
        new += 1
    return new


def poll_feed_by_id(*, feed_id: int, timeout: float | None = None) -> PollResult | None:
    """Poll the feed with this id now (someone asked to); return None if it was deleted meanwhile."""
    feed = MentionFeed.objects.filter(pk=feed_id).first()
    return poll_feed(feed=feed, timeout=timeout) if feed else None


def poll_all(*, timeout: float | None = None) -> list[PollResult]:
    """Poll every active feed; one failing feed never stops the others."""
    return [poll_feed(feed=feed, timeout=timeout) for feed in MentionFeed.objects.filter(is_active=True)]
