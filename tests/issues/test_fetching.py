"""Outgoing requests have a total deadline: a peer that drips its answer cannot hold a worker."""

import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from issues import feeds, fetching
from issues.models import MentionFeed
from tests.factories import MentionFeedFactory

pytestmark = pytest.mark.django_db

FEED = (Path(__file__).parent / "feeds" / "forum.rss").read_bytes()


class DripServer:
    """A real TCP server on localhost that sends its answer one byte at a time.

    `headers_first` sends the status line and headers at once and drips the
    body; otherwise it drips the status line too. It stops dripping after
    `limit` seconds and closes, so a client without a total deadline gets the
    whole (valid) answer in the end instead of an error.
    """

    def __init__(self, *, headers_first: bool, interval: float = 0.2, limit: float = 8.0):
        self.headers_first, self.interval, self.limit = headers_first, interval, limit
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {len(FEED)}\r\n\r\n".encode()
        started = time.monotonic()
        try:
            conn.recv(65536)
            if self.headers_first:
                conn.sendall(head)
                drip = FEED
            else:
                drip = head + FEED
            for index in range(len(drip)):
                if self.stop.is_set() or time.monotonic() - started > self.limit:
                    conn.sendall(drip[index:])
                    break
                conn.sendall(drip[index : index + 1])
                time.sleep(self.interval)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture(params=[True, False], ids=["body-drips", "headers-drip"])
def drip_server(request):
    server = DripServer(headers_first=request.param)
    yield f"http://127.0.0.1:{server.port}/feed.xml"
    server.close()


def test_a_dripping_feed_fails_at_the_total_deadline_not_after_the_whole_drip(drip_server, program, settings):
    settings.ISSUES_FEED_DEADLINE = 1
    feed = MentionFeedFactory(program=program, url=drip_server)
    result = feeds.poll_feed(feed=feed, timeout=1)
    assert result.new == 0
    assert result.error == feeds.SLOW_ANSWER % {"seconds": 1}
    feed = MentionFeed.objects.get(pk=feed.pk)
    assert feed.failures == 1 and feed.last_error == result.error


def test_fetch_raises_deadline_exceeded_with_the_peer_still_sending(drip_server):
    request = urllib.request.Request(drip_server)  # noqa: S310 — a local http server of the test
    with pytest.raises(fetching.DeadlineExceeded):
        fetching.fetch(request, deadline=0.5, read_timeout=5, max_bytes=10_000)


def test_a_quick_answer_is_unaffected_by_the_deadline(program, settings):
    server = DripServer(headers_first=True, interval=0, limit=0)
    try:
        feed = MentionFeedFactory(program=program, url=f"http://127.0.0.1:{server.port}/feed.xml")
        result = feeds.poll_feed(feed=feed, timeout=2)
    finally:
        server.close()
    assert not result.error and result.new > 0


def test_google_alerts_links_keep_the_targets_whole_query_string():
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://x.example/a?id=1&sort=new&ct=ga&cd=CAE&usg=AOv"
    assert feeds.real_link(wrapped) == "https://x.example/a?id=1&sort=new"
    encoded = "https://www.google.com/url?rct=j&sa=t&url=https://x.example/a%3Fid%3D1%26sort%3Dnew&ct=ga"
    assert feeds.real_link(encoded) == "https://x.example/a?id=1&sort=new"
    assert feeds.real_link("https://www.google.com/url?q=https://x.example/b&sa=D") == "https://x.example/b"
