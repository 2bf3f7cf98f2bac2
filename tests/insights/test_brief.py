"""The customer's-chair brief: no contact details, questions, subscriptions and the weekly e-mail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.html import escape

from advocacy.models import Membership, Notification
from insights import selectors, services, tasks
from insights.models import BriefQuestion, BriefSubscription
from issues import services as issue_services
from tests.factories import MembershipFactory, TermFactory
from tests.insights.conftest import NOW

CONTACTS = ["jo.secret@example.com", "+49 30 1234 5678", "Jo Secretname", "Secretco GmbH"]
IN_WORDS = ["jo.private@example.org", "0171 2345678"]


@pytest.fixture
def hurting_customer(program, manager):
    return issue_services.create_issue(
        program=program,
        actor=manager,
        title="Charged twice, write to jo.private@example.org",
        words=(
            "I am Jo Secretname from Secretco GmbH. Mail me at jo.private@example.org or call 0171 2345678. "
            "You charged me twice!"
        ),
        level=5,
        customer_name="Jo Secretname",
        customer_email="jo.secret@example.com",
        customer_phone="+49 30 1234 5678",
        customer_company="Secretco GmbH",
    )


def test_brief_shows_the_customers_words_without_contact_details(client_for, member, program, hurting_customer):
    response = client_for(member).get(f"/programs/{program.slug}/brief/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "You charged me twice!" in body
    for secret in CONTACTS + IN_WORDS:
        assert secret not in body, secret
    assert "[email]" in body and "[phone]" in body and "[customer]" in body


def test_weekly_email_has_no_contact_details(program, manager, member, hurting_customer, run_jobs):
    services.set_subscription(program=program, user=member, subscribed=True)
    run_jobs()  # the issue's own notices
    mail.outbox.clear()
    assert services.send_weekly_briefs() == 1
    run_jobs()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email] and "You charged me twice!" in message.body
    for secret in CONTACTS + IN_WORDS:
        assert secret not in message.body and secret not in message.subject, secret


def test_weekly_send_runs_twice_but_each_member_gets_one_email(program, manager, member, run_jobs):
    for user in (manager, member):
        services.set_subscription(program=program, user=user, subscribed=True)
    left = MembershipFactory(program=program, user__username="leaver")
    services.set_subscription(program=program, user=left.user, subscribed=True)
    Membership.objects.filter(pk=left.pk).delete()  # left the program, subscription kept
    opted_out = MembershipFactory(program=program, user__username="quiet").user
    services.set_subscription(program=program, user=opted_out, subscribed=True)
    services.set_subscription(program=program, user=opted_out, subscribed=False)

    assert tasks.send_weekly_briefs() == 2
    assert tasks.send_weekly_briefs() == 0  # the same week: nothing new
    run_jobs()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, member.email])
    # The following week brings one more each.
    assert services.send_weekly_briefs(now=timezone.now() + timedelta(days=7)) == 2
    run_jobs()
    assert len(mail.outbox) == 4


def test_a_brief_recorded_while_the_broker_was_down_is_sent_once_from_the_outbox(program, member, run_jobs):
    services.set_subscription(program=program, user=member, subscribed=True)
    services.send_weekly_briefs()  # on-commit callbacks never run here: as if the broker never got the job
    assert mail.outbox == []
    assert run_jobs() == [True] and run_jobs() == []
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind="weekly_brief").count() == 1


def test_subscription_toggle(client_for, member, program):
    client = client_for(member)
    url = f"/programs/{program.slug}/brief/subscription/"
    client.post(url, {"subscribe": "yes"})
    assert BriefSubscription.objects.filter(program=program, user=member).exists()
    assert "Stop the weekly e-mail" in client.get(f"/programs/{program.slug}/brief/").content.decode()
    client.post(url, {"subscribe": "no"})
    assert not BriefSubscription.objects.exists()


def test_outsiders_get_404_and_never_see_another_programs_brief(client_for, outsider, program, hurting_customer):
    client = client_for(outsider)
    for path in ("health", "brief"):
        assert client.get(f"/programs/{program.slug}/{path}/").status_code == 404
    assert client.post(f"/programs/{program.slug}/brief/subscription/", {"subscribe": "yes"}).status_code == 404
    assert not BriefSubscription.objects.exists()
    own = client.get("/programs/other-team/brief/").content.decode()
    assert "You charged me twice" not in own


def test_manager_adds_answers_and_removes_questions(client_for, manager, program):
    client = client_for(manager)
    url = f"/programs/{program.slug}/brief/"
    assert client.post(url, {"text": "  Who owns   refunds? "}).status_code == 302
    question = BriefQuestion.objects.get()
    assert question.text == "Who owns refunds?" and question.asked_by == manager
    assert "Who owns refunds?" in client.get(url).content.decode()

    q_url = f"/programs/{program.slug}/brief/questions/{question.pk}/"
    response = client.post(q_url, {"action": "answer", "answer": ""}, follow=True)
    assert escape(services.ANSWER_REQUIRED) in response.content.decode()
    client.post(q_url, {"action": "answer", "answer": "Billing, same day."})
    question.refresh_from_db()
    assert question.answered_at is not None and question.answer == "Billing, same day."
    client.post(q_url, {"action": "remove"})
    assert not BriefQuestion.objects.exists()


def test_question_validation_messages(client_for, manager, program):
    client = client_for(manager)
    url = f"/programs/{program.slug}/brief/"
    assert services.QUESTION_REQUIRED in client.post(url, {"text": "   "}).content.decode()
    client.post(url, {"text": "Who owns refunds?"})
    assert services.QUESTION_DUPLICATE in client.post(url, {"text": "who owns REFUNDS?"}).content.decode()
    for i in range(services.MAX_OPEN_QUESTIONS - 1):
        client.post(url, {"text": f"Question {i}?"})
    body = client.post(url, {"text": "One too many?"}).content.decode()
    assert "already has 10 open questions" in body
    assert BriefQuestion.objects.count() == services.MAX_OPEN_QUESTIONS


def test_only_the_current_advocate_and_managers_change_questions(client_for, member, manager, program):
    question = BriefQuestion.objects.create(program=program, asked_by=manager, text="Who owns refunds?")
    client = client_for(member)
    assert client.post(f"/programs/{program.slug}/brief/", {"text": "Mine?"}).status_code == 403
    q_url = f"/programs/{program.slug}/brief/questions/{question.pk}/"
    assert client.post(q_url, {"action": "remove"}).status_code == 403
    assert "Add the question" not in client.get(f"/programs/{program.slug}/brief/").content.decode()
    # Once the member is the current advocate, they may.
    today = timezone.localdate()
    TermFactory(
        program=program, advocate=member, start_date=today - timedelta(days=5), end_date=today + timedelta(days=20)
    )
    assert client.post(q_url, {"action": "remove"}).status_code == 302
    assert not BriefQuestion.objects.exists()


def test_program_page_links_to_health_and_brief(client_for, member, program):
    body = client_for(member).get(f"/programs/{program.slug}/").content.decode()
    assert f"/programs/{program.slug}/health/" in body and f"/programs/{program.slug}/brief/" in body


def test_top_issues_follow_the_log_order_across_overdue_and_on_time_issues(
    program, issue_at, django_assert_num_queries
):
    from issues.models import HotIssue
    from issues.selectors import with_priority

    now = NOW
    issue_at(now - timedelta(hours=30), level=2)  # overdue (due after 24 h), mild
    issue_at(now - timedelta(hours=2), level=5)  # on time, leaving
    issue_at(now - timedelta(hours=40), level=4, outreach=1)  # contacted
    issue_at(now - timedelta(hours=50), level=1, runaround=True)  # overdue runaround
    issue_at(now - timedelta(hours=1), level=5, runaround=True)  # on time runaround
    issue_at(now - timedelta(hours=3), level=3, resolution=2)  # resolved: never listed
    log_order = list(
        with_priority(HotIssue.objects.filter(program=program, status__in=["new", "contacted"]), now=now).values_list(
            "id", flat=True
        )
    )
    for limit in (1, 2, 3, 5):
        with django_assert_num_queries(2):
            top = selectors.top_issues(program=program, now=now, limit=limit)
        assert [i.pk for i in top] == log_order[:limit]
    # Unhappiest first: the overdue issues here are the mildest ones.
    assert [i.overdue for i in selectors.top_issues(program=program, now=now)] == [False, False, False, True, True]
