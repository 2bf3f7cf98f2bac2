"""Term boundaries are local dates at the program's handoff time, right across DST changes."""

from datetime import UTC, date, datetime, time

import pytest

from rotations import boundaries
from tests.factories import ProgramFactory


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 1), 3, date(2026, 4, 1)),
        (date(2026, 11, 1), 3, date(2027, 2, 1)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 1), -3, date(2025, 12, 1)),
        (date(2026, 1, 1), 24, date(2028, 1, 1)),
    ],
)
def test_add_months_stays_on_calendar_months(day, months, expected):
    assert boundaries.add_months(day, months) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # New York: clocks spring forward 8 March 2026, fall back 1 November 2026.
        ("America/New_York", date(2026, 3, 7), utc(2026, 3, 7, 14)),
        ("America/New_York", date(2026, 3, 8), utc(2026, 3, 8, 13)),
        ("America/New_York", date(2026, 11, 1), utc(2026, 11, 1, 14)),
        ("America/New_York", date(2026, 10, 31), utc(2026, 10, 31, 13)),
        # Berlin: 29 March and 25 October 2026.
        ("Europe/Berlin", date(2026, 3, 28), utc(2026, 3, 28, 8)),
        ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 29, 7)),
        ("Europe/Berlin", date(2026, 10, 25), utc(2026, 10, 25, 8)),
        # Sydney, southern hemisphere: summer time ends 5 April, starts 4 October 2026.
        ("Australia/Sydney", date(2026, 4, 4), utc(2026, 4, 3, 22)),
        ("Australia/Sydney", date(2026, 4, 5), utc(2026, 4, 4, 23)),
        ("Australia/Sydney", date(2026, 10, 4), utc(2026, 10, 3, 22)),
        ("Australia/Sydney", date(2026, 10, 3), utc(2026, 10, 2, 23)),
    ],
)
def test_boundary_is_nine_local_on_dst_change_days(zone, day, expected):
    program = ProgramFactory(time_zone=zone, handoff_time=time(9, 0))
    instant = boundaries.boundary(program=program, day=day)
    assert instant == expected
    local = instant.astimezone(program.zone)
    assert (local.date(), local.time()) == (day, time(9, 0))


@pytest.mark.django_db
def test_a_handoff_time_skipped_by_dst_moves_forward_not_back():
    program = ProgramFactory(time_zone="America/New_York", handoff_time=time(2, 30))
    instant = boundaries.boundary(program=program, day=date(2026, 3, 8))
    assert instant == utc(2026, 3, 8, 7, 30)  # 03:30 EDT, the first real instant after 02:30 EST
    assert instant.astimezone(program.zone).time() == time(3, 30)


@pytest.mark.django_db
def test_a_repeated_handoff_time_takes_the_first_occurrence():
    program = ProgramFactory(time_zone="Europe/Berlin", handoff_time=time(2, 30))
    assert boundaries.boundary(program=program, day=date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Sydney"])
def test_terms_across_a_dst_change_keep_local_length(zone):
    program = ProgramFactory(time_zone=zone, term_months=1, handoff_time=time(9, 0))
    start = date(2026, 3, 1)
    end = boundaries.term_end_date(program=program, start_date=start)
    a, b = boundaries.boundary(program=program, day=start), boundaries.boundary(program=program, day=end)
    assert end == date(2026, 4, 1)
    assert a.astimezone(program.zone).time() == b.astimezone(program.zone).time() == time(9, 0)


def test_working_days_skip_the_weekend():
    from zoneinfo import ZoneInfo

    friday = utc(2026, 5, 15, 10)
    assert boundaries.add_working_days(start=friday, days=2, zone=ZoneInfo("Europe/Berlin")) == utc(2026, 5, 19, 10)
