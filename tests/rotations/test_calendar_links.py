"""Calendar subscription: the address on settings.SITE_URL, a copy button, webcal:// and Google/Outlook links."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from advocacy.notifications import deliver_email, notify
from rotations import services

pytestmark = pytest.mark.django_db

SITE = "https://baton.example.com"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE + "/"
    return SITE


def test_my_rotation_offers_copy_webcal_google_and_outlook_links_on_the_site_url(client_for, people, site):
    token = services.calendar_token(user=people[0], program=None)
    feed = SITE + reverse("rotations:calendar_feed", kwargs={"token": token.token})
    body = client_for(people[0]).get(reverse("rotations:my_rotation")).content.decode()
    assert f'value="{feed}"' in body
    assert 'data-copy-target="#feed-url"' in body
    assert (
        f'href="webcal://baton.example.com{reverse("rotations:calendar_feed", kwargs={"token": token.token})}"' in body
    )
    response = client_for(people[0]).get(reverse("rotations:my_rotation"))
    links = response.context["calendar_links"]
    assert parse_qs(urlsplit(links.google).query)["cid"] == [links.webcal]
    assert parse_qs(urlsplit(links.outlook).query)["url"] == [feed]
    assert links.google.replace("&", "&amp;") in body and links.outlook.replace("&", "&amp;") in body
    assert "<script>" not in body  # the copy button is static/js/baton.js: no inline script (CSP)


def test_the_schedule_and_my_page_show_the_same_links(client_for, desk, people, site):
    program_token = services.calendar_token(user=people[0], program=desk)
    body = client_for(people[0]).get(reverse("rotations:schedule", kwargs={"slug": "desk"})).content.decode()
    assert SITE + reverse("rotations:calendar_feed", kwargs={"token": program_token.token}) in body
    assert 'data-testid="calendar-links"' in body
    personal = services.calendar_token(user=people[0], program=None)
    body = client_for(people[0]).get(reverse("insights:my_page")).content.decode()
    assert SITE + reverse("rotations:calendar_feed", kwargs={"token": personal.token}) in body
    assert "http://testserver" not in body


def test_urls_in_the_feed_and_in_emails_use_the_site_url(client, desk, people, site, make_term):
    term = make_term(date(2030, 1, 1), people[0])
    token = services.calendar_token(user=people[0], program=desk)
    cal = Calendar.from_ical(client.get(reverse("rotations:calendar_feed", kwargs={"token": token.token})).content)
    urls = [str(e["url"]) for e in cal.walk("VEVENT")]
    assert urls == [SITE + reverse("rotations:term_detail", kwargs={"slug": "desk", "pk": term.pk})]
    people[0].email = "ann@example.com"
    people[0].save()
    note = notify(user=people[0], kind="test", title="Hello", dedupe_key="t", url="/programs/desk/")
    deliver_email(notification_id=note.pk)
    assert f"{SITE}/programs/desk/" in mail.outbox[-1].body
