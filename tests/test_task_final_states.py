"""Every Celery task reaches its final state whatever happens to it: a crash mid-way, a second delivery, a lost message.

One case per task of the table in settings (`_TASKS`); a task added without a
case fails `test_every_task_has_a_final_state_case`. Each case builds the work
its task finds in production (through the services that queue it), then:

- crash: the task runs with a database write failing at several points in turn
  (the first write, the last and some between). A task that does its work in
  one transaction leaves the database as it was; every task, run again, ends
  exactly where one clean run ends.
- twice: the same delivery run twice ends where one run ends.
- lost: the message is lost after the outbox sent it (a broker that lost its
  data, a worker killed before it took the job). A sweep queues it again, or,
  for a periodic task, the next run does the work; the end is a clean run's.

"Ends where a clean run ends" compares every row of the project's tables
(row ids, which a sequence hands out anew, and exact times aside) and the
e-mails sent. E-mail is sent at least once: a crash in the instant between the
mail server taking a message and its row being stamped sends that one again.

| task | unit of work | a lost message is recovered by |
| --- | --- | --- |
| baton.ping | none (no data) | nothing to recover |
| core.tasks.flush_outbox | one job | the next run (every minute, and at worker start) |
| core.tasks.heartbeat | one row | the next run (every minute) |
| advocacy.tasks.send_notification_email | one notification | send_pending_notification_emails |
| advocacy.tasks.send_pending_notification_emails | one queued e-mail | the next run |
| advocacy.tasks.send_invitation_email | one invitation e-mail | send_pending_invitation_emails |
| advocacy.tasks.send_pending_invitation_emails | one queued e-mail | the next run |
| core.tasks.send_queued_mail | one account e-mail | send_pending_mail |
| core.tasks.send_pending_mail | one queued e-mail | the next run |
| rotations.tasks.run_handoffs | one program | the next run (every minute) |
| rotations.tasks.handoff_program | one program | run_handoffs |
| rotations.tasks.send_reminders | one notice | the next run |
| rotations.tasks.send_program_reminders | one notice | send_reminders |
| issues.tasks.ask_satisfaction | one issue | resend_pending_work |
| issues.tasks.send_tracking_links | one e-mail | resend_pending_work |
| issues.tasks.open_recovery_checks | one issue's resolution | the next run |
| issues.tasks.send_recovery_question | one question | resend_pending_work |
| issues.tasks.notify_overdue_issues | one issue | the next run |
| issues.tasks.count_past_due_issues | one batch of issues | the next run |
| issues.tasks.escalate_untouched_issues | one issue and stage | the next run |
| integrations.tasks.process_delivery | one delivery | requeue_stuck_deliveries |
| integrations.tasks.process_mail | one mail | requeue_stuck_deliveries |
| integrations.tasks.requeue_stuck_deliveries | one queued delivery or mail | the next run |
| integrations.tasks.send_channel_message | one channel message | requeue_unsent_channel_messages |
| integrations.tasks.requeue_unsent_channel_messages | one queued message | the next run |
| issues.tasks.poll_mention_feeds | one mention | the next run |
| issues.tasks.send_daily_digests | one program | the next run |
| issues.tasks.poll_mention_feed | one mention | poll_mention_feeds |
| issues.tasks.run_import | the whole file | requeue_stuck_imports |
| issues.tasks.resend_pending_work | one queued e-mail | the next run |
| issues.tasks.requeue_stuck_imports | one job | the next run |
| insights.tasks.send_weekly_briefs | one brief | the next run (hourly on Monday mornings) |
| insights.tasks.build_term_report | one report | build_missing_term_reports |
| insights.tasks.build_missing_term_reports | one queued build | the next run |
| insights.tasks.refresh_snapshots | one snapshot | the next run |

An import is the exception to "run again, it finishes": a crash mid-way fails
the job with a reason the uploader can act on, and creates nothing.

A worker process killed mid-task (no exception handler runs, PostgreSQL rolls
the open transaction back) is tested with real worker processes where a task is
long: an import (tests/issues/test_importing.py), a handoff
(tests/rotations/test_tasks.py) and a feed poll (tests/test_faults.py).
"""

import re
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection, models, transaction
from django.utils import timezone

from advocacy import invitations, notifications
from advocacy.models import Membership
from config.celery import app
from config.settings.base import _TASKS as TASK_TABLE
from core import mail as core_mail
from core.models import OutboxMessage
from insights import reports
from insights.models import BriefSubscription, FigureSnapshot
from integrations import chat as integration_chat
from integrations import mailin as integration_mailin
from integrations import mapping as integration_mapping
from integrations import services as integration_services
from integrations import signatures as integration_signatures
from integrations.models import MailIn
from issues import background, importing
from issues import services as issue_services
from issues.models import HotIssue, ImportJob, IssueEvent, MentionFeed
from rotations import boundaries
from rotations import services as rotation_services
from tests.brokers import use_broker
from tests.factories import MembershipFactory, ProgramFactory, closing

pytestmark = pytest.mark.django_db

app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them

LATER = timedelta(minutes=15)  # past every sweep's "queued recently, leave it" window
CRASH_POINTS = 4  # writes a crash is tried at, per task: the first, the last and some between


# ---------------------------------------------------------------- the world a case builds


def person(program, username: str, role=Membership.Role.MEMBER, **fields):
    """A member with a fixed name, so that two builds of the same case read the same."""
    return MembershipFactory(
        program=program,
        role=role,
        user__username=username,
        user__first_name=username.title(),
        user__last_name="Tester",
        **fields,
    ).user


def desk(slug="desk", zone="Europe/Berlin"):
    program = ProgramFactory(name=slug.title(), slug=slug, time_zone=zone)
    lead = person(program, f"{slug}-lead", Membership.Role.MANAGER, is_eligible=False)
    return program, lead


def resolved_issue_asking_satisfaction(slug="desk"):
    program, lead = desk(slug)
    issue = issue_services.create_issue(
        program=program, actor=lead, title="Charged twice", words="Twice!", level=4, customer_email="ana@example.com"
    )
    issue_services.resolve(issue=issue, actor=lead, resolution="Refunded.", **closing(issue))


def resolutions_due_for_recovery(slug="desk"):
    """Two issues of customers with an address, resolved the program's recovery days ago."""
    program, lead = desk(slug)
    for title, email in (("Charged twice", "ana@example.com"), ("Parcel lost", "bo@example.com")):
        issue = issue_services.create_issue(
            program=program, actor=lead, title=title, words="Again!", level=3, customer_email=email
        )
        issue_services.resolve(issue=issue, actor=lead, resolution="Refunded.", **closing(issue))
        HotIssue.objects.filter(pk=issue.pk).update(resolved_at=timezone.now() - timedelta(days=14, hours=1))


def recovery_questions_to_send(slug="desk"):
    resolutions_due_for_recovery(slug)
    background.open_recovery_checks()


def public_submission_with_email(slug="desk"):
    program, _ = desk(slug)
    issue_services.submit_public_form(
        program=program,
        address="198.51.100.7",
        summary="Order missing",
        what_happened="It never came.",
        level=3,
        email="jo@example.com",
    )


def a_notification():
    program, lead = desk()
    notifications.notify(user=lead, program=program, kind="test_notice", title="Look here", dedupe_key="look-here")


def due_handoffs():
    program, _ = desk()
    ann, ben = person(program, "ann"), person(program, "ben")
    today = boundaries.local_date(program=program, at=timezone.now())
    first = rotation_services.create_term(
        program=program, start_date=boundaries.add_months(today.replace(day=1), -3), advocate=ann
    )
    rotation_services.create_term(program=program, start_date=first.end_date, advocate=ben)
    return program


def due_reminders():
    program, _ = desk()
    ann = person(program, "ann")
    today = boundaries.local_date(program=program, at=timezone.now())
    rotation_services.create_term(program=program, start_date=today + timedelta(days=3), advocate=ann)
    return program


def overdue_issues():
    program, lead = desk()
    for title in ("Charged twice", "Parcel lost"):
        issue = issue_services.create_issue(program=program, actor=lead, title=title, words="Waiting.", level=4)
        HotIssue.objects.filter(pk=issue.pk).update(first_outreach_due_at=timezone.now() - timedelta(hours=2))


def untouched_issues():
    """Two level-5 issues nobody touched for three days: both stages are due for each."""
    program, lead = desk()
    for title in ("Line down", "Refund missing"):
        issue = issue_services.create_issue(program=program, actor=lead, title=title, words="Nobody.", level=5)
        long_ago = timezone.now() - timedelta(days=3)
        HotIssue.objects.filter(pk=issue.pk).update(created_at=long_ago)
        IssueEvent.objects.filter(issue=issue).update(at=long_ago)


def signed_deliveries(count: int = 2):
    """Bad ratings signed the Standard Webhooks way, received (stored, their processing queued)."""
    program, lead = desk()
    source, _ = integration_services.create_source(program=program, actor=lead, kind="standard", name="Survey tool")
    for n in range(1, count + 1):
        body = integration_mapping.sample_body(source.kind, bad=True, n=n)
        headers = integration_signatures.sign(kind=source.kind, secret=source.secret, body=body)
        integration_services.receive(source=source, body=body, headers=headers)


def forwarded_mails(count: int = 2):
    """Forwarded customer e-mails, received (stored, their processing queued)."""
    program, lead = desk()
    mail_in = integration_mailin.configure_mail_in(program=program, actor=lead, enabled=True, level=4)
    MailIn.objects.filter(pk=mail_in.pk).update(tag="desk-fixed")  # the same address in every build
    address = MailIn.objects.get(pk=mail_in.pk).address
    for n in range(1, count + 1):
        raw = (
            f"From: Dana <dana@example.com>\nTo: {address}\nSubject: Fwd: Late order {n}\n"
            f"Message-ID: <mail-{n}@example.com>\n\n---------- Forwarded message ---------\n"
            f"From: Carla <carla{n}@customer.test>\nSubject: Late order {n}\n\nStill waiting.\n"
        ).encode()
        integration_mailin.receive_mail(raw=raw, recipients=[address], via="smtp", envelope_sender="dana@example.com")


def chat_messages(chat_url):
    """Two level-5 issues in a program with a Slack channel: a message to post for each."""
    program, lead = desk()
    integration_chat.create_channel(
        program=program, actor=lead, kind="slack", name="#desk", url=chat_url, on_new_angry=True
    )
    for title in ("Cancelling today", "Going to the press"):
        issue_services.create_issue(program=program, actor=lead, title=title, words="Now.", level=5)


def _requeue_unsent_channel_messages(now):
    return integration_chat.requeue_unsent_messages(now=now + integration_chat.STUCK_AFTER)


def _requeue_stuck_deliveries(now):
    return integration_services.requeue_stuck_deliveries(now=now + integration_services.STUCK_AFTER)


def open_issues_where_it_is_past_eight():
    """Digests go out from 08:00 in the program's zone: pick zones where it is midday and early evening now."""
    for slug, local_hour in (("noon", 12), ("evening", 18)):
        offset = (local_hour - timezone.now().hour + 12) % 24 - 12  # -12..11 hours east of UTC
        zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"  # Etc/GMT signs are inverted
        ZoneInfo(zone)
        program, lead = desk(slug, zone)
        issue_services.create_issue(program=program, actor=lead, title="Waiting", words="Still.", level=3)


def completed_term_waiting_for_its_report():
    program = due_handoffs()
    rotation_services.run_due_handoffs()
    return program


def weekly_brief_subscribers():
    program, lead = desk()
    ann = person(program, "ann")
    for who in (lead, ann):
        BriefSubscription.objects.create(program=program, user=who)


def old_snapshots(settings):
    settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS = 0  # every computation is "slow", so it is stored
    old = timezone.now() - timedelta(hours=1)
    for slug in ("desk", "other"):
        program, _ = desk(slug)
        for name in ("health", "brief"):
            FigureSnapshot.objects.create(program=program, name=name, key="old", data={}, computed_at=old, seconds=9)


def pending_outbox_jobs():
    for _ in range(3):
        OutboxMessage.objects.create(task_name="baton.ping")


def an_upload():
    program, lead = desk()
    rows = "".join(f"{1 + i % 5},Comment {i}\n" for i in range(12))
    issue_services.start_import(
        program=program, actor=lead, kind=ImportJob.Kind.SURVEY, filename="s.csv", content=f"score,comment\n{rows}"
    )


def imports_whose_worker_died():
    program, lead = desk()
    stale = timezone.now() - importing.STUCK_AFTER - timedelta(minutes=5)
    for n in range(2):
        ImportJob.objects.create(
            program=program,
            kind=ImportJob.Kind.SURVEY,
            filename=f"{n}.csv",
            content="score,comment\n1,Rude\n",
            created_by=lead,
            state=ImportJob.State.RUNNING,
            attempts=1,
            progress_at=stale,
        )


def lost_jobs(build, *task_names):
    """Build, then lose every job of `task_names` it queued, as if sent an hour ago and dropped by the broker."""

    def make(**fixtures):
        build(**fixtures)
        OutboxMessage.objects.filter(task_name__in=task_names).update(
            sent_at=timezone.now() - timedelta(hours=1), created_at=timezone.now() - timedelta(hours=1)
        )

    return make


FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>
<item><guid>m-1</guid><title>Acme never calls back</title><link>https://forum.example/1</link></item>
<item><guid>m-2</guid><title>Acme charged me twice</title><link>https://forum.example/2</link></item>
<item><guid>m-3</guid><title>Acme is fine</title><link>https://forum.example/3</link></item>
</channel></rss>"""


class FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def chat_url():
    """A fake Slack webhook on this machine (tests/integrations/chat_servers.py)."""
    from tests.integrations import chat_servers

    server, httpd = chat_servers.start()
    yield server.url("/slack/final-states")
    chat_servers.stop(httpd)


@pytest.fixture(scope="module")
def feed_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- the cases


@dataclass
class Case:
    """How a task's work arises, how a lost message is recovered, and what a crash may leave."""

    build: Callable  # makes the work the task finds (and, for a queued task, its pending outbox job)
    periodic: bool = False  # run with no arguments (by beat; the ping by whoever asks); else its pending jobs are run
    recover: Callable | None = None  # after a lost message: the sweep, given `now`; None: the next run
    one_transaction: bool = False  # a crash leaves the database exactly as it was
    needs: tuple = ()  # fixtures `build` takes
    crash_may_fail: Callable | None = None  # True if a crash left the work failed with a reason, which is final


def import_failed_with_a_reason() -> bool:
    """A crash inside the import fails it with a reason and creates nothing (a crash before it started, not)."""
    job = ImportJob.objects.get()
    if job.state != ImportJob.State.FAILED:
        return False
    assert job.errors == [{"row": 0, "message": importing.UNEXPECTED}] and job.finished_at
    assert not HotIssue.objects.exists()
    return True


def _requeue_stuck_imports(now):
    return importing.requeue_stuck_imports(now=now + importing.STUCK_AFTER)


def invitations_to_send():
    """Two addresses invited to a program: their e-mails are queued."""
    program, lead = desk()
    invitations.invite_people(program=program, actor=lead, addresses="ann@example.com, ben@example.com")


def account_mails():
    """Two account e-mails (a reset link each) rendered and queued for the worker."""
    for to in ("ann@example.com", "ben@example.com"):
        core_mail.queue_mail(
            to=to, subject="Reset your Baton password", body="Follow the link to choose a new password."
        )


CASES = {
    "advocacy.tasks.send_invitation_email": Case(
        build=invitations_to_send,
        recover=lambda now: invitations.requeue_unsent_invitation_emails(now=now + invitations.EMAIL_RETRY_AFTER),
    ),
    "advocacy.tasks.send_pending_invitation_emails": Case(
        build=lost_jobs(invitations_to_send, "advocacy.tasks.send_invitation_email"), periodic=True
    ),
    "core.tasks.send_queued_mail": Case(
        build=account_mails, recover=lambda now: core_mail.requeue_unsent_mail(now=now + core_mail.RETRY_AFTER)
    ),
    "core.tasks.send_pending_mail": Case(build=lost_jobs(account_mails, "core.tasks.send_queued_mail"), periodic=True),
    "baton.ping": Case(build=lambda: None, periodic=True),
    "core.tasks.flush_outbox": Case(build=pending_outbox_jobs, periodic=True),
    "core.tasks.heartbeat": Case(build=lambda: None, periodic=True, one_transaction=True),
    "advocacy.tasks.send_notification_email": Case(
        build=a_notification, recover=lambda now: notifications.requeue_unsent_emails(now=now), one_transaction=True
    ),
    "advocacy.tasks.send_pending_notification_emails": Case(
        build=lost_jobs(a_notification, "advocacy.tasks.send_notification_email"), periodic=True
    ),
    "rotations.tasks.run_handoffs": Case(build=due_handoffs, periodic=True, one_transaction=True),
    "rotations.tasks.handoff_program": Case(
        build=lambda: OutboxMessage.objects.create(
            task_name="rotations.tasks.handoff_program", args=[due_handoffs().pk]
        ),
        recover=lambda now: rotation_services.run_due_handoffs(now=now),
        one_transaction=True,
    ),
    "rotations.tasks.send_reminders": Case(build=due_reminders, periodic=True),
    "rotations.tasks.send_program_reminders": Case(
        build=lambda: rotation_services.queue_program_reminders(program=due_reminders()),
        recover=lambda now: app.tasks["rotations.tasks.send_reminders"](),
    ),
    "issues.tasks.ask_satisfaction": Case(
        build=resolved_issue_asking_satisfaction,
        recover=lambda now: background.requeue_unasked_questions(now=now),
        one_transaction=True,
    ),
    "issues.tasks.send_tracking_links": Case(
        build=public_submission_with_email, recover=lambda now: background.requeue_unsent_tracking_links(now=now)
    ),
    "issues.tasks.open_recovery_checks": Case(build=resolutions_due_for_recovery, periodic=True),
    "issues.tasks.send_recovery_question": Case(
        build=recovery_questions_to_send,
        recover=lambda now: background.requeue_unsent_recovery_questions(now=now),
    ),
    "issues.tasks.notify_overdue_issues": Case(build=overdue_issues, periodic=True),
    "issues.tasks.count_past_due_issues": Case(build=overdue_issues, periodic=True),
    "issues.tasks.escalate_untouched_issues": Case(build=untouched_issues, periodic=True),
    "integrations.tasks.process_delivery": Case(build=signed_deliveries, recover=_requeue_stuck_deliveries),
    "integrations.tasks.process_mail": Case(build=forwarded_mails, recover=_requeue_stuck_deliveries),
    "integrations.tasks.requeue_stuck_deliveries": Case(
        build=lost_jobs(signed_deliveries, "integrations.tasks.process_delivery"), periodic=True
    ),
    "integrations.tasks.send_channel_message": Case(
        build=chat_messages, recover=_requeue_unsent_channel_messages, needs=("chat_url",)
    ),
    "integrations.tasks.requeue_unsent_channel_messages": Case(
        build=lost_jobs(chat_messages, "integrations.tasks.send_channel_message"),
        periodic=True,
        needs=("chat_url",),
    ),
    "issues.tasks.poll_mention_feeds": Case(
        build=lambda feed_url: [
            MentionFeed.objects.create(program=desk(slug)[0], name="Forum", url=feed_url) for slug in ("desk", "other")
        ],
        periodic=True,
        needs=("feed_url",),
    ),
    "issues.tasks.send_daily_digests": Case(build=open_issues_where_it_is_past_eight, periodic=True),
    "issues.tasks.poll_mention_feed": Case(
        build=lambda feed_url: issue_services.request_feed_poll(
            feed=MentionFeed.objects.create(program=desk()[0], name="Forum", url=feed_url),
            actor=Membership.objects.get(user__username="desk-lead").user,
        ),
        needs=("feed_url",),
        recover=lambda now: app.tasks["issues.tasks.poll_mention_feeds"](),
    ),
    "issues.tasks.run_import": Case(
        build=an_upload, recover=_requeue_stuck_imports, crash_may_fail=import_failed_with_a_reason
    ),
    "issues.tasks.resend_pending_work": Case(
        build=lost_jobs(
            lambda: (
                resolved_issue_asking_satisfaction("asks"),
                public_submission_with_email("links"),
                recovery_questions_to_send("again"),
            ),
            "issues.tasks.ask_satisfaction",
            "issues.tasks.send_tracking_links",
            "issues.tasks.send_recovery_question",
        ),
        periodic=True,
    ),
    "issues.tasks.requeue_stuck_imports": Case(build=imports_whose_worker_died, periodic=True, one_transaction=True),
    "insights.tasks.send_weekly_briefs": Case(build=weekly_brief_subscribers, periodic=True),
    "insights.tasks.build_term_report": Case(
        build=completed_term_waiting_for_its_report,
        recover=lambda now: reports.requeue_missing_reports(now=now),
        one_transaction=True,
    ),
    "insights.tasks.build_missing_term_reports": Case(
        build=lost_jobs(completed_term_waiting_for_its_report, "insights.tasks.build_term_report"), periodic=True
    ),
    "insights.tasks.refresh_snapshots": Case(build=old_snapshots, periodic=True, needs=("settings",)),
}


def test_every_task_has_a_final_state_case():
    tasks = {task for task, *_ in TASK_TABLE} | set(settings.CELERY_TASK_ROUTES)
    missing = tasks - set(CASES)
    assert not missing, f"Give these tasks a final-state case here (crash, twice, lost message): {missing}"
    assert not set(CASES) - tasks, "A case for a task that is no longer in the table"


# ---------------------------------------------------------------- running a case


class Crash(Exception):
    """What a worker dying on a bug or a lost connection looks like to the code around the write."""


class Writes:
    """Count the database writes, and raise Crash at the `crash_at`-th one (0: never)."""

    WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)

    def __init__(self, crash_at: int = 0):
        self.crash_at, self.count, self.tables = crash_at, 0, set()

    def __call__(self, execute, sql, params, many, context):
        if written := self.WRITE.match(sql):
            self.tables.add(written.group(1))
            self.count += 1
            if self.count == self.crash_at:
                raise Crash(f"crashed at write {self.count}")
        return execute(sql, params, many, context)


class Rollback(Exception):
    pass


# While a task runs: how many atomic blocks are the test's own (below the task, which in production has none).
AUTOCOMMIT_DEPTH = [-1]


@contextmanager
def _mark_for_rollback_unless_crashed_in_autocommit(using=None):
    """Django's mark_for_rollback_on_error, except for a Crash outside the task's own transactions.

    In production that write is a lone statement in autocommit: it did not
    happen, nothing else is undone, and the task's next query runs. Here the
    test's own transaction is around it, which Django would mark as broken.
    """
    try:
        yield
    except Exception as error:
        conn = transaction.get_connection(using)
        crashed_in_autocommit = isinstance(error, Crash) and len(conn.atomic_blocks) <= AUTOCOMMIT_DEPTH[0]
        if conn.in_atomic_block and not crashed_in_autocommit:
            conn.needs_rollback = True
            conn.rollback_exc = error
        raise


@pytest.fixture(autouse=True)
def _autocommit_crashes(monkeypatch):
    monkeypatch.setattr(transaction, "mark_for_rollback_on_error", _mark_for_rollback_unless_crashed_in_autocommit)


@dataclass
class Run:
    """One build of a case in a savepoint that is rolled back at the end."""

    case: Case
    name: str
    fixtures: dict
    delivered: list = field(default_factory=list)

    def build(self):
        self.case.build(**{n: self.fixtures[n] for n in self.case.needs})
        self.ids = {}
        self.mail_before = len(mail.outbox)

    def ordinal(self, model, pk):
        """The row's place among its table's rows in the order they were made: the same in every build of the case."""
        if model not in self.ids:
            self.ids[model] = {
                v: n for n, v in enumerate(model._default_manager.order_by("pk").values_list("pk", flat=True))
            }
        return self.ids[model].get(pk, "gone")

    def take(self, *, some=True) -> list:
        """Take the task's pending jobs off the outbox, as the broker hands them to a worker."""
        if self.case.periodic:
            return [[]]
        jobs = OutboxMessage.objects.filter(task_name=self.name, sent_at__isnull=True).order_by("pk")
        taken = [m.args for m in jobs]
        assert taken or not some, f"building the case for {self.name} queued no job"
        jobs.update(sent_at=timezone.now())
        self.delivered += taken
        return taken

    def deliver(self, writes: Writes | None = None, jobs: list | None = None):
        """Run the task as a worker would: the periodic one with no arguments, else each of its pending jobs."""
        task = app.tasks[self.name]
        jobs = self.take() if jobs is None else jobs
        AUTOCOMMIT_DEPTH[0] = len(connection.atomic_blocks)
        try:
            with connection.execute_wrapper(writes or Writes()):
                for args in jobs:
                    task(*args)
        finally:
            AUTOCOMMIT_DEPTH[0] = -1

    def again(self):
        """The same delivery once more."""
        task = app.tasks[self.name]
        for args in [[]] if self.case.periodic else list(self.delivered):
            task(*args)

    def state(self, tables: set | None = None) -> tuple:
        """Every row of the project's tables (ids as the row's place in its table, times as set or not), and mail.

        `tables`: only these (those the task writes), which is all that a run of it can change.
        """
        self.ids = {}
        rows = {}
        for model in MODELS if tables is None else [m for m in MODELS if m._meta.db_table in tables]:
            label = model.__name__
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            found = Counter()
            for values in model.objects.values_list(*[f.attname for f in fields]):
                row = []
                for f, value in zip(fields, values, strict=True):
                    if f"{label}.{f.name}" in VOLATILE:
                        continue
                    if f.name in VOLATILE_ANYWHERE:
                        continue
                    target = f.related_model if f.is_relation else HISTORY_OF.get(model) if f.name == "id" else None
                    if target is not None and value is not None:
                        value = self.ordinal(target, value)
                    elif isinstance(f, models.DateTimeField):
                        value = value is not None
                    row.append((f.name, repr(value)))
                found[tuple(row)] += 1
            # A sweep may queue a job again that is already done: tasks are idempotent, so count kinds, not rows.
            rows[label] = set(found) if model is OutboxMessage else found
        sent = Counter((tuple(m.to), m.subject) for m in mail.outbox[self.mail_before :])
        return rows, sent


MODELS = [
    m
    for label in ("core", "advocacy", "rotations", "issues", "insights")
    for m in apps.get_app_config(label).get_models()
]
HISTORY_OF = {m: m.instance_type for m in MODELS if hasattr(m, "instance_type")}
# Columns that say when or how often rather than what: a crashed and re-run task differs there by design.
VOLATILE_ANYWHERE = {
    "dedupe_key",
    "tracking_token",
    "nonce",  # an invitation link's random part, drawn when the work is built
    "search_vector",
    "attempts",
    "email_attempts",
    "satisfaction_ask_attempts",
}
VOLATILE = {
    "RecoveryCheck.token",  # the question's random key, drawn when the run opens it
    "OutboxMessage.args",  # ids of rows made by the run
    "OutboxMessage.kwargs",
    "OutboxMessage.last_error",
    "Notification.url",
    "Notification.body",
    "Heartbeat.at",
    "FigureSnapshot.seconds",
    "Handoff.effects",  # the ids of what each participant did
    "OpenIssueCount.program_id",  # counts kept by a trigger, keyed by plain ids
    "OpenIssueCount.ref",
    "FigureSnapshot.data",
    "FilterListsVersion.n",  # a number from a sequence, drawn anew whenever a membership or name is written
}


@pytest.fixture
def in_savepoint():
    """Run a function inside a savepoint that is rolled back, so one test can build a case many times."""

    def run(fn):
        result = None
        try:
            with transaction.atomic():
                result = fn()
                raise Rollback
        except Rollback:
            pass
        return result

    return run


@pytest.fixture(autouse=True)
def _no_broker():
    """The outbox's flush publishes to an in-memory broker here, never to a shared Redis."""
    previous = app.conf.broker_url
    use_broker("memory://")
    yield
    use_broker(previous)


@pytest.fixture
def runner(request):
    def make(name):
        case = CASES[name]
        return Run(case=case, name=name, fixtures={n: request.getfixturevalue(n) for n in case.needs})

    return make


CLEAN_RUNS: dict[str, tuple] = {}


def clean_end(runner, in_savepoint, name) -> tuple:
    """Return (state, writes, tables written) after one clean run of the case: built once per session.

    States name rows by their place among the build's rows, so they compare across builds.
    """
    if name not in CLEAN_RUNS:

        def clean():
            run = runner(name)
            run.build()
            writes = Writes()
            run.deliver(writes)
            return run.state(), writes.count, writes.tables

        CLEAN_RUNS[name] = in_savepoint(clean)
    return CLEAN_RUNS[name]


def same(got, expected):
    """Compare a state with another, table by table (the tables `got` has), so a failure names the table."""
    (rows, sent), (rows_expected, sent_expected) = got, expected
    for label in rows:
        assert rows[label] == rows_expected[label], label
    return sent, sent_expected


NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_a_task_run_twice_does_its_work_once(name, runner, in_savepoint):
    def twice():
        run = runner(name)
        run.build()
        run.deliver()
        once = run.state()
        run.again()
        sent, sent_once = same(run.state(), once)
        assert sent == sent_once

    in_savepoint(twice)


@pytest.mark.parametrize("name", NAMES)
def test_a_task_crashed_mid_way_leaves_nothing_half_done_and_finishes_once_when_run_again(name, runner, in_savepoint):
    case = CASES[name]
    expected, total, tables = clean_end(runner, in_savepoint, name)
    points = (
        sorted({1 + round(i * (total - 1) / max(1, CRASH_POINTS - 1)) for i in range(CRASH_POINTS)}) if total else []
    )

    def crash_at(point):
        run = runner(name)
        run.build()
        jobs = run.take()
        before = run.state(tables) if case.one_transaction else None
        crashed, again = Writes(crash_at=point), Writes()
        try:
            run.deliver(crashed, jobs=jobs)
        except Crash:
            # Outside the task's own transactions the write that crashed is one statement in autocommit:
            # it did not happen, and what was written before it stays.
            transaction.set_rollback(False)
        if case.one_transaction:
            same(run.state(tables), before)
        run.deliver(again, jobs=jobs)  # the broker gives the unacknowledged job to a worker again
        assert crashed.tables | again.tables <= tables, "the crashed run wrote where a clean one does not"
        if case.crash_may_fail and case.crash_may_fail():
            return
        sent, sent_clean = same(run.state(tables), expected)
        # Each e-mail at least once; only the one the crash caught between its send and its stamp twice.
        assert set(sent) == set(sent_clean) and sum(sent.values()) - sum(sent_clean.values()) in (0, 1), point

    for point in points:
        in_savepoint(lambda p=point: crash_at(p))


@pytest.mark.parametrize("name", NAMES)
def test_a_lost_message_is_recovered_by_a_sweep_or_the_next_run(name, runner, in_savepoint):
    case = CASES[name]
    expected, _, _ = clean_end(runner, in_savepoint, name)

    def lose():
        run = runner(name)
        run.build()
        if not case.periodic:
            assert case.recover, f"{name} is queued, not periodic: say which sweep recovers its lost message"
            lost = OutboxMessage.objects.filter(task_name=name, sent_at__isnull=True)
            assert lost.exists(), f"building the case for {name} queued no job"
            lost.update(sent_at=timezone.now() - timedelta(hours=1), created_at=timezone.now() - timedelta(hours=1))
            case.recover(timezone.now() + LATER)
        run.deliver(jobs=run.take(some=False))  # the job a sweep queued; for a periodic task, its next run
        sent, sent_clean = same(run.state(), expected)
        assert sent == sent_clean

    in_savepoint(lose)
