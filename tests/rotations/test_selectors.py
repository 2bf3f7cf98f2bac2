"""Selectors: who is the advocate now, and the schedule's coverage gaps."""

from datetime import UTC, date, datetime, timedelta

import pytest

from advocacy.selectors import display_name
from rotations import services
from rotations.models import Cover, Leave
from rotations.selectors import advocate_history, current_advocate, schedule_for, upcoming_leave_for, upcoming_terms
from tests.factories import MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_no_term_yet_shows_a_current_gap_until_the_first_term(desk, people):
    services.create_term(program=desk, start_date=date(2026, 7, 1), advocate=people[0])
    sched = schedule_for(program=desk, at=datetime(2026, 5, 15, tzinfo=UTC))
    assert sched.current.kind == "gap" and sched.current.start_date == date(2026, 5, 15)
    assert sched.current.end_date == date(2026, 7, 1)


def test_current_advocate_is_none_between_terms_and_the_next_is_upcoming(desk, people):
    services.create_term(program=desk, start_date=date(2026, 1, 1), advocate=people[0])
    nxt = services.create_term(program=desk, start_date=date(2026, 7, 1), advocate=people[1])
    at = datetime(2026, 5, 15, tzinfo=UTC)
    assert current_advocate(program=desk, at=at) is None
    assert list(upcoming_terms(program=desk, at=at)) == [nxt]
    assert current_advocate(program=desk, at=datetime(2026, 7, 1, 7, 0, tzinfo=UTC)) == people[1]
    assert current_advocate(program=desk, at=datetime(2026, 7, 1, 6, 59, tzinfo=UTC)) is None


def test_current_advocate_queries_are_constant(desk, people, django_assert_num_queries):
    services.create_term(program=desk, start_date=date(2026, 4, 1), advocate=people[0])
    with django_assert_num_queries(2):
        current_advocate(program=desk, at=datetime(2026, 5, 15, tzinfo=UTC))


def test_the_advocate_history_answers_as_current_advocate_at_every_moment_in_one_query(
    desk, people, django_assert_num_queries
):
    first = services.create_term(program=desk, start_date=date(2026, 1, 1), advocate=people[0])
    services.create_term(program=desk, start_date=date(2026, 4, 1), advocate=None)  # nobody took it
    later = services.create_term(program=desk, start_date=date(2026, 7, 1), advocate=people[1])
    for term, person, day in ((first, people[2], 10), (later, people[3], 20), (later, people[2], 25)):
        starts = term.starts_at + timedelta(days=day)
        Cover.objects.create(
            term=term,
            person=person,
            first_day=starts.date(),
            last_day=(starts + timedelta(days=3)).date(),
            starts_at=starts,
            ends_at=starts + timedelta(days=4),
        )
    moments = [datetime(2025, 12, 31, tzinfo=UTC) + timedelta(hours=7 * i) for i in range(1200)]
    with django_assert_num_queries(1):
        history = advocate_history(program_id=desk.pk, first=moments[0], last=moments[-1])
    answers = [history.at(m) for m in moments]
    assert answers == [current_advocate(program=desk, at=m) for m in moments]
    assert set(answers) == {None, *people}
    with django_assert_num_queries(0):  # the names the page shows come with the one query
        names = {display_name(a) for a in answers if a is not None}
    assert names == {display_name(p) for p in people}


def test_my_leave_runs_until_its_last_day_ends_in_my_programs_zone(db):
    """At 05:00 UTC on 2 December it is still 1 December in Honolulu: leave ending that day still shows."""
    member = MembershipFactory(program=ProgramFactory(slug="hnl", time_zone="Pacific/Honolulu")).user
    leave = Leave.objects.create(user=member, first_day=date(2026, 11, 28), last_day=date(2026, 12, 1))
    assert list(upcoming_leave_for(user=member, at=datetime(2026, 12, 2, 5, 0, tzinfo=UTC))) == [leave]
    assert list(upcoming_leave_for(user=member, at=datetime(2026, 12, 2, 11, 0, tzinfo=UTC))) == []
