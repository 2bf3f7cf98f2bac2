"""Profiles: the name, address and zone a person chooses, which e-mails they get, and deactivation."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from advocacy import permissions, services
from advocacy.models import Membership, Notification, Profile
from advocacy.notifications import notify
from advocacy.selectors import own_time_zone
from core.models import PersonSession
from issues.notices import tell_owner_of_angry_customer
from rotations import services as rotation_services
from rotations.models import RosterReview, Term
from tests.factories import HotIssueFactory, MembershipFactory, TermFactory, UserFactory

PROFILE = reverse("advocacy:my_profile")


def _form(**overrides):
    data = {
        "first_name": "Mia",
        "last_name": "Member",
        "email": "mia@example.com",
        "time_zone": "America/New_York",
        "email_handoffs": "on",
        "email_reminders": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_profile_page_saves_name_address_zone_and_e_mail_choices(client_for, member):
    client = client_for(member)
    page = client.get(PROFILE)
    assert page.status_code == 200
    assert PROFILE.encode() in page.content  # the nav links to it
    response = client.post(PROFILE, _form())
    assert response.status_code == 302
    member.refresh_from_db()
    profile = Profile.objects.get(user=member)
    assert (member.first_name, member.last_name, member.email) == ("Mia", "Member", "mia@example.com")
    assert profile.time_zone == "America/New_York"
    # What was not ticked is off by e-mail; what was ticked is on.
    assert "issues" in profile.email_off and "weekly_brief" in profile.email_off
    assert "handoffs" not in profile.email_off and "reminders" not in profile.email_off
    again = client.get(PROFILE)
    assert b'value="America/New_York" selected' in again.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", services.UNKNOWN_ZONE),
        ("email", "not an address", services.EMAIL_INVALID),
        ("email", "taken@example.com", services.EMAIL_TAKEN),
        ("first_name", "two\nlines", "line"),
    ],
)
def test_bad_profile_input_says_why_and_changes_nothing(client_for, member, field, value, message):
    UserFactory(email="taken@example.com")
    before = (member.first_name, member.email)
    response = client_for(member).post(PROFILE, _form(**{field: value}))
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    member.refresh_from_db()
    assert (member.first_name, member.email) == before
    assert not Profile.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_an_unknown_e_mail_choice_is_refused_by_the_service(member):
    with pytest.raises(Exception, match="Unknown kind of notice"):
        services.update_profile(user=member, first_name="", last_name="", email="", time_zone="", email_on=["nonsense"])
    assert not Profile.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_a_kind_switched_off_stays_in_the_app_and_is_not_e_mailed(member, run_jobs):
    services.update_profile(
        user=member, first_name="", last_name="", email="m@example.com", time_zone="", email_on=["reminders"]
    )
    handoff = notify(user=member, kind="handoff_incoming", title="You have the baton", dedupe_key="h")
    reminder = notify(user=member, kind="term_starting", title="Your term starts in 3 days", dedupe_key="r")
    unregistered = notify(user=member, kind="something_else", title="Always mailed", dedupe_key="x")
    run_jobs()
    assert sorted(m.subject for m in mail.outbox) == ["Always mailed", "Your term starts in 3 days"]
    handoff.refresh_from_db()
    assert handoff.wants_email is False and handoff.emailed_at is None  # the sweep will not retry it
    assert Notification.objects.filter(pk__in=[handoff.pk, reminder.pk, unregistered.pk]).count() == 3


@pytest.mark.django_db
def test_switching_off_after_a_notice_was_queued_still_stops_its_e_mail(member, run_jobs):
    notify(user=member, kind="issue_digest", title="Digest", dedupe_key="d")
    services.update_profile(user=member, first_name="", last_name="", email=member.email, time_zone="", email_on=[])
    run_jobs()
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_persons_zone_wins_over_the_programs_on_its_pages(program, member):
    program.time_zone = "Europe/Berlin"
    program.save()
    permissions.program_for_user(user=member, slug=program.slug)
    assert timezone.get_current_timezone_name() == "Europe/Berlin"
    services.update_profile(user=member, first_name="", last_name="", email="", time_zone="Asia/Tokyo", email_on=[])
    member = type(member).objects.get(pk=member.pk)  # a new request's user
    permissions.program_for_user(user=member, slug=program.slug)
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
    timezone.deactivate()


@pytest.mark.django_db
def test_a_page_shows_times_in_the_persons_zone(client_for, program, member):
    program.time_zone = "UTC"
    program.save()
    issue = HotIssueFactory(program=program, owner=member, created_at=timezone.now().replace(hour=12, minute=0))
    client = client_for(member)
    services.update_profile(user=member, first_name="", last_name="", email="", time_zone="Asia/Kathmandu", email_on=[])
    page = client.get(issue.get_absolute_url()).content.decode()
    assert "17:45" in page  # 12:00 UTC is 17:45 in Kathmandu


@pytest.mark.django_db
def test_the_angry_customer_e_mail_gives_the_due_time_in_the_owners_zone(program, member, manager):
    program.time_zone = "Europe/Berlin"
    program.save()
    services.update_profile(
        user=member, first_name="", last_name="", email="", time_zone="America/New_York", email_on=[]
    )
    member.refresh_from_db()
    issue = HotIssueFactory(program=program, owner=member, created_by=manager, level=5)
    assert tell_owner_of_angry_customer(issue)
    note = Notification.objects.get(kind="issue_angry_customer")
    assert "(America/New_York)" in note.body


@pytest.mark.django_db
def test_own_time_zone_is_empty_without_a_profile(member):
    assert own_time_zone(member) == ""


# ---------------------------------------------------------------- deactivation


@pytest.fixture
def planned_and_past_terms(desk, ann, boss):
    today = timezone.localdate()
    past = TermFactory(program=desk, advocate=ann, start_date=today - timedelta(days=200), status=Term.Status.COMPLETED)
    future = TermFactory(program=desk, advocate=ann, start_date=today + timedelta(days=120), status=Term.Status.PLANNED)
    return past, future


@pytest.mark.django_db
def test_deactivating_a_person_ends_their_sessions_and_asks_for_a_roster_review(
    client, desk, ann, boss, planned_and_past_terms
):
    past, future = planned_and_past_terms
    client.force_login(ann)
    other = type(client)()
    other.force_login(ann)
    assert PersonSession.objects.filter(user_id=ann.pk).count() == 2
    assert client.get(reverse("insights:my_page")).status_code == 200

    result = services.deactivate_person(user=ann, actor=UserFactory(is_superuser=True, is_staff=True))

    assert result.sessions_ended == 2 and not PersonSession.objects.filter(user_id=ann.pk).exists()
    response = client.get(reverse("insights:my_page"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    review = RosterReview.objects.get(user=ann)
    assert review.change == RosterReview.Change.INACTIVE and list(review.terms.all()) == [future]
    assert Notification.objects.filter(user=boss, kind="roster_review").exists()
    assert not Notification.objects.filter(user=ann, kind="roster_review").exists()
    # History keeps the person: past term, membership and name stay.
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.advocate == ann and future.advocate == ann  # the managers decide about the future term
    assert Membership.objects.filter(user=ann, program=desk).exists()
    ann.refresh_from_db()
    assert not ann.is_active and ann.first_name == "Ann"


@pytest.mark.django_db
def test_deactivating_twice_opens_one_review(desk, ann, boss, planned_and_past_terms):
    admin = UserFactory(is_superuser=True, is_staff=True)
    services.deactivate_person(user=ann, actor=admin)
    again = services.deactivate_person(user=ann, actor=admin)
    assert again.already_inactive and RosterReview.objects.filter(user=ann).count() == 1


@pytest.mark.django_db
def test_only_an_administrator_deactivates(desk, ann, boss):
    with pytest.raises(PermissionDenied):
        services.deactivate_person(user=ann, actor=boss)
    ann.refresh_from_db()
    assert ann.is_active


@pytest.mark.django_db
def test_the_system_may_deactivate(desk, ann):
    assert services.deactivate_person(user=ann, actor=permissions.SYSTEM).effects == []


@pytest.mark.django_db
def test_unticking_active_in_the_admin_deactivates_through_the_service(
    client_for, client, desk, ann, boss, planned_and_past_terms
):
    ann_client = type(client)()
    ann_client.force_login(ann)
    admin = client_for(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = reverse("admin:auth_user_change", args=[ann.pk])
    page = admin.get(url)
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "username": ann.username,
            "first_name": ann.first_name,
            "last_name": ann.last_name,
            "email": ann.email,
            "date_joined_0": ann.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": ann.date_joined.strftime("%H:%M:%S"),
            "baton_profile-TOTAL_FORMS": "0",
            "baton_profile-INITIAL_FORMS": "0",
            "baton_profile-MIN_NUM_FORMS": "0",
            "baton_profile-MAX_NUM_FORMS": "1",
        }
    )
    data.pop("is_active", None)  # unticked
    data.pop("groups", None)
    data.pop("user_permissions", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    ann.refresh_from_db()
    assert not ann.is_active
    assert RosterReview.objects.filter(user=ann, change=RosterReview.Change.INACTIVE).exists()
    assert not PersonSession.objects.filter(user_id=ann.pk).exists()
    assert SESSION_KEY not in ann_client.session or ann_client.get(reverse("insights:my_page")).status_code == 302


@pytest.mark.django_db
def test_the_admin_action_deactivates_the_selected_people(client_for, desk, ann, ben, boss):
    admin = client_for(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_people", "_selected_action": [ann.pk, ben.pk]},
    )
    assert response.status_code == 302
    assert not type(ann).objects.filter(pk__in=[ann.pk, ben.pk], is_active=True).exists()


@pytest.mark.django_db
def test_a_deactivated_person_gets_no_e_mail(member, run_jobs):
    note = notify(user=member, kind="t", title="Hello", dedupe_key="k")
    services.deactivate_person(user=member, actor=permissions.SYSTEM)
    run_jobs()
    assert mail.outbox == []
    note.refresh_from_db()
    assert not note.wants_email


@pytest.mark.django_db
def test_memberships_of_others_are_untouched(desk, ann, ben):
    MembershipFactory(program=desk)
    services.deactivate_person(user=ann, actor=permissions.SYSTEM)
    ben.refresh_from_db()
    assert ben.is_active


@pytest.mark.django_db
def test_reactivating_a_person_closes_the_review_their_deactivation_opened(desk, ann, boss, planned_and_past_terms):
    _, future = planned_and_past_terms
    admin = UserFactory(is_superuser=True, is_staff=True)
    services.deactivate_person(user=ann, actor=admin)
    review = RosterReview.objects.get(user=ann, change=RosterReview.Change.INACTIVE)

    result = services.reactivate_person(user=ann, actor=admin)

    ann.refresh_from_db()
    review.refresh_from_db()
    assert ann.is_active and not result.already_active
    assert review.resolved_at is not None and review.resolution == "moot"
    future.refresh_from_db()
    assert future.advocate == ann  # their planned term is still theirs
    # They hold a planned term already: nothing new to review. Running it again changes nothing.
    assert not RosterReview.objects.filter(user=ann, resolved_at__isnull=True).exists()
    assert services.reactivate_person(user=ann, actor=admin).already_active


@pytest.mark.django_db
def test_only_an_administrator_reactivates(desk, ann, boss):
    services.deactivate_person(user=ann, actor=permissions.SYSTEM)
    with pytest.raises(PermissionDenied):
        services.reactivate_person(user=ann, actor=boss)
    ann.refresh_from_db()
    assert not ann.is_active


@pytest.mark.django_db
def test_ticking_active_again_in_the_admin_reactivates_through_the_service(
    client_for, desk, ann, boss, planned_and_past_terms
):
    services.deactivate_person(user=ann, actor=permissions.SYSTEM)
    admin = client_for(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = reverse("admin:auth_user_change", args=[ann.pk])
    form = admin.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions", "last_login", "date_joined")
    }
    data.update(
        {
            "username": ann.username,
            "first_name": ann.first_name,
            "last_name": ann.last_name,
            "email": ann.email,
            "is_active": "on",
            "date_joined_0": ann.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": ann.date_joined.strftime("%H:%M:%S"),
            "baton_profile-TOTAL_FORMS": "0",
            "baton_profile-INITIAL_FORMS": "0",
            "baton_profile-MIN_NUM_FORMS": "0",
            "baton_profile-MAX_NUM_FORMS": "1",
        }
    )
    assert admin.post(url, data).status_code == 302
    ann.refresh_from_db()
    assert ann.is_active
    assert not RosterReview.objects.filter(user=ann, resolved_at__isnull=True).exists()


@pytest.mark.django_db
def test_reactivating_someone_whose_terms_were_given_away_offers_to_replan_with_them(
    desk, ann, boss, planned_and_past_terms
):
    services.deactivate_person(user=ann, actor=permissions.SYSTEM)
    review = RosterReview.objects.get(user=ann, change=RosterReview.Change.INACTIVE)
    rotation_services.resolve_roster_review(review=review, actor=boss, action="unassign")

    services.reactivate_person(user=ann, actor=permissions.SYSTEM)

    offer = RosterReview.objects.get(user=ann, resolved_at__isnull=True)
    assert offer.change == RosterReview.Change.JOINED
