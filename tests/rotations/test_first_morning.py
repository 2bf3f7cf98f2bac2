"""The first morning after a handoff: the incoming advocate reads the note, acknowledges it, and finds what came with the baton."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rotations import boundaries, selectors, services
from tests.factories import HotIssueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed_over(desk, people, boss):
    """Ann's current term with a note and two open issues is handed over early to Cat; Ben owns one issue."""
    today = boundaries.local_date(program=desk, at=timezone.now())
    term = services.create_term(program=desk, start_date=today.replace(day=1), advocate=people[0])
    services.run_due_handoffs()
    services.write_handoff_note(term=term, author=people[0], note="Call ACME back about the invoice.")
    moved = [HotIssueFactory(program=desk, owner=people[0], title=f"Moved {i}") for i in range(2)]
    kept = HotIssueFactory(program=desk, owner=people[1], title="Not moved")
    handoff = services.hand_over_now(term=term, to=people[2], actor=boss)
    return handoff, moved, kept


def test_the_log_shows_the_note_on_top_until_the_incoming_advocate_acknowledges_it(client_for, people, handed_over):
    handoff, _, _ = handed_over
    client = client_for(people[2])
    log = reverse("issues:log")
    body = client.get(log).content.decode()
    assert 'data-testid="pending-handoff"' in body
    assert "Call ACME back about the invoice." in body
    ack = reverse("rotations:handoff_detail", kwargs={"slug": "desk", "pk": handoff.pk})
    assert f'action="{ack}"' in body
    response = client.post(ack, {"next": log})
    assert response.status_code == 302 and response["Location"] == log
    handoff.refresh_from_db()
    assert handoff.acknowledged_by == people[2]
    assert 'data-testid="pending-handoff"' not in client.get(log).content.decode()


def test_the_note_is_only_for_the_incoming_advocate(client_for, people, handed_over):
    body = client_for(people[0]).get(reverse("issues:log")).content.decode()
    assert 'data-testid="pending-handoff"' not in body
    assert selectors.unacknowledged_handoff_for(people[1]) is None


def test_acknowledging_from_the_log_never_redirects_off_site(client_for, people, handed_over):
    handoff, _, _ = handed_over
    ack = reverse("rotations:handoff_detail", kwargs={"slug": "desk", "pk": handoff.pk})
    response = client_for(people[2]).post(ack, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("advocacy:program_detail", kwargs={"slug": "desk"})


def test_my_page_shows_the_note_until_it_is_acknowledged(client_for, people, handed_over):
    handoff, _, _ = handed_over
    client = client_for(people[2])
    page = reverse("insights:my_page")
    assert "Call ACME back about the invoice." in client.get(page).content.decode()
    services.acknowledge_handoff(handoff=handoff, user=people[2])
    assert "Call ACME back about the invoice." not in client.get(page).content.decode()


def test_the_inherited_filter_lists_only_the_issues_that_came_with_the_baton(client_for, people, handed_over):
    _, moved, kept = handed_over
    client = client_for(people[2])
    body = client.get(reverse("issues:log"), {"inherited": "yes"}).content.decode()
    assert all(issue.title in body for issue in moved)
    assert kept.title not in body
    assert 'data-testid="inherited-filter"' in body
    # Someone whose current term did not begin with a handoff of issues has none.
    body = client_for(people[1]).get(reverse("issues:log"), {"inherited": "yes"}).content.decode()
    assert kept.title not in body and moved[0].title not in body


def test_the_issue_page_says_who_the_issue_was_inherited_from(client_for, people, handed_over):
    _, moved, kept = handed_over
    client = client_for(people[2])
    body = client.get(moved[0].get_absolute_url()).content.decode()
    assert f"inherited from {people[0].get_full_name()}" in body
    assert 'data-testid="inherited-from"' not in client.get(kept.get_absolute_url()).content.decode()


def test_the_handoff_page_lists_the_issues_that_moved(client_for, people, handed_over):
    handoff, moved, kept = handed_over
    url = reverse("rotations:handoff_detail", kwargs={"slug": "desk", "pk": handoff.pk})
    body = client_for(people[3]).get(url).content.decode()
    for issue in moved:
        assert f'href="{issue.get_absolute_url()}">{issue.title}</a>' in body
    assert kept.title not in body


def test_someone_with_nothing_to_acknowledge_costs_one_small_query(people, handed_over, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.unacknowledged_handoff_for(people[1]) is None
    services.acknowledge_handoff(handoff=handed_over[0], user=people[2])
    with django_assert_num_queries(1):
        assert selectors.unacknowledged_handoff_for(people[2]) is None
