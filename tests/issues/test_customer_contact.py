"""Nobody waits: the customer gets their link and their advocate's name by e-mail, and the owner and the
managers hear at once of an angry customer or a runaround."""

import logging
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership, Notification
from core.models import OutboxMessage
from issues import background, notices, services, tasks
from issues.importing import run_import_job
from issues.models import HotIssue, ImportJob, IssueSettings, Mention, TrackingLinkEmail
from issues.receivers import on_handoff
from rotations.hooks import HandoffContext
from tests.factories import DepartmentFactory, MembershipFactory, MentionFeedFactory

pytestmark = pytest.mark.django_db

LINK_TASK = "issues.tasks.send_tracking_links"


@pytest.fixture
def ben(program):
    return MembershipFactory(
        program=program, user__username="ben", user__first_name="Ben", user__last_name="Secretlast"
    ).user


def submit(client, program, address="127.0.0.1", **data):
    form = {"summary": "Parcel lost", "what_happened": "It never came.", "level": "2", "email": "ana@example.com"}
    form.update(data)
    return client.post(reverse("issues:public_form", args=[program.slug]), form, REMOTE_ADDR=address)


def link_of(issue: HotIssue) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/track/{issue.tracking_token}/"


def customer_mails(address="ana@example.com"):
    return [m for m in mail.outbox if m.to == [address]]


# ---------------------------------------------------------------- the tracking link by e-mail


def test_the_public_form_emails_the_link_and_the_advocate_once(client, program, advocate, term, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    assert submit(client, program, name="Ana").status_code == 201
    issue = HotIssue.objects.get()
    [job] = OutboxMessage.objects.filter(task_name=LINK_TASK)
    assert "ana@example.com" not in str(job.args)  # ids only travel through the broker
    run_jobs()
    [sent] = customer_mails()
    assert f"Your advocate is Dana; here is your link: {link_of(issue)}" in sent.body
    assert "Parcel lost" in sent.body and "Hello Ana" in sent.body
    # Delivered again (a re-send after a broker outage): nothing more is sent.
    assert tasks.send_tracking_links(*job.args) == 0
    assert background.requeue_unsent_tracking_links(now=timezone.now() + background.LINK_RETRY_AFTER * 2) == 0
    assert len(customer_mails()) == 1
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "ana@example.com" not in logged


def test_a_customer_without_an_email_address_gets_no_mail(client, program, manager, run_jobs):
    assert submit(client, program, email="", phone="+49 30 1234").status_code == 201
    assert not TrackingLinkEmail.objects.exists() and not OutboxMessage.objects.filter(task_name=LINK_TASK).exists()


def test_staff_logged_issues_do_not_email_the_customer_a_link(make_issue, manager, ben, run_jobs):
    issue = make_issue(customer_email="phoned@example.com", level=2)
    services.reassign(issue=issue, actor=manager, owner=ben)
    run_jobs()
    assert not customer_mails("phoned@example.com")


def test_a_new_owner_is_announced_to_the_customer(client, program, advocate, term, manager, ben, run_jobs):
    submit(client, program)
    issue = HotIssue.objects.get()
    run_jobs()
    mail.outbox.clear()

    services.reassign(issue=issue, actor=manager, owner=ben)
    run_jobs()
    [sent] = customer_mails()
    assert f"Your advocate is Ben; here is your link: {link_of(issue)}" in sent.body
    assert "Secretlast" not in sent.body + sent.subject

    # A transfer to another team only: the advocate stays, no e-mail.
    services.transfer_issue(
        issue=issue, actor=manager, reason="Billing", to_department=DepartmentFactory(program=program)
    )
    run_jobs()
    assert len(customer_mails()) == 1
    # A transfer to another person: an e-mail.
    services.transfer_issue(issue=issue, actor=manager, reason="Dana knows", to_owner=advocate)
    run_jobs()
    assert len(customer_mails()) == 2 and "Your advocate is Dana" in customer_mails()[-1].body


def _handoff(program, outgoing, incoming, at):
    return on_handoff(
        HandoffContext(
            program=program,
            outgoing_term=None,
            incoming_term=None,
            outgoing_advocate=outgoing,
            incoming_advocate=incoming,
            at=at,
        )
    )


@pytest.mark.parametrize("n", [1, 12])
def test_a_handoff_emails_each_following_customer_once(client, program, advocate, term, manager, ben, run_jobs, n):
    for i in range(n):
        submit(client, program, email=f"c{i}@example.com", address=f"198.51.100.{i}")
    phone_only = submit(client, program, email="", phone="555", address="198.51.100.200")
    assert phone_only.status_code == 201
    run_jobs()
    mail.outbox.clear()
    at = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        effect = _handoff(program, advocate, ben, at)
    # The four of the move, and three to queue the e-mails, however many there are.
    assert effect.count == n + 1 and len(ctx.captured_queries) == 7
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"c{i}@example.com" for i in range(n))
    assert all("Your advocate is Ben; here is your link:" in m.body for m in mail.outbox)

    # The same handoff run again (its issues given back without a trace, say): nothing is sent twice.
    HotIssue.objects.update(owner=advocate)
    _handoff(program, advocate, ben, at)
    run_jobs()
    assert len(mail.outbox) == n
    assert TrackingLinkEmail.objects.filter(reason="new_owner").count() == n


def test_a_mail_server_failure_loses_no_tracking_link(client, program, manager, run_jobs):
    submit(client, program)
    with mock.patch("issues.background.send_mail", side_effect=OSError("SMTP down")):
        [failure] = run_jobs()
    assert isinstance(failure, OSError) and not customer_mails()
    assert background.requeue_unsent_tracking_links() == 0  # just queued: maybe still on its way
    later = timezone.now() + background.LINK_RETRY_AFTER * 2
    assert background.requeue_unsent_tracking_links(now=later) == 1
    assert background.requeue_unsent_tracking_links(now=later) == 0
    assert run_jobs() == [1]
    assert len(customer_mails()) == 1


# ---------------------------------------------------------------- the angry customer


def angry_notices(user=None):
    qs = Notification.objects.filter(kind="issue_angry_customer")
    return qs.filter(user=user) if user is not None else qs


def test_a_hostile_customer_from_the_public_form_tells_the_owner_at_once(client, program, advocate, term, run_jobs):
    submit(client, program, level="5", summary="Leaving you")
    issue = HotIssue.objects.get()
    [note] = angry_notices(advocate)
    assert "Leaving you" in note.title and note.url == issue.get_absolute_url()
    assert "ana@example.com" not in note.title + note.body
    run_jobs()
    assert [m.subject for m in mail.outbox if m.to == [advocate.email]] == [note.title]
    # Asked again (a bulk writer calling the helper too): still one notice.
    assert notices.tell_owner_of_angry_customer(issue) is False
    assert angry_notices().count() == 1


def test_every_path_tells_the_owner_of_a_level_4_or_5_issue(client_for, program, advocate, term, member, manager):
    # The staff form, as someone else than the owner.
    response = client_for(member).post(
        reverse("issues:create"), {"program": program.slug, "title": "Shouting", "level": "4", "source": "phone"}
    )
    assert response.status_code == 302
    # A mention promoted.
    feed = MentionFeedFactory(program=program)
    mention = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Worst shop ever")
    services.promote_mention(mention=mention, actor=member, level=5)
    # An import, even when the owner uploaded it.
    job = ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, content="score,comment\n1,Awful\n2,Bad\n", created_by=advocate
    )
    assert run_import_job(job_id=job.pk).created_issues == 2
    titles = sorted(angry_notices(advocate).values_list("title", flat=True))
    assert len(titles) == 3, titles
    assert any("Shouting" in t for t in titles) and any("Worst shop ever" in t for t in titles)


def test_calm_customers_and_the_owners_own_entries_tell_nobody(make_issue, program, advocate, term, member):
    make_issue(level=3, actor=member)
    make_issue(level=5, actor=advocate)  # the advocate typed it in: they know
    assert not angry_notices().exists()


# ---------------------------------------------------------------- the runaround


def test_the_managers_hear_once_when_an_issue_becomes_a_runaround(make_issue, program, manager, member, run_jobs):
    second = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="second").user
    IssueSettings.objects.create(program=program, runaround_transfers=2)
    program.refresh_from_db()
    issue = make_issue(level=2)
    teams = [DepartmentFactory(program=program, name=n) for n in ("Billing", "Shipping", "Tech", "Returns")]
    services.transfer_issue(issue=issue, actor=member, reason="Billing", to_department=teams[0])
    assert not Notification.objects.filter(kind="issue_runaround").exists()
    services.transfer_issue(issue=issue, actor=member, reason="Shipping", to_department=teams[1])
    services.transfer_issue(issue=issue, actor=member, reason="Tech", to_department=teams[2])
    services.transfer_issue(issue=issue, actor=member, reason="Returns", to_department=teams[3])
    told = Notification.objects.filter(kind="issue_runaround")
    assert sorted(told.values_list("user__username", flat=True)) == ["manager", "second"]
    assert all(n.url == issue.get_absolute_url() and "2 times" in n.body for n in told)
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox if "Runaround" in m.subject) == sorted([manager.email, second.email])
