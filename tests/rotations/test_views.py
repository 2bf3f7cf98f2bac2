"""Pages through the test client: access checks, the schedule, planning, handoffs, swaps, leave and feeds."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar

from advocacy.models import Membership
from advocacy.selectors import display_name
from rotations import boundaries, services
from rotations.feeds import cover_uid, term_uid
from rotations.models import CalendarToken, Handoff, Leave, RosterReview, SwapRequest, Term
from tests.factories import HotIssueFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(desk):
    return boundaries.local_date(program=desk, at=timezone.now())


@pytest.fixture
def live(desk, people, today):
    """A current term for ann (started this month) and one planned term for ben after it."""
    first = today.replace(day=1)
    current = services.create_term(program=desk, start_date=first, advocate=people[0])
    services.run_due_handoffs()
    nxt = services.create_term(program=desk, start_date=current.end_date, advocate=people[1])
    return current, nxt


def test_outsiders_get_404_and_members_403_on_manager_pages(client_for, desk, people, outsider, live):
    current, nxt = live
    urls = [
        reverse("rotations:schedule", kwargs={"slug": "desk"}),
        reverse("rotations:plan", kwargs={"slug": "desk"}),
        reverse("rotations:term_edit", kwargs={"slug": "desk", "pk": nxt.pk}),
    ]
    client = client_for(outsider)
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]
    client = client_for(people[2])
    assert [client.get(u).status_code for u in urls] == [200, 403, 403]


def test_program_page_answers_who_the_advocate_is_until_when(client_for, desk, people, live):
    current, nxt = live
    page = client_for(people[3]).get(reverse("advocacy:program_detail", kwargs={"slug": "desk"})).content.decode()
    assert "Who is our customers' advocate?" in page
    assert f'{current.advocate.get_full_name()}<span class="until">, until {current.last_day:%-d %B}' in page
    assert nxt.advocate.get_full_name() in page


def test_schedule_shows_current_next_and_manager_actions(client_for, desk, people, boss, live):
    current, nxt = live
    response = client_for(boss).get(reverse("rotations:schedule", kwargs={"slug": "desk"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Hand over now" in body and reverse("rotations:term_edit", kwargs={"slug": "desk", "pk": nxt.pk}) in body


def test_schedule_page_queries_stay_flat(client_for, desk, people, boss, live, django_assert_max_num_queries):
    for i in range(1, 13):
        services.create_term(
            program=desk, start_date=boundaries.add_months(live[1].start_date, 3 * i), advocate=people[i % 4]
        )
    client = client_for(boss)
    with django_assert_max_num_queries(20):
        client.get(reverse("rotations:schedule", kwargs={"slug": "desk"}))


def test_manager_previews_then_saves_a_plan(client_for, desk, people, boss, live):
    client = client_for(boss)
    url = reverse("rotations:plan", kwargs={"slug": "desk"})
    response = client.get(url, {"count": 4})
    preview = response.context["preview"]
    assert Term.objects.count() == 2 and len(preview.rows) == 4
    response = client.post(url, {"count": 4, "fingerprint": preview.fingerprint})
    assert response.status_code == 302
    assert Term.objects.filter(status=Term.Status.PLANNED).count() == 4


def test_a_stale_plan_is_shown_again_not_saved(client_for, desk, people, boss, live):
    response = client_for(boss).post(
        reverse("rotations:plan", kwargs={"slug": "desk"}), {"count": 3, "fingerprint": "x"}
    )
    assert response.status_code == 200 and response.context["preview"] is not None
    assert Term.objects.count() == 2


def test_manager_assigns_a_future_term(client_for, desk, people, boss, live):
    _, nxt = live
    url = reverse("rotations:term_edit", kwargs={"slug": "desk", "pk": nxt.pk})
    response = client_for(boss).post(url, {"advocate": people[2].pk})
    assert response.status_code == 302
    nxt.refresh_from_db()
    assert nxt.advocate == people[2] and nxt.pinned


def test_current_term_cannot_be_edited_only_handed_over(client_for, desk, people, boss, live):
    current, _ = live
    client = client_for(boss)
    assert client.get(reverse("rotations:term_edit", kwargs={"slug": "desk", "pk": current.pk})).status_code == 302
    response = client.post(
        reverse("rotations:term_handover", kwargs={"slug": "desk", "pk": current.pk}), {"to": people[2].pk}
    )
    assert response.status_code == 302
    assert Handoff.objects.filter(incoming_advocate=people[2], early=True).exists()


def test_incoming_advocate_acknowledges_and_declares(client_for, desk, people, boss, live):
    current, _ = live
    services.write_handoff_note(term=current, author=people[0], note="Call Mrs. Albers.")
    handoff = services.hand_over_now(term=current, to=people[2], actor=boss)
    url = reverse("rotations:handoff_detail", kwargs={"slug": "desk", "pk": handoff.pk})
    assert client_for(people[1]).post(url, {"declaration": "x"}).status_code == 403
    client = client_for(people[2])
    assert "Call Mrs. Albers." in client.get(url).content.decode()
    client.post(url, {"declaration": "A named person for every customer."})
    handoff.refresh_from_db()
    assert handoff.acknowledged_by == people[2]
    page = client.get(reverse("advocacy:program_detail", kwargs={"slug": "desk"})).content.decode()
    assert "A named person for every customer." in page


def test_swap_request_accept_and_approve_through_pages(client_for, desk, people, boss, live):
    _, nxt = live
    ben, cat = people[1], people[2]
    client_for(ben).post(reverse("rotations:swap_request", kwargs={"slug": "desk", "pk": nxt.pk}), {"target": cat.pk})
    swap = SwapRequest.objects.get()
    client_for(cat).post(reverse("rotations:swap_action", kwargs={"slug": "desk", "pk": swap.pk, "action": "accept"}))
    client_for(boss).post(reverse("rotations:swap_action", kwargs={"slug": "desk", "pk": swap.pk, "action": "approve"}))
    nxt.refresh_from_db()
    assert nxt.advocate == cat


def test_member_records_leave_and_managers_hear_of_the_conflict(client_for, desk, people, boss, live):
    _, nxt = live
    client_for(people[1]).post(
        reverse("rotations:my_rotation"),
        {"first_day": nxt.start_date + timedelta(days=3), "last_day": nxt.start_date + timedelta(days=9)},
    )
    assert Leave.objects.filter(user=people[1]).exists()
    assert boss.notifications.filter(kind="leave_conflict").exists()


def test_roster_review_from_the_schedule(client_for, desk, people, boss, live):
    _, nxt = live
    membership = Membership.objects.get(program=desk, user=people[1])
    client = client_for(boss)
    client.post(reverse("advocacy:member_edit", kwargs={"slug": "desk", "pk": membership.pk}), {"role": "member"})
    assert (
        "no longer serves as advocate"
        in client.get(reverse("rotations:schedule", kwargs={"slug": "desk"})).content.decode()
    )
    review = nxt.__class__.objects.get(pk=nxt.pk)  # unchanged so far
    assert review.advocate == people[1]
    from rotations.models import RosterReview

    rr = RosterReview.objects.get()
    response = client.post(
        reverse("rotations:roster_review", kwargs={"slug": "desk", "pk": rr.pk}), {"action": "replan"}
    )
    assert response.status_code == 302 and f"only={nxt.pk}" in response.url
    nxt.refresh_from_db()
    assert nxt.advocate is None


def test_calendar_feeds_are_valid_stable_and_revocable(client, client_for, desk, people, boss, live):
    current, nxt = live
    services.add_cover(
        term=current,
        person=people[3],
        first_day=current.last_day - timedelta(days=2),
        last_day=current.last_day,
        actor=boss,
    )
    user_client = client_for(people[0])
    user_client.post(reverse("rotations:calendar_reset"), {"program": "desk"})
    token = CalendarToken.objects.get(user=people[0], program=desk)
    url = reverse("rotations:calendar_feed", kwargs={"token": token.token})
    client.logout()
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(first.content)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {term_uid(current.pk), term_uid(nxt.pk), cover_uid(current.covers.get().pk)}
    assert events[term_uid(nxt.pk)].decoded("dtstart") == nxt.starts_at
    # Written in the program's zone, with the VTIMEZONE that defines it.
    assert events[term_uid(nxt.pk)]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert events[term_uid(nxt.pk)].decoded("dtstart").hour == 9
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    for event in events.values():
        assert {"DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "UID"} <= set(event.keys())
    assert cal["VERSION"] == "2.0" and "PRODID" in cal
    again = Calendar.from_ical(client.get(url).content)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)

    client_for(people[0]).post(reverse("rotations:calendar_reset"), {"program": "desk", "reset": "1"})
    client.logout()
    assert client.get(url).status_code == 404
    fresh = CalendarToken.objects.get(user=people[0], program=desk, revoked_at__isnull=True)
    assert client.get(reverse("rotations:calendar_feed", kwargs={"token": fresh.token})).status_code == 200


def test_personal_feed_lists_only_my_terms_and_covers(client, desk, people, live, other_program):
    current, nxt = live
    MembershipFactory(program=other_program, user=people[1])
    theirs = services.create_term(program=other_program, start_date=date(2030, 1, 1), advocate=people[1])
    token = services.calendar_token(user=people[1])
    cal = Calendar.from_ical(client.get(reverse("rotations:calendar_feed", kwargs={"token": token.token})).content)
    assert {str(e["uid"]) for e in cal.walk("VEVENT")} == {term_uid(nxt.pk), term_uid(theirs.pk)}


def test_program_feed_stops_when_the_member_leaves(client, desk, people, boss, live):
    token = services.calendar_token(user=people[3], program=desk)
    Membership.objects.filter(program=desk, user=people[3]).delete()
    assert client.get(reverse("rotations:calendar_feed", kwargs={"token": token.token})).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["schedule", "plan", "settings", "swap_list"],
)
def test_manager_pages_render(client_for, desk, boss, people, live, name):
    assert client_for(boss).get(reverse(f"rotations:{name}", kwargs={"slug": "desk"})).status_code == 200


def test_term_pages_render(client_for, desk, boss, people, live):
    current, nxt = live
    client = client_for(people[0])
    for name in ("term_detail", "cover_add"):
        assert client.get(reverse(f"rotations:{name}", kwargs={"slug": "desk", "pk": current.pk})).status_code == 200
    assert (
        client_for(people[1]).get(reverse("rotations:swap_request", kwargs={"slug": "desk", "pk": nxt.pk})).status_code
        == 200
    )
    assert client.get(reverse("rotations:my_rotation")).status_code == 200


def test_manager_saves_planning_rules(client_for, desk, boss):
    response = client_for(boss).post(
        reverse("rotations:settings", kwargs={"slug": "desk"}),
        {"allow_back_to_back": "on", "max_terms_per_year": 2, "auto_approve_swaps": ""},
    )
    assert response.status_code == 302
    rules = desk.rotation_settings
    assert rules.allow_back_to_back and rules.max_terms_per_year == 2 and not rules.auto_approve_swaps


def test_advocate_writes_the_handoff_note_and_others_cannot(client_for, desk, people, live):
    current, _ = live
    url = reverse("rotations:term_detail", kwargs={"slug": "desk", "pk": current.pk})
    assert client_for(people[1]).post(url, {"handoff_note": "x"}).status_code == 403
    client_for(people[0]).post(url, {"handoff_note": "Mrs. Albers waits for a call."})
    current.refresh_from_db()
    assert current.handoff_note == "Mrs. Albers waits for a call."


def test_schedule_proposes_a_cover_for_a_leave_conflict_and_the_form_is_prefilled(client_for, desk, people, boss, live):
    _, nxt = live
    services.record_leave(
        user=nxt.advocate, first_day=nxt.start_date + timedelta(days=5), last_day=nxt.start_date + timedelta(days=9)
    )
    client = client_for(boss)
    body = client.get(reverse("rotations:schedule", kwargs={"slug": "desk"})).content.decode()
    assert "Proposed:" in body and "covers</a>" in body
    cover_url = reverse("rotations:cover_add", kwargs={"slug": "desk", "pk": nxt.pk})
    first = nxt.start_date + timedelta(days=5)
    form = client.get(cover_url, {"first_day": first.isoformat()}).context["form"]
    assert form.initial["first_day"] == first.isoformat()


def test_a_newcomer_review_offers_a_replan_preview(client_for, desk, people, boss, live):
    from rotations.models import RosterReview
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newbie")
    client = client_for(boss)
    client.post(
        reverse("advocacy:member_list", kwargs={"slug": "desk"}),
        {"identifier": "newbie", "role": "member", "is_eligible": "on"},
    )
    review = RosterReview.objects.get(user=newcomer)
    body = client.get(reverse("rotations:schedule", kwargs={"slug": "desk"})).content.decode()
    assert "Preview a replan" in body and "Leave those terms open" not in body
    response = client.post(
        reverse("rotations:roster_review", kwargs={"slug": "desk", "pk": review.pk}), {"action": "replan"}
    )
    assert response.status_code == 302 and response.url.endswith("/schedule/plan/?count=1")


# ------------------------------------------------------------------ one rule, used by the page and the e-mail


@pytest.mark.parametrize(("days", "take_over"), [(44, False), (45, True), (46, True)])
def test_the_schedule_and_the_leave_email_agree_on_cover_or_take_over(
    client_for, desk, people, boss, today, days, take_over
):
    """On a 90-day term, leave of half its days (45) or more proposes taking the term over."""
    start = today + timedelta(days=40)
    term = services.create_term(program=desk, start_date=start, end_date=start + timedelta(days=90), advocate=people[0])
    first, last = start + timedelta(days=10), start + timedelta(days=10 + days - 1)
    services.record_leave(user=people[0], first_day=first, last_day=last)
    assert services.proposes_take_over(term=term, first_day=first, last_day=last) is take_over
    email = boss.notifications.get(kind="leave_conflict")
    assert ("takes the term instead" in email.body) is take_over
    assert (" covers " in email.body) is not take_over
    schedule = client_for(boss).get(reverse("rotations:schedule", kwargs={"slug": "desk"})).context["schedule"]
    (row,) = [r for r in schedule.upcoming if r.term == term]
    assert [p.take_over for p in row.proposals] == [take_over]
    assert row.proposals[0].person is not None


def test_leave_added_in_the_admin_warns_managers_as_the_page_does(client_for, admin_client, desk, people, boss, live):
    _, nxt = live
    first, last = nxt.start_date + timedelta(days=3), nxt.start_date + timedelta(days=6)
    response = admin_client.post(
        reverse("admin:rotations_leave_add"),
        {"user": people[1].pk, "first_day": first.isoformat(), "last_day": last.isoformat(), "note": "Dentist"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    from_admin = boss.notifications.get(kind="leave_conflict")
    Leave.objects.all().delete()
    from_admin.delete()
    client_for(people[1]).post(
        reverse("rotations:my_rotation"),
        {"first_day": first.isoformat(), "last_day": last.isoformat(), "note": "Dentist"},
    )
    from_page = boss.notifications.get(kind="leave_conflict")
    assert (from_admin.title, from_admin.body, from_admin.url) == (from_page.title, from_page.body, from_page.url)


def test_recorded_leave_is_read_only_in_the_admin(admin_client, people):
    leave = services.record_leave(user=people[0], first_day=date(2030, 1, 1), last_day=date(2030, 1, 2))
    form = admin_client.get(reverse("admin:rotations_leave_change", args=[leave.pk])).context["adminform"].form
    assert not {"user", "first_day", "last_day", "note"} & set(form.fields)


def test_accepting_a_swap_into_a_term_during_ones_leave_is_refused(client_for, desk, people, live):
    _, nxt = live
    swap = services.request_swap(term=nxt, requester=people[1])
    services.record_leave(
        user=people[2], first_day=nxt.start_date + timedelta(days=5), last_day=nxt.start_date + timedelta(days=6)
    )
    with pytest.raises(ValidationError, match="on leave during this term"):
        services.accept_swap(swap=swap, user=people[2])
    url = reverse("rotations:swap_action", kwargs={"slug": "desk", "pk": swap.pk, "action": "accept"})
    response = client_for(people[2]).post(url, follow=True)
    assert "on leave during this term" in response.content.decode()
    swap.refresh_from_db()
    nxt.refresh_from_db()
    assert swap.status == SwapRequest.Status.OPEN and nxt.advocate == people[1]


def test_a_newcomer_review_cannot_be_opened_the_service_says_why(client_for, desk, people, boss, live):
    client = client_for(boss)
    newcomer = UserFactory(username="newbie")
    client.post(
        reverse("advocacy:member_list", kwargs={"slug": "desk"}),
        {"identifier": "newbie", "role": "member", "is_eligible": "on"},
    )
    review = RosterReview.objects.get(user=newcomer)
    url = reverse("rotations:roster_review", kwargs={"slug": "desk", "pk": review.pk})
    response = client.post(url, {"action": "unassign"}, follow=True)
    assert services.REVIEW_NEWCOMER in [str(m) for m in response.context["messages"]]
    review.refresh_from_db()
    assert review.resolved_at is None


def test_only_the_terms_advocate_is_offered_the_swap_form(client_for, desk, people, live):
    _, nxt = live
    url = reverse("rotations:swap_request", kwargs={"slug": "desk", "pk": nxt.pk})
    assert client_for(people[1]).get(url).context["form"] is not None
    assert client_for(people[2]).get(url).context["form"] is None
    assert client_for(people[2]).post(url, {}).status_code == 403


def test_the_handoff_page_lists_what_passed_with_the_baton(client_for, desk, people, boss, live):
    current, _ = live
    HotIssueFactory(program=desk, owner=people[0])
    handoff = services.hand_over_now(term=current, to=people[2], actor=boss)
    url = reverse("rotations:handoff_detail", kwargs={"slug": "desk", "pk": handoff.pk})
    body = client_for(people[2]).get(url).content.decode()
    assert escape(f"1 open issue moved to {display_name(people[2])}.") in body
    assert handoff.effect_list[0].url in body


def test_changing_the_zone_in_the_admin_moves_future_boundaries_as_the_settings_page_does(
    admin_client, desk, people, live
):
    _, nxt = live
    memberships = list(desk.memberships.order_by("pk"))
    data = {
        "name": desk.name,
        "slug": desk.slug,
        "description": desk.description,
        "time_zone": "America/New_York",
        "term_months": desk.term_months,
        "handoff_time": "09:00",
        "is_active": "on",
        "role_description": "",
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": m.pk,
            f"memberships-{i}-program": desk.pk,
            f"memberships-{i}-user": m.user_id,
            f"memberships-{i}-role": m.role,
            f"memberships-{i}-is_eligible": "on" if m.is_eligible else "",
        }
    response = admin_client.post(reverse("admin:advocacy_program_change", args=[desk.pk]), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    nxt.refresh_from_db()
    local = nxt.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour) == (nxt.start_date, 9)


def test_an_accepted_swap_reads_as_a_sentence_on_the_swap_list(client_for, desk, boss, ann, ben):
    from datetime import date

    from rotations import services as rotation_services

    term = rotation_services.create_term(program=desk, start_date=date(2030, 1, 1), advocate=ann)
    swap = rotation_services.request_swap(term=term, requester=ann)
    ben.first_name, ben.last_name = "Ben", "Berg"
    ben.save()
    rotation_services.accept_swap(swap=swap, user=ben)
    page = client_for(boss).get(reverse("rotations:swap_list", kwargs={"slug": desk.slug})).content.decode()
    assert "Ben Berg accepted; a manager approves it next." in page
    assert "Waiting for a manager</span> accepted by" not in page
