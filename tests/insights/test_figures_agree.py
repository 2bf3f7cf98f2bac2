"""The term report, the health page and the program page show the same figures for the same term.

A term's issues are built by hand; the three pages are read through the test
client and their figures compared with each other and with the hand count.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights import reports
from issues import importing
from issues.models import HotIssue, ImportJob, IssueSettings, Status
from issues.selectors import HANDOFF_PARTICIPANT
from rotations.hooks import HandoffEffect
from rotations.models import Handoff, Term
from tests.factories import HotIssueFactory, TermFactory

FIGURES = (
    "received",
    "first-contact",
    "within-target",
    "resolved",
    "resolution-rate",
    "runaround",
    "satisfaction",
    "answers",
    "handed-on",
)


def _term(program, advocate, starts_at, ends_at, status):
    zone = program.zone
    return TermFactory(
        program=program,
        advocate=advocate,
        start_date=timezone.localtime(starts_at, zone).date(),
        end_date=timezone.localtime(ends_at, zone).date(),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
    )


def _issue(program, owner, created, *, contacted=None, resolved=None, satisfaction=None, answered=None):
    """An issue received at `created`, first contacted, resolved and answered at the given instants."""
    return HotIssueFactory(
        satisfaction=satisfaction,
        satisfaction_at=answered,
        program=program,
        owner=owner,
        created_at=created,
        first_outreach_due_at=created + timedelta(hours=24),
        first_outreach_at=contacted,
        resolved_at=resolved,
        status=Status.RESOLVED if resolved else (Status.CONTACTED if contacted else Status.NEW),
    )


def _handoff(program, *, outgoing, incoming, moved):
    effect = HandoffEffect(participant=HANDOFF_PARTICIPANT, count=len(moved), ids=tuple(i.pk for i in moved))
    return Handoff.objects.create(
        program=program,
        outgoing_term=outgoing,
        incoming_term=incoming,
        outgoing_advocate=outgoing.advocate,
        incoming_advocate=incoming.advocate,
        boundary_at=incoming.starts_at,
        performed_at=incoming.starts_at,
        effects=[effect.as_json()],
    )


@pytest.fixture
def two_terms(desk, boss, ann, ben):
    """Ann's closed term (60 to 10 days ago) with seven issues of known fate, and Ben's current term."""
    now = timezone.now()
    start, end = now - timedelta(days=60), now - timedelta(days=10)
    closed = _term(desk, ann, start, end, Term.Status.COMPLETED)
    current = _term(desk, ben, end, now + timedelta(days=80), Term.Status.ACTIVE)
    day = lambda n, hours=0: start + timedelta(days=n, hours=hours)  # noqa: E731
    # Received before the term and resolved in it: not one of the term's issues.
    _issue(desk, ann, start - timedelta(days=5), contacted=start - timedelta(days=4), resolved=day(3))
    issues = [
        _issue(desk, ann, day(1), contacted=day(1, 2), resolved=day(2), satisfaction=5, answered=day(3)),
        _issue(desk, ann, day(2), contacted=day(2, 4), resolved=day(5), satisfaction=2, answered=day(6)),
        _issue(desk, ann, day(3), contacted=day(3, 6)),
        # The customer answered after the term ended: no term counts the answer.
        _issue(
            desk, ann, day(4), contacted=day(4, 10), resolved=day(6), satisfaction=1, answered=end + timedelta(days=1)
        ),
        _issue(desk, ann, day(5), contacted=day(5, 30)),
        # Received two hours before the end, contacted and resolved after it: received, nothing more.
        # Ben owns it already; the handoff still moved it, and the handoff's record is what counts.
        _issue(
            desk, ben, end - timedelta(hours=2), contacted=end + timedelta(hours=1), resolved=end + timedelta(days=2)
        ),
        _issue(desk, ann, day(6), resolved=day(7)),  # resolved without a contact
    ]
    # One of the term's issues hit the runaround during it, another only after it ended.
    for issue, when in ((issues[0], day(8)), (issues[4], end + timedelta(days=1))):
        issue.runaround, issue._history_date = True, when
        issue.save()
    # The handoff moved three open issues: "handed on" is its record, not who owned what at the end.
    _handoff(desk, outgoing=closed, incoming=current, moved=[issues[2], issues[4], issues[5]])
    # Ann's term is reported on, then a survey answer dated inside it is imported today.
    report = reports.build_term_report(term=closed)
    job = ImportJob.objects.create(
        program=desk,
        kind=ImportJob.Kind.SURVEY,
        created_by=boss,
        content=f"score,comment,date\n1,Nobody called back,{timezone.localdate(day(20), desk.zone):%Y-%m-%d}\n",
    )
    importing.run_import_job(job_id=job.pk)
    return closed, current, report


def _row(html: str, term: Term) -> str:
    match = re.search(rf'<tr data-term="{term.pk}".*?</tr>', html, re.S)
    assert match, f"no row for term {term.pk}"
    return match.group(0)


def _figures(html: str) -> dict[str, str]:
    found = {}
    for name in FIGURES:
        match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
        found[name] = match.group(1).strip() if match else None
    return found


def test_the_report_the_health_page_and_the_program_page_show_the_same_figures(client_for, desk, boss, two_terms):
    closed, current, report = two_terms
    client = client_for(boss)
    report_page = client.get(reverse("insights:report_detail", kwargs={"slug": desk.slug, "pk": report.pk}))
    health_page = client.get(reverse("insights:health", kwargs={"slug": desk.slug}))
    program_page = client.get(desk.get_absolute_url())
    assert report_page.status_code == health_page.status_code == program_page.status_code == 200

    by_hand = {
        "received": "7",  # the imported answer, though dated inside the term, is not one of them
        "first-contact": "6 h",  # median of 2, 4, 6, 10 and 30 hours; the contact after the end does not count
        # Due within a day: four contacted in time; the one contacted after 30 hours and the one never contacted
        # missed it; the one received two hours before the end was not due by then, and is not counted.
        "within-target": "67 %",
        "resolved": "4",
        "resolution-rate": "57.1 %",
        "satisfaction": "3.5/5",  # (5 + 2) / 2
        "answers": "2",
        "runaround": "1",
        "handed-on": "3",
    }
    on_report = _figures(report_page.content.decode())
    on_health = _figures(_row(health_page.content.decode(), closed))
    on_program = _figures(_row(program_page.content.decode(), closed))
    assert on_report == on_health == by_hand
    assert on_program == by_hand | {"runaround": None}  # the program page does not show runarounds

    # The current term: the imported answer is one of its issues, on both live pages alike.
    now_health = _figures(_row(health_page.content.decode(), current))
    now_program = _figures(_row(program_page.content.decode(), current))
    assert now_health | {"runaround": None} == now_program
    assert now_health["received"] == "1" and now_health["handed-on"] == "—" and now_health["satisfaction"] == "—"
    assert now_health["within-target"] == "—"  # the imported answer is not due yet


def test_a_back_dated_import_leaves_the_closed_terms_figures_as_reported(desk, two_terms):
    closed, current, report = two_terms
    imported = HotIssue.objects.get(source="survey")
    assert closed.starts_at <= imported.occurred_at < closed.ends_at
    assert current.starts_at <= imported.created_at
    assert reports.term_figures(term=closed)["received"] == report.figures["received"] == 7


# ---------------------------------------------------------------- the headline trend on the program page


def _trend(html: str) -> str:
    match = re.search(r'data-testid="first-contact-trend"[^>]*>(.*?)</(p|div)>', html, re.S)
    assert match, "no trend on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def four_terms(desk, ann, ben):
    """Five terms of 30 days, the last one current; first contacts get faster term by term."""
    now = timezone.now()
    terms = []
    for i, advocate in enumerate([ann, ben, ann, ben, ann]):
        start = now - timedelta(days=30 * (4 - i) + 15)
        status = Term.Status.ACTIVE if i == 4 else Term.Status.COMPLETED
        terms.append(_term(desk, advocate, start, start + timedelta(days=30), status))
    return terms


def test_the_program_page_shows_the_median_time_to_first_contact_over_the_last_four_terms(
    client_for, desk, ann, four_terms
):
    hours = [50, 34, 20, None, 15]  # the oldest term is not one of the last four; one term has no contacts
    for term, wait in zip(four_terms, hours, strict=True):
        for n in range(3):
            received = term.starts_at + timedelta(days=n + 1)
            _issue(desk, ann, received, contacted=received + timedelta(hours=wait) if wait else None)
    body = client_for(ann).get(desk.get_absolute_url()).content.decode()
    assert _trend(body) == "Median time to first contact: 34 h → 15 h over the last four terms"


def test_the_program_page_says_plainly_when_there_is_no_first_contact_to_measure(client_for, desk, ann, four_terms):
    _issue(desk, ann, four_terms[-1].starts_at + timedelta(days=1))  # received, never contacted
    body = client_for(ann).get(desk.get_absolute_url()).content.decode()
    assert _trend(body).startswith("No first contacts to measure yet.")


def test_one_term_with_contacts_shows_its_median_without_an_arrow(client_for, desk, ann, four_terms):
    received = four_terms[-1].starts_at + timedelta(days=1)
    _issue(desk, ann, received, contacted=received + timedelta(hours=3))
    body = client_for(ann).get(desk.get_absolute_url()).content.decode()
    trend = _trend(body)
    assert trend.startswith("Median time to first contact: 3 h in the term starting") and "→" not in trend


def test_the_program_page_costs_the_same_queries_with_more_terms_and_issues(client_for, desk, ann, ben):
    client = client_for(ann)
    now = timezone.now()
    _term(desk, ann, now - timedelta(days=10), now + timedelta(days=20), Term.Status.ACTIVE)
    client.get(desk.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        assert client.get(desk.get_absolute_url()).status_code == 200
    older = []
    for i in range(1, 4):
        start = now - timedelta(days=10 + 30 * i)
        older.append(_term(desk, ben if i % 2 else ann, start, start + timedelta(days=30), Term.Status.COMPLETED))
        for n in range(10):
            received = start + timedelta(days=n)
            _issue(
                desk, ann, received, contacted=received + timedelta(hours=n + 1), resolved=received + timedelta(days=1)
            )
    for newer, older_term in zip(older, older[1:], strict=False):
        _handoff(desk, outgoing=older_term, incoming=newer, moved=[])
    with CaptureQueriesContext(connection) as many:
        assert client.get(desk.get_absolute_url()).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# ---------------------------------------------------------------- first contact within target


def _level_issue(program, owner, created, level, *, hours=None, due_hours=24):
    """An issue at `level` received at `created`, due `due_hours` later, contacted `hours` later (or never)."""
    return HotIssueFactory(
        program=program,
        owner=owner,
        level=level,
        created_at=created,
        first_outreach_due_at=created + timedelta(hours=due_hours),
        first_outreach_at=created + timedelta(hours=hours) if hours is not None else None,
        status=Status.CONTACTED if hours is not None else Status.NEW,
    )


def _within(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no {name} on the page"
    return match.group(1).strip()


def test_first_contact_within_target_agrees_per_level_on_the_health_and_program_pages(
    client_for, desk, boss, ann, four_terms
):
    IssueSettings.objects.create(program=desk, first_contact_goal=90)
    now = timezone.now()
    received = now - timedelta(days=3)
    _level_issue(desk, ann, received, 5, hours=2, due_hours=4)  # in time
    _level_issue(desk, ann, received, 5, hours=6, due_hours=4)  # late: missed
    _level_issue(desk, ann, received, 5, due_hours=4)  # never contacted, target passed: missed
    _level_issue(desk, ann, received, 3, hours=20)  # in time
    _level_issue(desk, ann, now - timedelta(hours=1), 3)  # not due yet: not counted
    _level_issue(desk, ann, now - timedelta(hours=1), 2, hours=0.5)  # contacted before its target: in time
    client = client_for(boss)
    health = client.get(reverse("insights:health", kwargs={"slug": desk.slug})).content.decode()
    program = client.get(desk.get_absolute_url()).content.decode()
    by_hand = {"within-target-5": "33 %", "within-target-3": "100 %", "within-target-2": "100 %"}
    by_hand |= {"within-target-4": "—", "within-target-1": "—"}
    for name, value in by_hand.items():
        assert _within(health, name) == _within(program, name) == value, name
    current = four_terms[-1]
    assert _figures(_row(health, current))["within-target"] == _figures(_row(program, current))["within-target"]
    assert _figures(_row(health, current))["within-target"] == "60 %"  # 3 of 5
    assert _within(program, "within-target-headline") == "60 %" and "(goal 90&nbsp;%)" in program
    assert "goal 90 %" in health


def test_the_health_page_costs_the_same_queries_with_one_and_four_terms(client_for, desk, boss, ann, ben, settings):
    settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS = 3600  # counted live both times, however slow the machine
    client = client_for(boss)
    url = reverse("insights:health", kwargs={"slug": desk.slug})
    now = timezone.now()
    _term(desk, ann, now - timedelta(days=10), now + timedelta(days=20), Term.Status.ACTIVE)
    _level_issue(desk, ann, now - timedelta(days=2), 4, hours=3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(1, 4):
        start = now - timedelta(days=10 + 30 * i)
        _term(desk, ben if i % 2 else ann, start, start + timedelta(days=30), Term.Status.COMPLETED)
        for n in range(5):
            _level_issue(desk, ann, start + timedelta(days=n), 1 + n, hours=n * 3 if n % 2 else None)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
