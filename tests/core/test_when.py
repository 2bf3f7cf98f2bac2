"""One way of writing dates: "1 Oct 2026" and "1 Oct 2026, 09:00", in the reader's zone, in pages and in text."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from core.when import format_day, format_moment
from core.zones import activate_zone

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "advocacy", "rotations", "issues", "insights"]


def test_a_day_reads_the_same_everywhere():
    assert format_day(date(2026, 10, 1)) == "1 Oct 2026"
    assert format_day(date(2026, 12, 31)) == "31 Dec 2026"
    assert format_day(None) == ""


@pytest.mark.parametrize(
    ("utc", "zone", "shown"),
    [
        (datetime(2026, 12, 2, 8, 0, tzinfo=UTC), "Europe/Berlin", "2 Dec 2026, 09:00"),  # winter, UTC+1
        (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "Europe/Berlin", "1 Jul 2026, 09:00"),  # summer, UTC+2
        (datetime(2026, 12, 2, 14, 0, tzinfo=UTC), "America/New_York", "2 Dec 2026, 09:00"),  # UTC-5
        (datetime(2026, 7, 1, 13, 0, tzinfo=UTC), "America/New_York", "1 Jul 2026, 09:00"),  # UTC-4
        (datetime(2026, 12, 2, 3, 30, tzinfo=UTC), "America/New_York", "1 Dec 2026, 22:30"),  # the day before
    ],
)
def test_a_moment_reads_in_the_zone_it_is_shown_in(utc, zone, shown):
    assert format_moment(utc, zone) == shown
    activate_zone(zone)
    try:
        assert format_moment(utc) == shown
        page = Template("{{ at|moment }} · {{ at|day }} · {{ on|day }}").render(Context({"at": utc, "on": utc.date()}))
        assert page == f"{shown} · {shown.split(',')[0]} · {format_day(utc.date())}"
    finally:
        timezone.deactivate()


def test_moment_with_a_program_uses_that_programs_zone_whatever_the_page_is_in():
    class Program:
        time_zone = "America/New_York"

    at = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    activate_zone("Asia/Tokyo")
    try:
        page = Template("{{ at|moment:program }} | {{ at|moment }}").render(Context({"at": at, "program": Program()}))
    finally:
        timezone.deactivate()
    assert page == "2 Dec 2026, 09:00 | 2 Dec 2026, 23:00"


def test_moment_after_an_explicit_timezone_filter_keeps_that_zone():
    at = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    page = Template("{% load tz %}{{ at|timezone:'America/New_York'|moment }}").render(Context({"at": at}))
    assert page == "2 Dec 2026, 09:00"


# A |date: format that names a day and a year, or a day and a time, is a full date: it must be |day or |moment.
FULL_DATE_IN_TEMPLATE = re.compile(r"""\|date:["'](?=[^"']*[jd])(?=[^"']*[YyHGi])[^"']*["']""")
# A full date written in Python by strftime codes (f"{d:%d %b %Y}", "%-d %B"), rather than by core.when.
FULL_DATE_IN_PYTHON = re.compile(r"%-?d %[bB]")


def test_templates_write_full_dates_only_through_day_and_moment():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            for match in FULL_DATE_IN_TEMPLATE.finditer(path.read_text()):
                if match.group(0)[7:-1] not in ("c", "Y-m-d", r"Y-m-d\TH:i"):  # machine formats
                    found.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert found == []


def test_python_writes_full_dates_only_through_core_when():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if FULL_DATE_IN_PYTHON.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_written_out_formats_give_what_django_gives():
    """format_day and format_moment write DAY_FORMAT and MOMENT_FORMAT out; Django's formatter is the reference."""
    from django.utils import dateformat

    from core.when import DAY_FORMAT, MOMENT_FORMAT

    for month in range(1, 13):
        for day, hour, minute in ((1, 0, 0), (9, 7, 5), (28, 23, 59)):
            at = datetime(2026, month, day, hour, minute, tzinfo=UTC)
            assert format_moment(at, "UTC") == dateformat.format(at, MOMENT_FORMAT)
            assert format_day(at.date()) == dateformat.format(at.date(), DAY_FORMAT)
    assert format_day(date(5, 3, 4)) == dateformat.format(date(5, 3, 4), DAY_FORMAT)
