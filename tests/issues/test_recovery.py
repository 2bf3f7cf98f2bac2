"""The recovery check: asked once per resolution, open for a window, and an answer of 1 or 2 brings the issue back."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from config.celery import app
from core.models import OutboxMessage
from issues import background
from issues import services as issue_services
from issues.models import HotIssue, IssueEvent, IssueSettings, RecoveryCheck, Status
from issues.services import recovery
from tests.factories import TermFactory, closing
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _term(program, advocate, starts_at, ends_at):
    zone = program.zone
    return TermFactory(
        program=program,
        advocate=advocate,
        start_date=timezone.localtime(starts_at, zone).date(),
        end_date=timezone.localtime(ends_at, zone).date(),
        starts_at=starts_at,
        ends_at=ends_at,
    )


@pytest.fixture
def baton(desk, ann, ben):
    """Ann holds the baton until five days from now; then Ben does."""
    now = timezone.now()
    _term(desk, ann, now - 10 * DAY, now + 5 * DAY)
    _term(desk, ben, now + 5 * DAY, now + 90 * DAY)
    return now


@pytest.fixture
def resolved(desk, ann, baton):
    """Ann's issue of a customer with an e-mail address, contacted and resolved now, first rated 4."""
    issue = issue_services.create_issue(
        program=desk, actor=ann, title="Charged twice", words="Twice!", level=4, customer_email="ana@example.com"
    )
    issue_services.log_outreach(issue=issue, actor=ann, channel="phone", outcome="spoke")
    issue = issue_services.resolve(issue=issue, actor=ann, resolution="Refunded.", **closing(issue))
    issue_services.record_satisfaction(issue=issue, score=4)
    issue.refresh_from_db()
    return issue


def _day(issue, days):
    return issue.resolved_at + timedelta(days=days, hours=1)


def _ask(issue, days=14):
    assert background.open_recovery_checks(now=_day(issue, days)) == 1
    return RecoveryCheck.objects.get(issue=issue, resolved_at=issue.resolved_at)


def test_the_question_opens_once_per_resolution_on_the_programs_day(resolved):
    assert background.open_recovery_checks(now=_day(resolved, 13)) == 0  # not yet
    check = _ask(resolved)
    assert check.satisfaction_before == 4 and check.open_until == check.asked_at + recovery.RECOVERY_WINDOW
    assert background.open_recovery_checks(now=_day(resolved, 14)) == 0
    assert background.open_recovery_checks(now=_day(resolved, 15)) == 0
    assert RecoveryCheck.objects.count() == 1
    assert OutboxMessage.objects.filter(task_name=recovery.SEND_RECOVERY_QUESTION_TASK).count() == 1
    assert IssueEvent.objects.filter(issue=resolved, kind=IssueEvent.Kind.RECOVERY_ASKED).count() == 1


def test_the_program_chooses_how_many_days_after_resolution(desk, resolved):
    IssueSettings.objects.create(program=desk, recovery_days=3)
    assert background.open_recovery_checks(now=_day(resolved, 2)) == 0
    assert background.open_recovery_checks(now=_day(resolved, 3)) == 1


def test_a_customer_with_no_way_to_be_asked_is_not_asked(desk, ann, baton):
    issue = issue_services.create_issue(program=desk, actor=ann, title="Rude clerk", words="Rude.", level=2)
    issue = issue_services.resolve(issue=issue, actor=ann, resolution="Apologised.", **closing(issue))
    assert background.open_recovery_checks(now=_day(issue, 14)) == 0


def test_a_customer_who_used_the_public_form_without_e_mail_is_asked_on_the_tracking_page(desk, baton):
    issue = issue_services.submit_public_form(
        program=desk, address="198.51.100.9", summary="Broken lamp", what_happened="Broke.", level=2, phone="123"
    )
    boss = issue.owner
    issue = issue_services.resolve(issue=issue, actor=boss, resolution="Replaced.", **closing(issue))
    assert background.open_recovery_checks(now=_day(issue, 14)) == 1
    assert not OutboxMessage.objects.filter(task_name=recovery.SEND_RECOVERY_QUESTION_TASK).exists()


def test_the_e_mail_asks_once_with_the_tracking_link(resolved, mailoutbox, run_jobs):
    check = _ask(resolved)
    run_jobs()
    assert len(mailoutbox) == 1
    assert "is it still sorted" in mailoutbox[0].subject.lower()
    assert resolved.get_tracking_url() in mailoutbox[0].body
    assert background.send_recovery_question(check_id=check.pk) is False
    assert len(mailoutbox) == 1


def test_an_answer_of_3_to_5_is_recorded_and_reopens_nothing(resolved):
    check = _ask(resolved)
    answered = issue_services.record_recovery_answer(
        issue=resolved, question=check.token, score=4, now=_day(resolved, 15)
    )
    resolved.refresh_from_db()
    assert answered.score == 4 and not answered.came_back
    assert resolved.status == Status.RESOLVED and resolved.came_back_at is None
    assert IssueEvent.objects.filter(issue=resolved, kind=IssueEvent.Kind.RECOVERY).count() == 1


def test_a_second_answer_changes_nothing(resolved):
    check = _ask(resolved)
    issue_services.record_recovery_answer(issue=resolved, question=check.token, score=5, now=_day(resolved, 15))
    with pytest.raises(ValidationError) as error:
        issue_services.record_recovery_answer(issue=resolved, question=check.token, score=1, now=_day(resolved, 16))
    assert recovery.RECOVERY_ANSWERED in error.value.messages
    check.refresh_from_db()
    resolved.refresh_from_db()
    assert check.score == 5 and resolved.status == Status.RESOLVED


def test_an_answer_after_the_window_changes_nothing(resolved):
    check = _ask(resolved)
    late = check.open_until + timedelta(minutes=1)
    with pytest.raises(ValidationError) as error:
        issue_services.record_recovery_answer(issue=resolved, question=check.token, score=1, now=late)
    assert "This question is closed" in error.value.messages[0]
    check.refresh_from_db()
    assert check.score is None and HotIssue.objects.get(pk=resolved.pk).status == Status.RESOLVED


def test_a_forged_question_changes_nothing(resolved, desk, ann):
    _ask(resolved)
    other = issue_services.create_issue(
        program=desk, actor=ann, title="Other", words="Other.", level=1, customer_email="bo@example.com"
    )
    other = issue_services.resolve(issue=other, actor=ann, resolution="Done.", **closing(other))
    other_check = RecoveryCheck.objects.create(
        issue=other, resolved_at=other.resolved_at, open_until=timezone.now() + 30 * DAY
    )
    for forged in ("", "not-a-question-we-asked", other_check.token):
        with pytest.raises(ValidationError) as error:
            issue_services.record_recovery_answer(issue=resolved, question=forged, score=1, now=_day(resolved, 15))
        assert recovery.RECOVERY_NOT_ASKED in error.value.messages
    assert not RecoveryCheck.objects.filter(score__isnull=False).exists()


def test_a_low_answer_reopens_for_the_current_advocate_after_a_handoff(resolved, ann, ben, mailoutbox):
    check = _ask(resolved)  # day 14: Ben holds the baton now, Ann resolved it
    assert resolved.owner == ann
    when = _day(resolved, 15)
    answered = issue_services.record_recovery_answer(issue=resolved, question=check.token, score="2", now=when)
    resolved.refresh_from_db()
    assert answered.came_back and answered.score == 2
    assert resolved.owner == ben and resolved.status == Status.IN_PROGRESS
    assert resolved.came_back_at == when
    assert resolved.resolved_at is None and resolved.satisfaction is None
    event = IssueEvent.objects.get(issue=resolved, kind=IssueEvent.Kind.CAME_BACK)
    assert "Came back" in event.summary and "2 of 5" in event.summary
    notice = Notification.objects.get(kind="issue_came_back")
    assert notice.user == ben and notice.url == resolved.get_absolute_url()


def test_a_reused_question_of_an_earlier_resolution_changes_nothing(resolved, ann):
    first = _ask(resolved)
    issue_services.record_recovery_answer(issue=resolved, question=first.token, score=1, now=_day(resolved, 15))
    resolved.refresh_from_db()
    owner = resolved.owner
    issue = issue_services.resolve(
        issue=resolved, actor=owner, resolution="Refunded again, for real.", **closing(resolved)
    )
    # A new resolution is a new question, on its own day.
    second = _ask(issue)
    assert second.pk != first.pk and RecoveryCheck.objects.filter(issue=issue).count() == 2
    with pytest.raises(ValidationError) as error:
        issue_services.record_recovery_answer(issue=issue, question=first.token, score=1, now=_day(issue, 15))
    assert recovery.RECOVERY_ANSWERED in error.value.messages


def test_an_unanswered_question_of_an_earlier_resolution_is_closed(resolved, ann):
    first = _ask(resolved)
    issue = issue_services.reopen(issue=resolved, actor=ann, reason="Called again")
    issue = issue_services.resolve(issue=issue, actor=ann, resolution="Sorted.", **closing(issue))
    with pytest.raises(ValidationError) as error:
        issue_services.record_recovery_answer(issue=issue, question=first.token, score=1, now=_day(resolved, 15))
    assert recovery.RECOVERY_EARLIER in error.value.messages
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED


def test_a_bad_score_changes_nothing(resolved):
    check = _ask(resolved)
    for score in ("", "9", "zero", 0):
        with pytest.raises(ValidationError):
            issue_services.record_recovery_answer(issue=resolved, question=check.token, score=score)
    check.refresh_from_db()
    assert check.score is None


# ---------------------------------------------------------------- pages


def test_the_tracking_page_asks_and_takes_the_answer(client, resolved, ben):
    check = _ask(resolved)
    RecoveryCheck.objects.filter(pk=check.pk).update(open_until=timezone.now() + 30 * DAY)
    url = resolved.get_tracking_url()
    page = client.get(url).content.decode()
    assert 'data-testid="recovery-form"' in page and check.token in page
    answer = reverse("issues:track_recovery", kwargs={"token": resolved.tracking_token})
    response = client.post(answer, {"question": check.token, "score": "1"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="recovery-form"' not in page
    assert "you told us: 1 of 5" in page and "we reopened your problem" in page
    assert "Reopened after your answer" in page and "You rated your satisfaction 4 of 5" in page
    again = client.post(answer, {"question": check.token, "score": "5"})
    assert again.status_code == 400 and recovery.RECOVERY_ANSWERED in again.content.decode()
    check.refresh_from_db()
    assert check.score == 1


def test_the_tracking_page_refuses_a_forged_question_and_a_forged_link(client, resolved):
    _ask(resolved)
    answer = reverse("issues:track_recovery", kwargs={"token": resolved.tracking_token})
    response = client.post(answer, {"question": "x" * 30, "score": "1"})
    assert response.status_code == 400 and recovery.RECOVERY_NOT_ASKED in response.content.decode()
    forged = reverse("issues:track_recovery", kwargs={"token": "y" * 32})
    assert client.post(forged, {"question": "x" * 30, "score": "1"}).status_code == 404
    assert not RecoveryCheck.objects.filter(score__isnull=False).exists()


def test_the_issue_page_shows_the_whole_exchange_and_the_came_back_badge(client_for, resolved, ben):
    check = _ask(resolved)
    RecoveryCheck.objects.filter(pk=check.pk).update(open_until=timezone.now() + 30 * DAY)
    issue_services.record_recovery_answer(issue=resolved, question=check.token, score=2)
    page = client_for(ben).get(resolved.get_absolute_url()).content.decode()
    assert 'data-testid="came-back"' in page
    exchange = page.split('data-testid="recovery-check"')[1]
    assert "4 of 5" in exchange and "2 of 5" in exchange and "Came back" in exchange
    assert "Refunded." in page  # the resolution


def test_the_log_row_shows_that_the_issue_came_back(client_for, resolved, ben):
    check = _ask(resolved)
    RecoveryCheck.objects.filter(pk=check.pk).update(open_until=timezone.now() + 30 * DAY)
    issue_services.record_recovery_answer(issue=resolved, question=check.token, score=1)
    page = client_for(ben).get(reverse("issues:log")).content.decode()
    assert "flag-came-back" in page


def test_the_settings_page_edits_the_recovery_day_and_the_goal(client_for, desk, boss):
    url = reverse("issues:settings", kwargs={"slug": desk.slug})
    form = client_for(boss).get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data |= {"recovery_days": "21", "first_contact_goal": "90"}
    assert client_for(boss).post(url, data).status_code == 302
    row = IssueSettings.objects.get(program=desk)
    assert row.recovery_days == 21 and row.first_contact_goal == 90
    bad = client_for(boss).post(url, data | {"recovery_days": "0", "first_contact_goal": "101"})
    assert bad.status_code == 400
    assert IssueSettings.objects.get(program=desk).recovery_days == 21


# ---------------------------------------------------------------- through a worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_through_a_worker_the_job_delivered_twice_asks_once_and_mails_once(desk, ann, worker_queues, mailoutbox):
    issue = issue_services.create_issue(
        program=desk,
        actor=ann,
        owner=ann,
        title="Charged twice",
        words="Twice!",
        level=4,
        customer_email="ana@example.com",
    )
    issue = issue_services.resolve(issue=issue, actor=ann, resolution="Refunded.", **closing(issue))
    HotIssue.objects.filter(pk=issue.pk).update(resolved_at=timezone.now() - timedelta(days=14, hours=1))
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=worker_queues):
        results = [app.send_task("issues.tasks.open_recovery_checks") for _ in range(2)]
        assert wait_for(lambda: all(r.ready() for r in results))
        assert sorted(r.get() for r in results) == [0, 1]
        assert wait_for(lambda: RecoveryCheck.objects.filter(email_sent_at__isnull=False).exists())
    assert RecoveryCheck.objects.filter(issue=issue).count() == 1
    assert [m.subject for m in mailoutbox if "still sorted" in m.subject] == ["Desk: is it still sorted?"]
