"""The company view: every team's advocate, every program's health and every program's log, for a lead only."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy.models import Membership
from advocacy.permissions import NOT_COMPANY_LEAD, is_company_lead
from insights import services
from insights.models import FigureSnapshot
from insights.selectors import company
from issues.models import Customer, HotIssue
from tests.factories import CoverFactory, HotIssueFactory, MembershipFactory, ProgramFactory, TermFactory, UserFactory

from .conftest import NOW

DIRECTORY = reverse("insights:company_directory")
HEALTH = reverse("insights:company_health")
LOG = reverse("insights:company_log")


@pytest.fixture
def lead(db):
    group = Group.objects.create(name="CX leads")
    group.permissions.add(Permission.objects.get(codename="view_company"))
    person = UserFactory(username="lea", first_name="Lea")
    person.groups.add(group)
    return person


def _term(program, advocate, start, end):
    return TermFactory(
        program=program,
        advocate=advocate,
        start_date=start.date(),
        end_date=end.date(),
        starts_at=start,
        ends_at=end,
    )


def _programs(n):
    """`n` programs, each with a current term, a cover in force on every second one, a next term and a manager."""
    made = []
    for i in range(n):
        program = ProgramFactory(name=f"Team {i:02d}", slug=f"team-{i:02d}")
        now_person = UserFactory(username=f"now{i}", first_name=f"Now{i}")
        next_person = UserFactory(username=f"next{i}", first_name=f"Next{i}")
        MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username=f"boss{i}")
        term = _term(program, now_person, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
        _term(program, next_person, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC))
        if i % 2:
            CoverFactory(
                term=term,
                person=UserFactory(username=f"cover{i}", first_name=f"Cover{i}"),
                first_day=date(2026, 3, 17),
                last_day=date(2026, 3, 20),
                starts_at=datetime(2026, 3, 17, tzinfo=UTC),
                ends_at=datetime(2026, 3, 21, tzinfo=UTC),
            )
        HotIssueFactory(program=program, level=4, created_at=NOW - timedelta(days=3))
        made.append(program)
    return made


def test_the_permission_makes_a_lead_and_nothing_else_does(lead, manager, superuser):
    assert is_company_lead(user=lead)
    assert not is_company_lead(user=manager)
    assert is_company_lead(user=superuser)
    lead.is_active = False
    assert not is_company_lead(user=lead)


def test_a_program_manager_is_refused_the_company_view_with_the_reason(client_for, manager):
    client = client_for(manager)
    for url in (DIRECTORY, HEALTH, LOG):
        response = client.get(url)
        assert response.status_code == 403
        assert NOT_COMPANY_LEAD.split(".")[0] in response.content.decode()


def test_the_directory_says_who_holds_the_baton_now_and_who_is_next(db):
    team_a, team_b = _programs(2)
    empty = ProgramFactory(name="Team Empty", slug="team-empty")
    rows = {row.program.pk: row for row in company.directory(programs=[team_a, team_b, empty], now=NOW)}
    assert rows[team_a.pk].baton.advocate.username == "now0"
    assert rows[team_a.pk].baton.next_term.advocate.username == "next0"
    assert rows[team_b.pk].baton.advocate.username == "cover1"  # the cover person holds the baton during a cover
    assert rows[team_b.pk].baton.term.advocate.username == "now1"
    assert [m.username for m in rows[team_a.pk].managers] == ["boss0"]
    assert rows[empty.pk].baton.advocate is None and rows[empty.pk].baton.next_term is None


def test_the_directory_page_lists_every_program_with_an_empty_state(client_for, lead, monkeypatch):
    client = client_for(lead)
    assert "No team runs an advocate program yet" in client.get(DIRECTORY).content.decode()
    monkeypatch.setattr("insights.selectors.company.timezone.now", lambda: NOW)
    _programs(2)
    page = client.get(DIRECTORY).content.decode()
    assert "Team 00" in page and "Team 01" in page and "Nothing planned" not in page


def test_the_health_table_has_each_programs_figures(db, program, other_program, issue_at):
    # Last four weeks in `program`: three issues, first contacts after 1 and 3 hours, satisfaction 4 and 5.
    issue_at(NOW - timedelta(days=2), outreach=1, resolution=5, satisfaction=4, level=5)
    issue_at(NOW - timedelta(days=3), outreach=3, resolution=6, satisfaction=5)
    issue_at(NOW - timedelta(days=5), level=4, runaround=True)  # open, never contacted, overdue
    # The four weeks before: one issue, contacted after 5 hours.
    issue_at(NOW - timedelta(days=40), outreach=5)  # still open (contacted)
    # Older than eight weeks: open, counted now but in neither period.
    issue_at(NOW - timedelta(days=90), prog=other_program)
    rows = {row.program.pk: row for row in company.health_table(programs=[program, other_program], now=NOW)}
    mine, other = rows[program.pk], rows[other_program.pk]
    assert (mine.open, mine.overdue, mine.runaround) == (2, 1, 1)
    assert mine.recent.received == 3 and mine.previous.received == 1
    assert mine.recent.outreach_median == 2 * 3600 and mine.previous.outreach_median == 5 * 3600
    assert mine.recent.satisfaction == 4.5
    assert mine.received_change == 200 and mine.outreach_change == -3 * 3600
    assert (other.open, other.overdue, other.recent.received, other.received_change) == (1, 1, 0, None)


def test_the_health_page_shows_the_table_and_the_trend(client_for, lead, program, issue_at, monkeypatch):
    monkeypatch.setattr("insights.selectors.company.timezone.now", lambda: NOW)
    issue_at(NOW - timedelta(days=2), outreach=1, level=5)
    issue_at(NOW - timedelta(days=40), outreach=5)
    page = client_for(lead).get(HEALTH).content.decode()
    assert "Support Desk" in page and "first contact 4 h faster" in page and "As many issues" in page


@pytest.mark.parametrize("url", [DIRECTORY, HEALTH, LOG])
def test_a_company_page_costs_the_same_queries_for_3_and_for_12_programs(client_for, lead, url, monkeypatch):
    monkeypatch.setattr("insights.selectors.company.timezone.now", lambda: NOW)
    client = client_for(lead)
    _programs(3)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _programs_more = [ProgramFactory(name=f"More {i}", slug=f"more-{i}") for i in range(9)]
    for i, program in enumerate(_programs_more):
        person = UserFactory(username=f"more{i}")
        _term(program, person, datetime(2026, 3, 1, tzinfo=UTC), datetime(2099, 6, 1, tzinfo=UTC))
        HotIssueFactory.create_batch(3, program=program, owner=person, level=5, runaround=True)
    client.get(url)  # the health table stores the new programs' figures once
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"][:200] for q in many.captured_queries)


def test_the_company_log_shows_every_programs_issues_read_only(client_for, lead, program, other_program):
    HotIssueFactory(program=program, title="Charged twice", level=5)
    HotIssueFactory(program=other_program, title="Parcel lost", level=3)
    client = client_for(lead)
    page = client.get(LOG).content.decode()
    assert "Charged twice" in page and "Parcel lost" in page
    assert "Outreach</span></button>" not in page  # no actions
    for issue in HotIssue.objects.all():  # rows open the company's read-only page, not the members' one
        assert f'href="{issue.get_absolute_url()}"' not in page
        assert reverse("insights:company_issue", kwargs={"pk": issue.pk}) in page
    assert "New issue" not in page and "All programs" in page
    filtered = client.get(LOG, {"program": other_program.slug}).content.decode()
    assert "Parcel lost" in filtered and "Charged twice" not in filtered


def test_the_company_log_is_paginated_and_says_when_nothing_matches(client_for, lead, program):
    HotIssueFactory.create_batch(30, program=program, level=2)
    client = client_for(lead)
    first = client.get(LOG).content.decode()
    assert "Page 1 of 2" in first
    assert client.get(LOG, {"page": 2}).status_code == 200
    assert "No issues match" in client.get(LOG, {"level": 5}).content.decode()


def test_the_lead_finds_the_company_view_from_my_page(client_for, lead, member):
    assert DIRECTORY in client_for(lead).get(reverse("insights:my_page")).content.decode()
    assert DIRECTORY not in client_for(member).get(reverse("insights:my_page")).content.decode()


def test_the_health_table_stores_each_programs_figures_and_the_job_refreshes_them(db, program, issue_at):
    issue_at(NOW - timedelta(days=2), outreach=1, runaround=True)
    [row] = company.health_table(programs=[program], now=NOW)
    assert row.runaround == 1 and row.as_of == NOW
    stored = FigureSnapshot.objects.get(program=program, name=company.SNAPSHOT)
    # Read back while fresh: a new issue shows in the live counts, in the stored figures after a refresh.
    issue_at(NOW - timedelta(days=1), outreach=2, runaround=True)
    later = NOW + timedelta(minutes=5)
    [row] = company.health_table(programs=[program], now=later)
    assert (row.open, row.runaround, row.recent.received, row.as_of) == (2, 1, 1, NOW)
    assert services.refresh_snapshots(now=later) == 1
    [row] = company.health_table(programs=[program], now=later)
    assert (row.runaround, row.recent.received) == (2, 2)
    stored.refresh_from_db()
    assert stored.computed_at == later


def test_a_lead_opens_one_issue_of_the_company_log_read_only(client_for, lead, program, other_program):
    customer = Customer.objects.create(
        program=other_program, name="Jo Customer", email="jo@example.com", phone="+4930123456", company="Jo's Bakery"
    )
    issue = HotIssueFactory(
        program=other_program, title="Parcel lost", level=3, words="Where is my parcel?", customer=customer
    )
    client = client_for(lead)
    page_url = reverse("insights:company_issue", kwargs={"pk": issue.pk})
    assert f'<a class="title" href="{page_url}">Parcel lost</a>' in client.get(LOG).content.decode()
    page = client.get(page_url).content.decode()
    assert "Parcel lost" in page and "Where is my parcel?" in page and "Jo Customer, Jo&#x27;s Bakery" in page
    # A way back to the company log, and to this program's part of it.
    assert f'<a href="{LOG}">Every program' in page
    assert f'href="{LOG}?program={other_program.slug}">{other_program.name}</a>' in page
    # Nothing to act with, nothing to contact the customer with, no link to the members' page.
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<form" not in main and "<button" not in main
    for hidden in ("jo@example.com", "+4930123456", "mailto:", "tel:", issue.tracking_token, "Resolve", "Transfer"):
        assert hidden not in page, hidden
    assert f'href="{issue.get_absolute_url()}"' not in page


def test_a_customer_without_a_name_is_shown_as_on_the_company_log(client_for, lead, program):
    customer = Customer.objects.create(program=program, email="anon@example.com")
    issue = HotIssueFactory(program=program, title="No name given", customer=customer)
    page = client_for(lead).get(reverse("insights:company_issue", kwargs={"pk": issue.pk})).content.decode()
    assert "anon@example.com" in page and "mailto:" not in page  # the log's label, never a contact link


def test_a_lead_who_is_a_member_of_the_program_gets_a_link_to_its_page(client_for, lead, program):
    MembershipFactory(program=program, user=lead)
    issue = HotIssueFactory(program=program, title="Charged twice")
    client = client_for(lead)
    page = client.get(reverse("insights:company_issue", kwargs={"pk": issue.pk})).content.decode()
    assert f'href="{issue.get_absolute_url()}">Open it in the program</a>' in page
    assert client.get(issue.get_absolute_url()).status_code == 200  # their normal page, with its actions


def test_the_company_issue_page_is_refused_to_others_and_404s_for_no_issue(client_for, lead, member, program):
    issue = HotIssueFactory(program=program)
    url = reverse("insights:company_issue", kwargs={"pk": issue.pk})
    response = client_for(member).get(url)
    assert response.status_code == 403 and NOT_COMPANY_LEAD in response.content.decode()
    assert client_for(member).get(issue.get_absolute_url()).status_code == 200
    assert client_for(lead).get(reverse("insights:company_issue", kwargs={"pk": issue.pk + 999})).status_code == 404


@pytest.mark.parametrize(
    "params",
    [{}, {"page": "2"}, {"level": "5"}, {"overdue": "yes"}, {"program": "P"}, {"program": "P", "owner": "O"}],
    ids=["first", "later", "level", "overdue", "program", "program-owner"],
)
def test_the_company_log_costs_the_same_queries_at_a_few_and_many_issues(client_for, lead, program, params):
    """Every program's log, its later pages and filters: the same statements at 30 and at 120 issues,
    and no list of every program's people (the owner filter comes with a chosen program)."""
    client = client_for(lead)
    person = UserFactory(username="owner-of-many")
    MembershipFactory(program=program, user=person)
    others = [ProgramFactory(name=f"Other {i}", slug=f"other-{i}") for i in range(3)]
    params = {k: {"P": program.slug, "O": str(person.pk)}.get(v, v) for k, v in params.items()}
    counts = []
    for size in (30, 120):
        for n in range(size - HotIssue.objects.count()):
            HotIssueFactory(program=[program, *others][n % 4], owner=person, level=1 + n % 5)
        client.get(LOG, params)  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(LOG, params)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    page = response.content.decode()
    assert ('id="id_owner"' in page) == ("program" in params)
