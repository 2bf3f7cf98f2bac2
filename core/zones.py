"""Times in the zone that applies to the person reading or typing them.

Each program has a time zone; a page about one program (its schedule, an
issue, a customer's tracking page) activates that zone, so what a person types
("next attempt 3 Dec 09:00") is read in it and every time shown is in it. A
page over several programs uses their zone when they share one, else UTC.
A person who chose a zone of their own on their profile reads and types every
time in it instead (advocacy.selectors.activate_zone_for picks the zone).
`ResetTimeZone` starts and ends every request in UTC, so one request's zone
never leaks into the next one served by the same thread.
"""

import zoneinfo
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def activate_zone(name: str) -> None:
    """Make `name` (an IANA zone such as "Europe/Berlin") the zone of this request's times."""
    timezone.activate(zoneinfo.ZoneInfo(name))


def activate_shared_zone(names: Iterable[str]) -> None:
    """Activate the zone of a page over several programs when they all share one; else keep UTC."""
    zones = set(names)
    if len(zones) == 1:
        activate_zone(zones.pop())


class ResetTimeZone:
    """Serve every request from UTC until a page activates its program's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
