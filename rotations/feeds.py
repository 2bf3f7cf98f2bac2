"""iCalendar feeds (RFC 5545) of terms and covers, with stable UIDs so calendar apps update in place."""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from advocacy.selectors import display_name
from core.when import format_day

from .models import CalendarToken
from .selectors import feed_terms

UID_DOMAIN = "baton"


def term_uid(term_id: int) -> str:
    return f"term-{term_id}@{UID_DOMAIN}"


def cover_uid(cover_id: int) -> str:
    return f"cover-{cover_id}@{UID_DOMAIN}"


def _sequence(updated_at) -> int:
    # Grows whenever the row changes, so clients take the newer version.
    return int(updated_at.timestamp()) - 1_700_000_000 if updated_at else 0


@dataclass(frozen=True)
class SubscriptionLinks:
    """The addresses a person subscribes to a feed with, all on settings.SITE_URL."""

    url: str  # the feed itself (https:// on a production site)
    webcal: str  # the same address for calendar apps that open webcal:// links
    google: str  # "add by URL" in Google Calendar
    outlook: str  # "subscribe from web" in Outlook (Microsoft 365)
    outlook_com: str  # the same in Outlook.com


def subscription_links(token: CalendarToken) -> SubscriptionLinks:
    """Return the feed's address and the links that subscribe a calendar app to it."""
    url = settings.SITE_URL.rstrip("/") + reverse("rotations:calendar_feed", kwargs={"token": token.token})
    webcal = "webcal://" + url.split("://", 1)[1]
    name = f"Baton: {token.program.name}" if token.program_id else "Baton: my advocate terms"
    add_from_web = urlencode({"url": url, "name": name})
    return SubscriptionLinks(
        url=url,
        webcal=webcal,
        google="https://calendar.google.com/calendar/r?" + urlencode({"cid": webcal}),
        outlook="https://outlook.office.com/calendar/0/addfromweb?" + add_from_web,
        outlook_com="https://outlook.live.com/calendar/0/addfromweb?" + add_from_web,
    )


def _local(at: datetime, program) -> datetime:
    return at.astimezone(program.zone)


def render_feed(*, token: CalendarToken) -> bytes:
    """Return the feed as bytes: every saved term and cover, with no horizon limit."""
    terms, covers = feed_terms(token=token)
    cal = Calendar()
    cal.add("prodid", "-//Baton//Customer advocate rotations//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = token.program.name if token.program_id else f"{display_name(token.user)}'s advocate terms"
    cal.add("x-wr-calname", f"Baton: {name}")
    stamp = timezone.now().astimezone(UTC)
    site = settings.SITE_URL.rstrip("/")
    for term in terms:
        who = display_name(term.advocate) if term.advocate else "Nobody assigned"
        event = Event()
        event.add("uid", term_uid(term.pk))
        event.add("dtstamp", stamp)
        event.add("dtstart", _local(term.starts_at, term.program))
        event.add("dtend", _local(term.ends_at, term.program))
        event.add("summary", f"{term.program.name} advocate: {who}")
        event.add(
            "description",
            f"{who} is {term.program.name}'s customer advocate from {format_day(term.start_date)} "
            f"until {format_day(term.last_day)} ({term.get_status_display().lower()}).",
        )
        event.add("url", site + reverse("rotations:term_detail", kwargs={"slug": term.program.slug, "pk": term.pk}))
        event.add("sequence", _sequence(term.updated_at))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    for cover in covers:
        event = Event()
        event.add("uid", cover_uid(cover.pk))
        event.add("dtstamp", stamp)
        event.add("dtstart", _local(cover.starts_at, cover.term.program))
        event.add("dtend", _local(cover.ends_at, cover.term.program))
        event.add("summary", f"{cover.term.program.name} cover: {display_name(cover.person)}")
        standin = display_name(cover.term.advocate) if cover.term.advocate else "the advocate"
        event.add("description", f"{display_name(cover.person)} covers for {standin}. {cover.reason}".strip())
        event.add("sequence", _sequence(cover.updated_at))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    # Times are written in the program's zone (TZID) with its VTIMEZONE, so a
    # calendar app shows "09:00 Europe/Berlin" and keeps it right across DST.
    cal.add_missing_timezones()
    return cal.to_ical()
