"""Term boundaries in a program's own time zone.

A boundary is a local date plus the program's handoff time, converted to UTC
through the program's zone, so 09:00 stays 09:00 local across DST changes.
Terms are aligned to calendar months: a term starting on the 1st ends on the
1st `term_months` later (end date exclusive).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from advocacy.models import Program


def add_months(day: date, months: int) -> date:
    """Return `day` moved by whole calendar months, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 31, 30, 29, 28):
        if candidate <= day.day:
            try:
                return date(year, month, candidate)
            except ValueError:
                continue
    raise ValueError(f"cannot move {day} by {months} months")  # pragma: no cover


def local_instant(*, day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of local wall-clock `at` on `day` in `zone`.

    A wall time that does not exist (the hour skipped when clocks spring
    forward) moves forward by the gap; a repeated one (clocks falling back)
    takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    # A skipped wall time round-trips to a different wall time: use the later offset.
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        utc = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        utc = max(utc, aware.astimezone(UTC))
    return utc


def boundary(*, program: Program, day: date) -> datetime:
    """Return the UTC instant a term boundary on local `day` happens in `program`."""
    return local_instant(day=day, at=program.handoff_time, zone=program.zone)


def term_end_date(*, program: Program, start_date: date) -> date:
    """Return the exclusive end date of a term starting on `start_date`."""
    return add_months(start_date, program.term_months)


def local_date(*, program: Program, at: datetime) -> date:
    """Return the local calendar date of instant `at` in the program's zone."""
    return at.astimezone(program.zone).date()


def first_of_next_month(day: date) -> date:
    return add_months(day.replace(day=1), 1)


def add_working_days(*, start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Return `start` plus `days` working days (Monday to Friday) in local time."""
    local = start.astimezone(zone)
    remaining = days
    while remaining > 0:
        local = local + timedelta(days=1)
        if local.weekday() < 5:
            remaining -= 1
    return local.astimezone(UTC)
