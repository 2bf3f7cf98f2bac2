"""Times are the program's times: what a person types, what is stored, and what pages and the timeline show."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import services
from issues.models import IssueEvent

pytestmark = pytest.mark.django_db

CASES = [
    # zone, typed next attempt, the same moment in UTC
    ("Europe/Berlin", "2027-01-14T09:00", datetime(2027, 1, 14, 8, 0, tzinfo=UTC)),
    ("Europe/Berlin", "2027-07-14T09:00", datetime(2027, 7, 14, 7, 0, tzinfo=UTC)),
    ("America/New_York", "2027-01-14T09:00", datetime(2027, 1, 14, 14, 0, tzinfo=UTC)),
    ("America/New_York", "2027-07-14T09:00", datetime(2027, 7, 14, 13, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "typed", "stored"), CASES)
def test_a_typed_next_attempt_is_read_stored_and_shown_in_the_programs_zone(
    zone, typed, stored, program, member, make_issue, client_for
):
    program.time_zone = zone
    program.save()
    issue = make_issue()
    client = client_for(member)
    data = {"channel": "phone", "outcome": "left_message", "note": "", "next_attempt_due_at": typed}
    response = client.post(reverse("issues:outreach", args=[issue.pk]), data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.next_attempt_due_at == stored
    day = "14 Jan 2027," if typed.startswith("2027-01") else "14 Jul 2027,"
    event = IssueEvent.objects.filter(issue=issue, kind=IssueEvent.Kind.OUTREACH).get()
    assert event.summary.endswith(f"next attempt due {day} 09:00")
    page = client.get(reverse("issues:detail", args=[issue.pk])).content.decode()
    assert f"{day} 09:00" in page
    # The next request of the same thread starts in UTC again.
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_quick_outreach_suggests_tomorrow_at_this_time_in_the_programs_zone(
    program, member, make_issue, client_for
):
    program.time_zone = "America/New_York"
    program.save()
    issue = make_issue()
    response = client_for(member).get(reverse("issues:outreach_quick", args=[issue.pk]), HTTP_HX_REQUEST="true")
    expected = timezone.localtime(services.default_next_attempt(), program.zone)
    assert f'value="{expected:%Y-%m-%dT%H:%M}"' in response.content.decode()
