import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from advocacy.notifications import EMAIL_FAILED_KIND, EMAIL_MAX_ATTEMPTS
from core.models import OutboxMessage
from issues import background, feeds, fetching, services, tasks
from issues.models import IssueEvent, Mention, MentionFeed
from issues.views.mentions import POLLING
from tests.factories import MentionFeedFactory, closing

pytestmark = pytest.mark.django_db

FEEDS = Path(__file__).parent / "feeds"
ETAG = '"v1"'


class FeedHandler(BaseHTTPRequestHandler):
    """Serve the feed files; /slow sleeps, /error answers 500, ETag gives 304."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        FeedHandler.hits.append(self.path)
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect/"))
            self.end_headers()
            return
        if self.path == "/error":
            self.send_response(500)
            self.end_headers()
            return
        name = self.path.strip("/").split("?")[0]
        path = FEEDS / name
        if not path.is_file():
            self.send_response(404)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.end_headers()
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("ETag", ETAG)
        self.send_header("Last-Modified", "Sun, 22 Nov 2026 18:30:00 GMT")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FeedHandler.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_real_link_and_clean_text():
    assert feeds.real_link("https://www.google.com/url?rct=j&sa=t&url=https://x.example/a%3Fb%3D1&ct=ga") == (
        "https://x.example/a?b=1"
    )
    assert feeds.real_link("https://x.example/plain") == "https://x.example/plain"
    assert feeds.clean_text("Why I left <b>Acme</b> &amp; more") == "Why I left Acme & more"


def test_google_alerts_feed_is_stored_clean_and_deduplicated(feed_server, program):
    feed = MentionFeedFactory(program=program, url=f"{feed_server}/google_alerts.xml")
    result = feeds.poll_feed(feed=feed, timeout=1)
    assert result.new == 2 and not result.error
    mention = Mention.objects.get(entry_id__endswith="0001")
    assert mention.title == "Why I left Acme Telecom after 8 years"
    assert mention.link == "https://blog.example.net/left-acme?ref=rss"
    assert "<b>" not in mention.snippet and "four departments & never" in mention.snippet
    assert mention.published_at.year == 2026
    feed.refresh_from_db()
    assert feed.etag == ETAG and feed.last_ok_at and not feed.last_error
    # Second poll sends the ETag and gets 304: nothing new, nothing duplicated.
    again = feeds.poll_feed(feed=feed, timeout=1)
    assert again.not_modified and again.new == 0
    # Even without the ETag, entries are deduplicated by id.
    MentionFeed.objects.filter(pk=feed.pk).update(etag="", modified="")
    feed.refresh_from_db()
    assert feeds.poll_feed(feed=feed, timeout=1).new == 0
    assert Mention.objects.count() == 2


def test_broken_slow_and_malformed_feeds_are_reported_and_never_stop_the_others(feed_server, program):
    bad = [
        MentionFeedFactory(program=program, name="error", url=f"{feed_server}/error"),
        MentionFeedFactory(program=program, name="slow", url=f"{feed_server}/slow"),
        MentionFeedFactory(program=program, name="malformed", url=f"{feed_server}/malformed.xml"),
        MentionFeedFactory(program=program, name="html", url=f"{feed_server}/not_a_feed.txt"),
        MentionFeedFactory(program=program, name="missing", url=f"{feed_server}/missing.xml"),
        MentionFeedFactory(program=program, name="closed port", url="http://127.0.0.1:9/feed"),
    ]
    good = MentionFeedFactory(program=program, name="good", url=f"{feed_server}/forum.rss")
    results = {r.feed_id: r for r in feeds.poll_all(timeout=0.5)}
    assert results[good.pk].new == 1 and not results[good.pk].error
    for feed in bad:
        feed.refresh_from_db()
        assert feed.last_error, feed.name
        assert feed.failures == 1
    messages = {f.name: MentionFeed.objects.get(pk=f.pk).last_error for f in bad}
    assert messages == {
        "error": feeds.SERVER_TROUBLE % {"code": 500},
        "slow": feeds.NO_ANSWER,
        "malformed": feeds.NOT_A_FEED,
        "html": feeds.NOT_A_FEED,
        "missing": feeds.NOTHING_THERE % {"code": 404},
        "closed port": feeds.REFUSED,
    }


def test_https_to_a_server_that_speaks_plain_http_reads_as_a_secure_connection_failure(feed_server, program):
    feed = MentionFeedFactory(program=program, url=feed_server.replace("http://", "https://") + "/forum.rss")
    assert feeds.poll_feed(feed=feed, timeout=1).error == feeds.TLS_FAILED


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (urllib.error.URLError(socket.gaierror(-2, "Name or service not known")), feeds.HOST_NOT_FOUND),
        (urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution")), feeds.HOST_NOT_FOUND),
        (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")), feeds.REFUSED),
        (urllib.error.URLError(TimeoutError("timed out")), feeds.NO_ANSWER),
        (TimeoutError("The read operation timed out"), feeds.NO_ANSWER),
        (urllib.error.URLError(ssl.SSLCertVerificationError(1, "certificate verify failed")), feeds.TLS_CERTIFICATE),
        (urllib.error.URLError(ssl.SSLError(1, "wrong version number")), feeds.TLS_FAILED),
        (urllib.error.URLError(OSError(101, "Network is unreachable")), feeds.UNREACHABLE),
        (http.client.RemoteDisconnected("Remote end closed connection without response"), feeds.UNREACHABLE),
        (urllib.error.URLError("unknown url type: ftp"), feeds.HTTP_ONLY),
        (fetching.DeadlineExceeded(30), feeds.SLOW_ANSWER % {"seconds": 30}),
        (RuntimeError("something odd"), feeds.UNREADABLE),
    ],
)
def test_poll_errors_read_as_plain_sentences(error, message):
    text = feeds.plain_error(error)
    assert text == message
    assert "Errno" not in text and "[" not in text


@pytest.mark.parametrize(("code", "words"), [(401, "sign-in"), (403, "sign-in"), (410, "nothing"), (429, "less often")])
def test_http_refusals_say_what_the_server_meant(code, words):
    error = urllib.error.HTTPError("https://x.example/feed", code, "Reason", {}, None)
    assert words in feeds.plain_error(error) and str(code) in feeds.plain_error(error)


def test_poll_now_queues_the_poll_for_a_worker_instead_of_fetching_in_the_request(
    feed_server, client_for, member, program, run_jobs
):
    feed = MentionFeedFactory(program=program, url=f"{feed_server}/google_alerts.xml")
    client = client_for(member)
    url = reverse("issues:feed_poll", args=[program.slug, feed.pk])
    response = client.post(url, follow=True)
    assert POLLING in response.content.decode()
    assert FeedHandler.hits == []  # the request fetched nothing
    assert client.post(url).status_code == 302  # asked twice in a row: queued once
    assert OutboxMessage.objects.filter(task_name="issues.tasks.poll_mention_feed", args=[feed.pk]).count() == 1
    assert run_jobs() == [2]
    assert Mention.objects.filter(feed=feed).count() == 2 and len(FeedHandler.hits) == 1
    assert tasks.poll_mention_feed(-1) == 0  # a feed deleted meanwhile


def test_feeds_inside_our_network_are_refused_with_a_clear_message(feed_server, program, settings):
    settings.ISSUES_FEED_ALLOWED_NETWORKS = []
    local = MentionFeedFactory(program=program, name="local", url=f"{feed_server}/forum.rss")
    result = feeds.poll_feed(feed=local, timeout=1)
    assert result.error == feeds.PRIVATE_ADDRESS % {"host": "127.0.0.1"}
    assert FeedHandler.hits == [] and not Mention.objects.exists()


def test_a_redirect_into_our_network_is_refused(feed_server, program):
    # 127.0.0.1 serves the test feeds; 127.0.0.2 stands for any other internal host.
    feed = MentionFeedFactory(program=program, url=f"{feed_server}/redirect/http://127.0.0.2:9/admin")
    result = feeds.poll_feed(feed=feed, timeout=1)
    assert result.error == feeds.PRIVATE_ADDRESS % {"host": "127.0.0.2"}
    assert FeedHandler.hits == ["/redirect/http://127.0.0.2:9/admin"]


@pytest.mark.parametrize("target", ["ftp://127.0.0.2:9/feed.rss", "file:///etc/hostname"])
def test_a_redirect_to_another_scheme_is_refused(feed_server, program, target):
    # Only http and https are ever opened: an ftp: redirect would otherwise reach a private host unchecked.
    feed = MentionFeedFactory(program=program, url=f"{feed_server}/redirect/{target}")
    result = feeds.poll_feed(feed=feed, timeout=1)
    assert result.error and not Mention.objects.exists()
    assert "refused" not in result.error  # never even tried to connect
    assert not any(isinstance(h, urllib.request.FTPHandler) for h in fetching.public_opener().handlers)


def test_poll_task_sums_new_mentions(feed_server, program, settings):
    settings.ISSUES_FEED_TIMEOUT = 1
    MentionFeedFactory(program=program, url=f"{feed_server}/forum.rss")
    assert tasks.poll_mention_feeds() == 1
    assert tasks.poll_mention_feeds() == 0


def test_overdue_owner_is_told_once(make_issue, manager):
    issue = make_issue(level=5, created_at=timezone.now() - timedelta(hours=5))
    make_issue(level=5)  # not overdue yet
    assert background.notify_overdue() == 1
    assert background.notify_overdue() == 0
    note = Notification.objects.get(kind="issue_overdue")
    assert note.user == manager and "1 h late" in note.title
    assert issue.events.filter(kind=IssueEvent.Kind.OVERDUE).count() == 1


def test_outreach_before_the_task_means_no_notice(make_issue, manager):
    issue = make_issue(level=5, created_at=timezone.now() - timedelta(hours=5))
    services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="spoke")
    assert background.notify_overdue() == 0


def test_daily_digest_goes_to_the_current_advocate_once_a_day(make_issue, term, advocate, program):
    make_issue(level=5)
    make_issue(level=2)
    local = timezone.localtime(timezone.now(), program.zone)
    early = local.replace(hour=6, minute=0)
    morning = local.replace(hour=9, minute=0)
    assert background.send_digests(now=early) == 0
    assert background.send_digests(now=morning) == 1
    assert background.send_digests(now=morning + timedelta(hours=5)) == 0
    note = Notification.objects.get(kind="issue_digest")
    assert note.user == advocate and "2 open hot issues" in note.title


def test_satisfaction_question_is_emailed_on_resolve(make_issue, manager, run_jobs):
    issue = make_issue(customer_name="Ana", customer_email="ana@example.com")
    run_jobs()
    mail.outbox.clear()
    services.resolve(issue=issue, actor=manager, resolution="Refunded", **closing(issue))
    assert OutboxMessage.objects.filter(task_name="issues.tasks.ask_satisfaction", args=[issue.pk]).exists()
    assert run_jobs() == [True]
    assert len(mail.outbox) == 1
    assert issue.get_tracking_url() in mail.outbox[0].body and mail.outbox[0].to == ["ana@example.com"]


def test_feed_links_other_than_http_are_dropped():
    assert feeds.real_link("javascript:alert(1)") == ""
    assert feeds.real_link("https://www.google.com/url?url=javascript:alert(1)").startswith("https://www.google.com/")


def test_promoting_a_mention_with_an_odd_link_keeps_it_in_the_words(member, manager, program):
    feed = MentionFeedFactory(program=program)
    long_link = "https://x.example/" + "a" * 1200
    mention = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Long", link=long_link)
    issue = services.promote_mention(mention=mention, actor=member, level=2)
    assert issue.source_url == "" and long_link in issue.words


def test_satisfaction_question_is_asked_once_however_often_it_is_delivered(make_issue, manager):
    issue = make_issue(customer_name="Ana", customer_email="ana@example.com")
    services.resolve(issue=issue, actor=manager, resolution="Refunded", **closing(issue))
    assert tasks.ask_satisfaction(issue.pk) is True
    assert tasks.ask_satisfaction(issue.pk) is False
    OutboxMessage.objects.update(sent_at=timezone.now())
    later = timezone.now() + background.ASK_RETRY_AFTER * 2
    assert background.requeue_unasked_questions(now=later) == 0
    assert len(mail.outbox) == 1
    # Reopened and resolved again: a new question.
    services.reopen(issue=issue, actor=manager, reason="It broke again")
    services.resolve(issue=issue, actor=manager, resolution="Replaced", **closing(issue))
    assert tasks.ask_satisfaction(issue.pk) is True and len(mail.outbox) == 2


def test_a_mail_server_failure_loses_no_satisfaction_question(make_issue, manager, run_jobs):
    issue = make_issue(customer_name="Ana", customer_email="ana@example.com")
    run_jobs()
    mail.outbox.clear()
    services.resolve(issue=issue, actor=manager, resolution="Refunded", **closing(issue))
    with mock.patch("issues.background.send_mail", side_effect=OSError("SMTP down")):
        [failure] = run_jobs()
    assert isinstance(failure, OSError) and not mail.outbox
    # Just queued: the sweep leaves it (it may still be on its way) …
    assert background.requeue_unasked_questions() == 0
    # … a few minutes later it queues it again, once.
    later = timezone.now() + background.ASK_RETRY_AFTER * 2
    assert background.requeue_unasked_questions(now=later) == 1
    assert background.requeue_unasked_questions(now=later) == 0
    assert run_jobs() == [True]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.com"]
    assert background.requeue_unasked_questions(now=later + background.ASK_RETRY_AFTER * 2) == 0


def test_a_satisfaction_question_the_mail_server_keeps_refusing_is_given_up_and_the_admins_are_told_once(
    make_issue, manager, superuser, run_jobs, refusing_mail_server
):
    issue = make_issue(customer_name="Ana Albers", customer_email="ana@example.com", customer_phone="+49 30 1234567")
    services.resolve(issue=issue, actor=manager, resolution="Refunded", **closing(issue))
    later = timezone.now()
    for _ in range(EMAIL_MAX_ATTEMPTS + 3):
        run_jobs()
        later += background.ASK_RETRY_AFTER * 2
        background.requeue_unasked_questions(now=later)
    issue.refresh_from_db()
    assert issue.satisfaction_asked_at is None and issue.satisfaction_ask_attempts == EMAIL_MAX_ATTEMPTS
    assert "ConnectionRefusedError" in issue.satisfaction_ask_error
    assert background.requeue_unasked_questions(now=later + background.ASK_RETRY_AFTER * 2) == 0
    assert tasks.ask_satisfaction(issue.pk) is False
    [notice] = Notification.objects.filter(user=superuser, kind=EMAIL_FAILED_KIND)
    assert f"#{issue.pk}" in notice.body and notice.url == issue.get_absolute_url()
    for detail in ("ana@example.com", "Ana Albers", "1234567"):
        assert detail not in notice.title + notice.body


def test_an_import_delivered_twice_imports_once(manager, program):
    from issues.importing import run_import_job
    from issues.models import HotIssue, ImportJob

    job = ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, content="score,comment\n1,Awful\n5,Fine\n", created_by=manager
    )
    assert run_import_job(job_id=job.pk).state == ImportJob.State.DONE
    assert run_import_job(job_id=job.pk).created_issues == 1
    assert HotIssue.objects.filter(program=program).count() == 1
