import pytest
from django.core import mail
from django.urls import reverse

from advocacy.forms import NO_SUCH_USER, SLUG_TAKEN
from advocacy.models import Membership, Program, ThanksNote
from advocacy.notifications import notify
from tests.factories import MembershipFactory, ProgramFactory, ThanksNoteFactory, UserFactory

pytestmark = pytest.mark.django_db

PROGRAM_PAGES = [
    ("advocacy:program_detail", False),
    ("advocacy:role_detail", False),
    ("advocacy:thanks_list", False),
    ("advocacy:program_settings", True),
    ("advocacy:member_list", True),
]


def _urls(program, membership):
    for name, _ in PROGRAM_PAGES:
        yield reverse(name, args=[program.slug])
    yield reverse("advocacy:member_edit", args=[program.slug, membership.pk])
    yield reverse("advocacy:member_remove", args=[program.slug, membership.pk])


def test_anonymous_visitors_are_sent_to_sign_in(client, program, member):
    membership = Membership.objects.get(user=member)
    for url in [reverse("advocacy:program_list"), reverse("advocacy:my_thanks"), *_urls(program, membership)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_a_member_of_another_program_gets_404_everywhere(client_for, program, member, outsider):
    membership = Membership.objects.get(user=member)
    client = client_for(outsider)
    for url in _urls(program, membership):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x"}).status_code == 404, url
    assert program.name not in client.get(reverse("advocacy:program_list")).content.decode()


def test_members_see_the_program_but_cannot_manage_it(client_for, program, member, manager):
    client = client_for(member)
    for name, manage in PROGRAM_PAGES:
        assert client.get(reverse(name, args=[program.slug])).status_code == (403 if manage else 200), name
    membership = Membership.objects.get(user=manager)
    assert client.post(reverse("advocacy:member_remove", args=[program.slug, membership.pk])).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_managers_and_superusers_reach_every_page(client_for, program, manager, superuser):
    membership = Membership.objects.get(user=manager)
    for user in (manager, superuser):
        client = client_for(user)
        for url in _urls(program, membership):
            assert client.get(url).status_code == 200, (user, url)


def test_program_list_shows_only_my_programs(client_for, program, member, other_program):
    body = client_for(member).get(reverse("advocacy:program_list")).content.decode()
    assert program.name in body
    assert other_program.name not in body


def test_program_list_empty_state(client_for, db):
    body = client_for(UserFactory()).get(reverse("advocacy:program_list")).content.decode()
    assert "not part of any program yet" in body


def test_program_page_shows_members_role_and_thanks(client_for, program, manager, member):
    ThanksNoteFactory(program=program, sender=member, recipient=manager, message="You saved the Albers account")
    body = client_for(member).get(program.get_absolute_url()).content.decode()
    assert "You saved the Albers account" in body
    assert "Customer advocate" in body
    assert manager.get_full_name() in body


def test_create_program_with_a_custom_term_length(client_for, db):
    user = UserFactory()
    response = client_for(user).post(
        reverse("advocacy:program_create"),
        {
            "name": "Field Service",
            "slug": "",
            "description": "",
            "term_length": "custom",
            "custom_months": "4",
            "time_zone": "America/New_York",
            "handoff_time": "08:30",
        },
    )
    program = Program.objects.get(slug="field-service")
    assert response.status_code == 302
    assert (program.term_months, program.time_zone, str(program.handoff_time)) == (4, "America/New_York", "08:30:00")
    assert Membership.objects.get(program=program, user=user).is_manager


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"term_length": "custom", "custom_months": ""}, "custom_months", "Enter the number of months"),
        ({"term_length": "custom", "custom_months": "99"}, "custom_months", "less than or equal to 24"),
        ({"time_zone": "Mars/Base"}, "time_zone", "Select a valid choice"),
        ({"handoff_time": "25:99"}, "handoff_time", "Enter a valid time."),
        ({"slug": "support-desk"}, "slug", SLUG_TAKEN),
        ({"slug": "not a slug!"}, "slug", "Enter a valid"),
    ],
)
def test_program_form_rejects_bad_input_and_saves_nothing(client_for, program, data, field, message):
    before = Program.objects.count()
    valid = {
        "name": "New team",
        "slug": "new-team",
        "description": "",
        "term_length": "3",
        "time_zone": "UTC",
        "handoff_time": "09:00",
    }
    response = client_for(UserFactory()).post(reverse("advocacy:program_create"), {**valid, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Program.objects.count() == before


def test_manager_adds_a_member_by_email(client_for, program, manager):
    newcomer = UserFactory(username="priya", email="Priya@Example.com")
    response = client_for(manager).post(
        reverse("advocacy:member_list", args=[program.slug]), {"identifier": "priya@example.com", "role": "member"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(program=program, user=newcomer)
    assert membership.is_eligible is False  # an unticked checkbox means "not serving"


def test_adding_an_unknown_person_shows_a_clear_message(client_for, program, manager):
    response = client_for(manager).post(
        reverse("advocacy:member_list", args=[program.slug]), {"identifier": "nobody", "role": "member"}
    )
    assert NO_SUCH_USER in response.content.decode()


def test_the_last_manager_sees_why_they_cannot_be_removed(client_for, program, manager):
    membership = Membership.objects.get(user=manager)
    response = client_for(manager).post(reverse("advocacy:member_remove", args=[program.slug, membership.pk]))
    assert response.status_code == 200
    assert "at least one manager" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_member_thanks_a_colleague_from_the_program_page(client_for, program, manager, member):
    response = client_for(member).post(
        reverse("advocacy:thanks_list", args=[program.slug]),
        {"recipient": manager.pk, "message": "Thanks!", "next": program.get_absolute_url()},
    )
    assert response.status_code == 302 and response.url == program.get_absolute_url()
    assert ThanksNote.objects.get().recipient == manager


def test_thanks_cannot_be_sent_to_someone_outside_the_program_or_redirect_off_site(client_for, program, member):
    stranger = UserFactory()
    client = client_for(member)
    response = client.post(
        reverse("advocacy:thanks_list", args=[program.slug]), {"recipient": stranger.pk, "message": "x"}
    )
    assert "Choose a colleague who is a member" in response.content.decode()
    colleague = MembershipFactory(program=program).user
    response = client.post(
        reverse("advocacy:thanks_list", args=[program.slug]),
        {"recipient": colleague.pk, "message": "x", "next": "https://evil.example.com/"},
    )
    assert response.url == reverse("advocacy:thanks_list", args=[program.slug])


def test_thanks_text_is_escaped(client_for, program, manager, member):
    ThanksNoteFactory(program=program, sender=member, recipient=manager, message="<script>alert(1)</script>")
    body = client_for(manager).get(reverse("advocacy:my_thanks")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body


def test_thanks_list_is_paginated(client_for, program, manager, member):
    for i in range(25):
        ThanksNoteFactory(program=program, sender=member, recipient=manager, message=f"note {i}")
    client = client_for(member)
    first = client.get(reverse("advocacy:thanks_list", args=[program.slug]))
    assert len(first.context["page"].object_list) == 20
    second = client.get(reverse("advocacy:thanks_list", args=[program.slug]), {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_logout_is_by_post(client_for, member):
    client = client_for(member)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302


def test_notifications_are_recorded_and_emailed_once(client_for, member, run_jobs):
    first = notify(user=member, kind="test", title="Your term starts in 14 days", dedupe_key="k1", url="/x/")
    again = notify(user=member, kind="test", title="Your term starts in 14 days", dedupe_key="k1")
    assert first is not None and again is None
    assert run_jobs() == [True] and run_jobs() == []
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    client = client_for(member)
    page = client.get(reverse("advocacy:my_notifications")).content.decode()
    assert "Your term starts in 14 days" in page
    client.post(reverse("advocacy:my_notifications"))
    first.refresh_from_db()
    assert first.read_at is not None


def test_program_cards_count_every_member_for_a_member_too(client_for, program, manager, member):
    from tests.factories import MembershipFactory

    MembershipFactory(program=program)
    response = client_for(member).get(reverse("advocacy:program_list"))
    (card,) = response.context["page"].object_list
    assert card.member_count == 3
    assert "3 members" in response.content.decode()


def test_a_taken_address_made_from_the_name_is_shown_on_the_name(client_for, program):
    data = {"name": program.name, "slug": "", "term_length": "3", "time_zone": "UTC", "handoff_time": "09:00"}
    response = client_for(UserFactory()).post(reverse("advocacy:program_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [SLUG_TAKEN]


def test_program_settings_refuse_another_programs_address_through_the_service(client_for, program, manager):
    other = ProgramFactory(slug="other-team")
    data = {
        "name": program.name,
        "slug": other.slug,
        "description": "",
        "term_length": "3",
        "time_zone": program.time_zone,
        "handoff_time": "09:00",
    }
    response = client_for(manager).post(reverse("advocacy:program_settings", kwargs={"slug": program.slug}), data)
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [SLUG_TAKEN]
    program.refresh_from_db()
    assert program.slug != other.slug


def test_the_create_form_asks_whether_the_creator_takes_turns_too(client_for, db):
    user = UserFactory()
    client = client_for(user)
    page = client.get(reverse("advocacy:program_create")).content.decode()
    assert "I will take turns as advocate too" in page
    base = {"description": "", "term_length": "3", "time_zone": "UTC", "handoff_time": "09:00", "slug": ""}
    client.post(reverse("advocacy:program_create"), {**base, "name": "Only setup"})
    client.post(reverse("advocacy:program_create"), {**base, "name": "Taking turns", "creator_serves": "on"})
    assert Membership.objects.get(program__slug="only-setup", user=user).is_eligible is False
    assert Membership.objects.get(program__slug="taking-turns", user=user).is_eligible is True
    settings_page = client.get(reverse("advocacy:program_settings", kwargs={"slug": "only-setup"})).content.decode()
    assert "I will take turns as advocate too" not in settings_page
