"""Term reports: figures against hand-computed values, built once, frozen."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from advocacy.models import Notification, ThanksNote
from core.models import OutboxMessage
from insights import reports
from insights.models import TermReport
from issues.models import HotIssue, IssueSettings, Outreach, Status
from issues.selectors import HANDOFF_PARTICIPANT
from rotations import services as rotation_services
from rotations.hooks import HandoffEffect
from rotations.models import Handoff, Term
from tests.factories import HotIssueFactory, TermFactory, ThanksNoteFactory


def _save_at(issue: HotIssue, when, **changes) -> HotIssue:
    """Change an issue and date its history row at `when` (as if it happened then)."""
    for name, value in changes.items():
        setattr(issue, name, value)
    issue._history_date = when
    issue.save()
    return issue


def _issue(program, owner, created_at, **kwargs) -> HotIssue:
    issue = HotIssueFactory(program=program, owner=owner, created_at=created_at, **kwargs)
    HotIssue.history.model.objects.filter(id=issue.pk).update(history_date=created_at)
    return issue


def _thanks(program, sender, recipient, when):
    note = ThanksNoteFactory(program=program, sender=sender, recipient=recipient)
    ThanksNote.objects.filter(pk=note.pk).update(created_at=when)


def _outreach(issue, by, at, attempt):
    Outreach.objects.create(issue=issue, by=by, at=at, channel="phone", attempt=attempt, outcome="spoke")


@pytest.fixture
def worked_term(desk, ann, ben, finished_term, days):
    """Ann's quarter with a known history (see the comments for what each item counts as)."""
    t, start, end = finished_term, finished_term.starts_at, finished_term.ends_at
    # i1: open and Ann's before the term (inherited), resolved by her in the term, customer says 5.
    i1 = _issue(desk, ann, start - timedelta(days=10))
    _save_at(i1, days(t, 5), status=Status.RESOLVED, resolved_by=ann, resolved_at=days(t, 5), satisfaction=5)
    # i2: Ben's before the term (not inherited); flagged as a runaround during the term, but not one of its issues.
    i2 = _issue(desk, ben, start - timedelta(days=5))
    _save_at(i2, days(t, 6), runaround=True, transfer_count=3)
    # i3: logged in the term, reached after 2 hours, still open at the end (handed on), moved to Ben at the handoff.
    i3 = _issue(desk, ann, days(t, 1), first_outreach_at=days(t, 1, 2), status=Status.CONTACTED)
    _save_at(i3, days(t, 8), runaround=True, transfer_count=3)  # one of the term's issues hits the runaround
    _save_at(i3, end, owner=ben)
    # i4: logged in the term, reached after 6 hours, resolved by Ann, customer says 2.
    i4 = _issue(desk, ann, days(t, 2), first_outreach_at=days(t, 2, 6))
    _save_at(i4, days(t, 3), status=Status.RESOLVED, resolved_by=ann, resolved_at=days(t, 3), satisfaction=2)
    # i5: logged in the term, never reached, resolved by Ben (not Ann's), customer says 3.
    i5 = _issue(desk, ann, days(t, 3))
    _save_at(i5, days(t, 4), status=Status.RESOLVED, resolved_by=ben, resolved_at=days(t, 4), satisfaction=3)
    # i6: logged after the term: counts nowhere.
    _issue(desk, ann, end + timedelta(days=1))
    # Outreach: three by Ann in the term on two issues; one before the term and one by Ben don't count.
    _outreach(i3, ann, days(t, 1, 2), 1)
    _outreach(i3, ann, days(t, 10), 2)
    _outreach(i4, ann, days(t, 2, 6), 1)
    _outreach(i1, ann, start - timedelta(days=9), 1)
    _outreach(i2, ben, days(t, 7), 1)
    # Thanks: Ann gave one and received two during the term; one before the term doesn't count.
    _thanks(desk, ann, ben, days(t, 8))
    _thanks(desk, ben, ann, days(t, 9))
    _thanks(desk, ben, ann, days(t, 20))
    _thanks(desk, ben, ann, start - timedelta(days=1))
    Term.objects.filter(pk=t.pk).update(declaration="No customer waits a day.")
    t.refresh_from_db()
    t.issues = {"i1": i1, "i2": i2, "i3": i3, "i4": i4, "i5": i5}
    return t


def _handoff(program, *, incoming, outgoing=None, moved=()):
    """A handoff as rotations records it, with the ids its issues participant reported moving."""
    effect = HandoffEffect(participant=HANDOFF_PARTICIPANT, count=len(moved), ids=tuple(i.pk for i in moved))
    at = incoming.starts_at
    return Handoff.objects.create(
        program=program,
        outgoing_term=outgoing,
        incoming_term=incoming,
        outgoing_advocate=outgoing.advocate if outgoing else None,
        incoming_advocate=incoming.advocate,
        boundary_at=at,
        performed_at=at,
        effects=[effect.as_json()],
    )


@pytest.fixture
def handed_over(worked_term, desk, ben):
    """The handoffs into and out of Ann's term: i1 came with the baton, i3 and i2 left with it."""
    issues = worked_term.issues
    _handoff(desk, incoming=worked_term, moved=[issues["i1"]])
    following = TermFactory(program=desk, advocate=ben, start_date=date(2025, 4, 1), status=Term.Status.ACTIVE)
    _handoff(desk, incoming=following, outgoing=worked_term, moved=[issues["i3"], issues["i2"]])
    return worked_term


def test_figures_match_the_hand_computed_values(handed_over):
    assert reports.term_figures(term=handed_over) == {
        "version": 3,
        "themes": [],
        "inherited": 1,  # what the handoff into the term moved
        "received": 3,  # i3, i4, i5: received during the term
        "reached": 2,
        "first_contact_median_seconds": 4 * 3600,  # median of 2 h and 6 h
        "resolved": 2,  # i4 and i5, of those received, resolved before the end (by anyone)
        "resolved_satisfied": 0,
        "handed_on": 2,  # what the handoff out of the term recorded moving, whoever owned it
        "outreach": 3,
        "outreach_customers": 2,
        "satisfaction_average": 2.5,  # (2 + 3) / 2: the answers about the issues received in the term
        "satisfaction_answers": 2,
        "runarounds": 1,  # i3; i2 was received before the term
        "thanks_given": 1,
        "thanks_received": 2,
        # i3 and i4 were contacted within their day; i5, never contacted, missed it. All three are level 3.
        "first_contact_within": 2,
        "first_contact_due": 3,
        "first_contact_levels": {"1": [0, 0], "2": [0, 0], "3": [2, 3], "4": [0, 0], "5": [0, 0]},
        "first_contact_goal": 80,
    }


def test_a_term_without_issues_reports_zeros_and_no_averages(finished_term):
    figures = reports.term_figures(term=finished_term)
    assert figures["first_contact_median_seconds"] is None
    assert figures["satisfaction_average"] is None
    assert {k: v for k, v in figures.items() if k not in ("version", "first_contact_levels") and v is not None} == {
        "inherited": 0,
        "received": 0,
        "reached": 0,
        "resolved": 0,
        "resolved_satisfied": 0,
        "handed_on": 0,
        "outreach": 0,
        "outreach_customers": 0,
        "satisfaction_answers": 0,
        "runarounds": 0,
        "thanks_given": 0,
        "thanks_received": 0,
        "first_contact_within": 0,
        "first_contact_due": 0,
        "first_contact_goal": 80,
        "themes": [],
    }


def test_a_term_with_issues_but_none_resolved(desk, ann, finished_term, days):
    _issue(desk, ann, days(finished_term, 3), first_outreach_at=days(finished_term, 4))
    figures = reports.term_figures(term=finished_term)
    assert (figures["received"], figures["resolved"], figures["handed_on"]) == (1, 0, 0)  # no handoff yet
    assert figures["first_contact_median_seconds"] == 24 * 3600
    assert figures["satisfaction_average"] is None


def test_what_happened_after_the_term_ended_counts_for_no_term(desk, ann, finished_term, days):
    end = finished_term.ends_at
    late = _issue(desk, ann, end - timedelta(hours=2), first_outreach_at=end + timedelta(hours=1))
    _save_at(late, end + timedelta(days=1), status=Status.RESOLVED, resolved_at=end + timedelta(days=1))
    figures = reports.term_figures(term=finished_term)
    assert (figures["received"], figures["reached"], figures["resolved"]) == (1, 0, 0)
    assert figures["first_contact_median_seconds"] is None


def test_figures_take_a_fixed_number_of_queries(handed_over, desk, ann, django_assert_max_num_queries):
    for n in range(20):
        _issue(desk, ann, handed_over.starts_at + timedelta(days=n % 80, hours=1))
    with django_assert_max_num_queries(10):
        reports.term_figures(term=handed_over)


def test_report_is_built_once_and_frozen(worked_term, ann):
    report = reports.build_term_report(term=worked_term)
    assert report.figures["resolved"] == 2
    assert report.declaration == "No customer waits a day."
    assert len(report.qualities) == 10  # the default role's qualities
    # Later edits to issues and the term change nothing in the built report.
    HotIssue.objects.filter(program=worked_term.program).update(satisfaction=1, resolved_by=None)
    Term.objects.filter(pk=worked_term.pk).update(declaration="Rewritten later")
    again = reports.build_term_report(term=worked_term)
    assert again.pk == report.pk
    again.refresh_from_db()
    assert again.figures == report.figures and again.declaration == "No customer waits a day."
    assert TermReport.objects.count() == 1
    # The advocate is asked for a reflection, once.
    note = Notification.objects.get(user=ann, kind="term_report_ready")
    assert note.url == f"/programs/desk/reports/{report.pk}/reflection/"


def test_a_term_still_running_has_no_report_yet(desk, ann):
    term = TermFactory(program=desk, advocate=ann, start_date=date(2025, 4, 1), status=Term.Status.ACTIVE)
    with pytest.raises(ValidationError) as error:
        reports.build_term_report(term=term)
    assert reports.NOT_COMPLETED in error.value.messages


def test_a_term_without_an_advocate_gets_no_report(desk):
    term = TermFactory(program=desk, advocate=None, start_date=date(2025, 4, 1), status=Term.Status.COMPLETED)
    assert reports.build_term_report(term=term) is None
    assert not TermReport.objects.exists()


def test_the_role_version_pinned_on_the_term_gives_the_qualities(finished_term):
    from tests.factories import RoleDescriptionVersionFactory

    version = RoleDescriptionVersionFactory(qualities=["Is believable", "Finds allies"])
    Term.objects.filter(pk=finished_term.pk).update(role_version=version)
    assert reports.build_term_report(term=finished_term).qualities == ["Is believable", "Finds allies"]


def _at(*args):
    from datetime import datetime

    from rotations import boundaries  # noqa: F401

    return timezone.make_aware(datetime(*args), timezone.get_fixed_timezone(0))


def test_a_handoff_queues_one_build_with_it_and_the_report_appears_once(desk, ann, ben):
    builds = OutboxMessage.objects.filter(task_name="insights.tasks.build_term_report")
    first = rotation_services.create_term(program=desk, start_date=date(2025, 1, 1), advocate=ann)
    rotation_services.create_term(program=desk, start_date=first.end_date, advocate=ben)
    rotation_services.run_due_handoffs(now=_at(2025, 1, 2, 12))
    assert not builds.exists()  # the first handoff has no outgoing term
    assert rotation_services.run_due_handoffs(now=_at(2025, 4, 2, 12)) == 1
    assert list(builds.values_list("args", flat=True)) == [[first.pk]]
    from insights.tasks import build_term_report

    first_id = build_term_report(first.pk)
    second_id = build_term_report(first.pk)
    assert first_id == second_id == TermReport.objects.get(term=first).pk


def test_the_handoff_participant_only_records_the_job(desk, ann, django_assert_num_queries):
    from insights.receivers import queue_term_report
    from rotations.hooks import HandoffContext

    term = TermFactory(program=desk, advocate=ann, start_date=date(2025, 1, 1), status=Term.Status.COMPLETED)
    context = HandoffContext(
        program=desk,
        outgoing_term=term,
        incoming_term=None,
        outgoing_advocate=ann,
        incoming_advocate=None,
        at=term.ends_at,
    )
    with django_assert_num_queries(1):  # the outbox row, in the handoff's transaction
        effect = queue_term_report(context)
    assert (effect.participant, effect.ids) == ("insights.term_report", (term.pk,))
    job = OutboxMessage.objects.get()
    assert (job.task_name, job.args, job.sent_at) == ("insights.tasks.build_term_report", [term.pk], None)


def test_the_sweep_queues_again_the_build_a_crash_left_undone(worked_term, desk, ben, run_jobs):
    unassigned = TermFactory(program=desk, advocate=None, start_date=date(2025, 4, 1), status=Term.Status.COMPLETED)
    TermFactory(program=desk, advocate=ben, start_date=date(2025, 7, 1), status=Term.Status.ACTIVE)
    assert reports.terms_missing_reports() == [worked_term.pk]
    assert reports.requeue_missing_reports() == 1
    assert reports.requeue_missing_reports() == 0  # already waiting in the outbox
    # The broker took the job, and the worker crashed building it.
    OutboxMessage.objects.update(sent_at=timezone.now())
    assert reports.requeue_missing_reports() == 0  # queued a moment ago: it may still be running
    later = timezone.now() + reports.BUILD_RETRY_AFTER * 2
    assert reports.requeue_missing_reports(now=later) == 1
    run_jobs()
    assert reports.requeue_missing_reports(now=later) == 0
    assert list(TermReport.objects.values_list("term_id", flat=True)) == [worked_term.pk]
    assert unassigned.pk not in reports.terms_missing_reports()


def test_a_report_frozen_before_first_contact_within_target_shows_a_dash_not_a_recount(worked_term, client_for, boss):
    report = reports.build_term_report(term=worked_term)
    old = {k: v for k, v in report.figures.items() if not k.startswith("first_contact_") or k.endswith("seconds")}
    TermReport.objects.filter(pk=report.pk).update(figures=old | {"version": 2})
    report.refresh_from_db()
    shown = reports.shown_figures(report)
    assert shown["within_target_rate"] is None and shown["within_target_levels"] == []
    page = client_for(boss).get(reports.report_url(report)).content.decode()
    assert 'data-figure="within-target">—<' in page and "not counted when this report was built" in page


def test_the_report_keeps_the_goal_it_was_built_with(worked_term, desk, client_for, boss):
    IssueSettings.objects.create(program=desk, first_contact_goal=60)
    report = reports.build_term_report(term=worked_term)
    IssueSettings.objects.filter(program=desk).update(first_contact_goal=95)
    page = client_for(boss).get(reports.report_url(report)).content.decode()
    assert 'data-figure="within-target">67 %<' in page and "2 of 3 issues due, against a goal of 60&nbsp;%" in page
    assert 'data-figure="within-target-3">67 %<' in page
