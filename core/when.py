"""One way of writing a date and a moment, for pages, notifications, e-mails and exports.

A day reads "1 Oct 2026"; a moment reads "1 Oct 2026, 09:00", in the zone of
whoever reads it (the active zone, or the one given). Pages use the `day` and
`moment` template filters (core.templatetags.when, built into every template);
text written in Python (a notification, a subject line, a calendar entry) uses
these functions, so the same date never reads two ways.
"""

import zoneinfo
from datetime import date, datetime, tzinfo

from django.utils import timezone
from django.utils.dates import MONTHS_3

DAY_FORMAT = "j M Y"
MOMENT_FORMAT = "j M Y, H:i"


def as_zone(zone: tzinfo | str | None) -> tzinfo | None:
    """Return a tzinfo for a zone, a zone's name, or anything with a `time_zone` name (a program)."""
    zone = getattr(zone, "time_zone", zone)
    return zoneinfo.ZoneInfo(zone) if isinstance(zone, str) and zone else zone or None


def _day_text(value: date) -> str:
    """DAY_FORMAT written out: what dateformat.format gives for it (a test checks), several times faster.

    A page of the log writes a moment per row; Django's formatter parses the
    format and looks each part up every time.
    """
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"


def format_day(value: date | datetime | None, zone: tzinfo | str | None = None) -> str:
    """Return "1 Oct 2026" (a datetime is first put in `zone`, else the active zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, as_zone(zone))
    return _day_text(value)


def format_moment(value: datetime | None, zone: tzinfo | str | None = None) -> str:
    """Return "1 Oct 2026, 09:00" in `zone` (a zone, its name or a program), else in the active zone."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_day(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value, as_zone(zone))
    return f"{_day_text(value)}, {value.hour:02d}:{value.minute:02d}"  # MOMENT_FORMAT
