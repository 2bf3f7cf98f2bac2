"""The `day` and `moment` filters: every page writes dates one way (see core.when).

Django hands these filters a datetime already in the page's zone (or in the
zone a `|timezone:` filter before them chose); `|moment:program` puts it in
that program's zone instead.
"""

from datetime import date, datetime

from django import template
from django.utils import dateformat

from core.when import DAY_FORMAT, MOMENT_FORMAT, format_day, format_moment

register = template.Library()


@register.filter(expects_localtime=True)
def day(value, zone=None) -> str:
    """{{ term.start_date|day }} → "1 Oct 2026"."""
    if not isinstance(value, date):
        return ""
    return format_day(value, zone) if zone else dateformat.format(value, DAY_FORMAT)


@register.filter(expects_localtime=True)
def moment(value, zone=None) -> str:
    """{{ issue.created_at|moment }} → "1 Oct 2026, 09:00" in the page's zone; `|moment:program` in that program's."""
    if not isinstance(value, datetime):
        return day(value)
    return format_moment(value, zone) if zone else dateformat.format(value, MOMENT_FORMAT)
