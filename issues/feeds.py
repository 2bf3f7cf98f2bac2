"""Poll RSS/Atom feeds of web mentions into the triage list.

Each feed is fetched with a timeout and conditional headers (ETag,
Last-Modified) and parsed with feedparser. Entries are stored once per feed
(deduplicated by entry id). Google Alerts wraps every link in a redirect whose
`url=` parameter is the real target and marks matched words with <b>: we store
the real link and clean text. A broken, slow or malformed feed records its error
on the feed and never stops the others.
"""

import html
import http.client
import logging
import re
import socket
import ssl
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
            raise FeedProblem(HTTP_ONLY)
        status, body, headers = _fetch(feed, timeout)
        if status == 304:
            result.not_modified = True
            entries = []
        else:
            if len(body) > MAX_BYTES:
                raise FeedProblem(TOO_LARGE)
            parsed = feedparser.parse(body)
            problem = parsed.get("bozo_exception")
            if parsed.bozo and not isinstance(problem, BENIGN):
                log.info("Mention feed %s is not valid RSS or Atom: %s", feed.pk, problem)
                raise FeedProblem(NOT_A_FEED)
            if not parsed.get("version") and not parsed.entries:
                raise FeedProblem(NOT_A_FEED)
            entries = parsed.entries
            feed.etag = (headers.get("ETag") or headers.get("Etag") or "")[:255]
            feed.modified = (headers.get("Last-Modified") or "")[:100]
        result.new = _store(feed, entries, now)
    except Exception as error:  # noqa: BLE001 — any failure of one feed is reported, never raised
        result.error = plain_error(error)
        log.warning("Mention feed %s failed: %s (%r)", feed.pk, result.error, error)
        MentionFeed.objects.filter(pk=feed.pk).update(
            last_polled_at=now, last_error=result.error, failures=feed.failures + 1
        )
        return result
    MentionFeed.objects.filter(pk=feed.pk).update(
        last_polled_at=now, last_ok_at=now, last_error="", failures=0, etag=feed.etag, modified=feed.modified
    )
    return result


class FeedProblem(ValueError):
    """What was wrong with a feed's answer, already in words for the feed's page."""


# What a failed poll says on the feeds page: one plain sentence per kind of failure.
# The technical detail goes to the log, never to the page.
HOST_NOT_FOUND = "We could not find that address. Check it for typing mistakes."
NO_ANSWER = "The server did not answer in time. We will try again at the next poll."
SLOW_ANSWER = "The server did not send the whole feed within %(seconds)g seconds. We will try again at the next poll."
REFUSED = "The server refused the connection."
UNREACHABLE = "The server could not be reached, or it closed the connection before answering."
NOT_A_FEED = "That address did not return a feed (RSS or Atom). Check that it is the feed's address, not a web page's."
TLS_CERTIFICATE = "The server's security certificate could not be checked, so the feed was not read."
TLS_FAILED = "A secure (https) connection to the server could not be made."
HTTP_ONLY = "Only http:// and https:// feed addresses can be polled."
TOO_LARGE = "The feed is larger than 5 MB."
NOTHING_THERE = "The server says there is nothing at that address (%(code)s)."
NOT_ALLOWED = "The server refused to give us the feed (%(code)s): it may need a sign-in."
SLOW_DOWN = "The server asked us to poll less often (%(code)s). We will try again later."
SERVER_TROUBLE = "The server had a problem (%(code)s). We will try again at the next poll."
REDIRECTED_AWAY = "The address sends us on to somewhere that is not an http:// or https:// feed (%(code)s)."
OTHER_STATUS = "The server answered %(code)s %(reason)s instead of the feed."
UNREADABLE = "The feed could not be read."


def _http_status(error: urllib.error.HTTPError) -> str:
    values = {"code": error.code, "reason": error.reason or ""}
    if error.code in (404, 410):
        return NOTHING_THERE % values
    if error.code in (401, 403):
        return NOT_ALLOWED % values
    if 300 <= error.code < 400:
        return REDIRECTED_AWAY % values
    if error.code == 429:
        return SLOW_DOWN % values
    if error.code >= 500:
        return SERVER_TROUBLE % values
    return (OTHER_STATUS % values).replace("  ", " ")


def plain_error(error: BaseException) -> str:
    """Return what a failed poll says on the feeds page: a plain sentence, never "[Errno -2] …".

    urllib wraps most connection failures in URLError; the cause is its reason.
    """
    if isinstance(error, urllib.error.HTTPError):
        return _http_status(error)
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, FeedProblem):
        return str(cause)
    if isinstance(cause, PrivateAddressError):
        return PRIVATE_ADDRESS % {"host": cause.host}
    if isinstance(cause, DeadlineExceeded):
        return SLOW_ANSWER % {"seconds": cause.seconds}
    if isinstance(cause, socket.gaierror):
        return HOST_NOT_FOUND
    if isinstance(cause, ssl.SSLCertVerificationError):
        return TLS_CERTIFICATE
    if isinstance(cause, ssl.SSLError):
        return TLS_FAILED
    if isinstance(cause, TimeoutError) or "timed out" in str(cause):
        return NO_ANSWER
    if isinstance(cause, ConnectionRefusedError):
        return REFUSED
    if isinstance(cause, OSError | http.client.HTTPException):
        return UNREACHABLE
    if isinstance(error, urllib.error.URLError) and "unknown url type" in str(cause):
        return HTTP_ONLY
    return UNREADABLE


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
    """Poll the feed with this id now (someone asked to); return None if it was removed or paused meanwhile."""
    feed = MentionFeed.objects.filter(pk=feed_id, is_active=True).first()
    return poll_feed(feed=feed, timeout=timeout) if feed else None


def poll_all(*, timeout: float | None = None) -> list[PollResult]:
    """Poll every active feed; one failing feed never stops the others."""
    return [poll_feed(feed=feed, timeout=timeout) for feed in MentionFeed.objects.filter(is_active=True)]
