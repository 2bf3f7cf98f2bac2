import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from advocacy import selectors, services
from advocacy.models import Membership, Program, RoleDescription, ThanksNote
from tests import hook_participants
from tests.factories import MembershipFactory, ProgramFactory, RoleDescriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_program_makes_the_creator_its_manager():
    user = UserFactory()
    program = services.create_program(creator=user, name="  Billing  ", slug="billing", time_zone="Asia/Tokyo")
    assert program.name == "Billing"
    assert Membership.objects.get(program=program, user=user).role == Membership.Role.MANAGER


def test_create_program_with_bad_input_saves_nothing():
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.create_program(creator=user, name="Billing", slug="billing", time_zone="Nowhere/City")
    assert not Program.objects.exists()
    assert not Membership.objects.exists()


def test_update_program_requires_a_manager(program, manager, member):
    with pytest.raises(PermissionDenied):
        services.update_program(program=program, actor=member, name="Hijacked")
    services.update_program(program=program, actor=manager, name="Renamed", term_months=6)
    program.refresh_from_db()
    assert (program.name, program.term_months) == ("Renamed", 6)


def test_the_last_manager_cannot_step_down_or_leave(program, manager):
    membership = Membership.objects.get(program=program, user=manager)
    with pytest.raises(ValidationError) as error:
        services.update_membership(membership=membership, actor=manager, role="member", is_eligible=True)
    assert error.value.messages == [services.LAST_MANAGER]
    with pytest.raises(ValidationError):
        services.remove_member(membership=membership, actor=manager)
    assert Membership.objects.get(pk=membership.pk).role == Membership.Role.MANAGER


def test_a_manager_can_step_down_when_another_manager_remains(program, manager):
    other = MembershipFactory(program=program, role=Membership.Role.MANAGER).user
    membership = Membership.objects.get(program=program, user=manager)
    services.update_membership(membership=membership, actor=other, role="member", is_eligible=False)
    membership.refresh_from_db()
    assert (membership.role, membership.is_eligible) == ("member", False)


def test_add_member_twice_is_refused_with_a_clear_message(program, manager, member):
    with pytest.raises(ValidationError) as error:
        services.add_member(program=program, actor=manager, user=member)
    assert "already a member" in error.value.messages[0]


def test_roster_changes_call_the_membership_hook(program, manager, settings):
    hook_participants.reset()
    settings.MEMBERSHIP_CHANGED_PARTICIPANTS = [
        *settings.MEMBERSHIP_CHANGED_PARTICIPANTS,
        "tests.hook_participants.record",
    ]
    newcomer = UserFactory(username="newcomer")
    m = services.add_member(program=program, actor=manager, user=newcomer)
    services.update_membership(membership=m, actor=manager, role="member", is_eligible=False)
    services.remove_member(membership=m, actor=manager)
    seen = [(c.membership.user.username, c.change, c.actor) for c in hook_participants.SEEN]
    assert seen == [("newcomer", "added", manager), ("newcomer", "changed", manager), ("newcomer", "removed", manager)]


def test_creating_a_program_calls_the_membership_hook_for_its_creator(manager, settings):
    hook_participants.reset()
    settings.MEMBERSHIP_CHANGED_PARTICIPANTS = ["tests.hook_participants.record"]
    program = services.create_program(creator=manager, name="New desk", slug="new-desk")
    assert [(c.membership.program, c.membership.user, c.change) for c in hook_participants.SEEN] == [
        (program, manager, "added")
    ]


def test_a_taken_slug_is_refused_by_the_service(program, manager):
    with pytest.raises(ValidationError) as error:
        services.create_program(creator=manager, name="Copy", slug=program.slug)
    assert error.value.message_dict == {"slug": [services.SLUG_TAKEN]}
    other = services.create_program(creator=manager, name="Other", slug="other-desk")
    with pytest.raises(ValidationError) as error:
        services.update_program(program=other, actor=manager, slug=program.slug)
    assert error.value.message_dict == {"slug": [services.SLUG_TAKEN]}
    other.refresh_from_db()
    assert other.slug == "other-desk"
    assert services.update_program(program=other, actor=manager, slug="other-desk").slug == "other-desk"


def test_saving_a_role_version_never_overwrites_the_previous_one():
    role = RoleDescription.objects.get(is_default=True)
    first = role.current_version
    second = services.save_role_version(
        role=role,
        actor=None,
        title="Voice of the customer",
        mandate="Ask hard questions.",
        responsibilities="Work the log.",
        qualities=["Has courage", "  ", "Engaged"],
    )
    assert second.number == first.number + 1
    assert second.qualities == ["Has courage", "Engaged"]
    first.refresh_from_db()
    assert first.title == "Customer advocate"
    assert RoleDescription.objects.get(pk=role.pk).current_version == second


def test_restoring_an_old_version_adds_a_new_version_with_its_content():
    role = RoleDescription.objects.get(is_default=True)
    first = role.current_version
    services.save_role_version(
        role=role, actor=None, title="Changed", mandate="m", responsibilities="r", qualities=["q"]
    )
    restored = services.restore_role_version(version=first, actor=None)
    assert restored.number == 3
    assert (restored.title, restored.qualities) == (first.title, first.qualities)
    assert restored.change_note == "Restored from version 1"


def test_a_program_uses_its_own_description_or_the_default():
    program = ProgramFactory()
    assert selectors.role_version_for_program(program=program).role.is_default
    own = RoleDescriptionFactory(name="Enterprise role")
    services.save_role_version(
        role=own, actor=None, title="Enterprise advocate", mandate="m", responsibilities="r", qualities=["q"]
    )
    program.role_description = own
    program.save()
    assert selectors.role_version_for_program(program=program).title == "Enterprise advocate"


def test_send_thanks_between_members(program, manager, member):
    note = services.send_thanks(program=program, sender=member, recipient=manager, message="  Thanks for the call!  ")
    assert note.message == "Thanks for the call!"


@pytest.mark.parametrize(
    ("recipient_kind", "message", "expected"),
    [
        ("self", "Thanks", services.THANKS_TO_SELF),
        ("outsider", "Thanks", "is not a member"),
        ("manager", "   ", services.THANKS_EMPTY),
    ],
)
def test_send_thanks_refuses_bad_input_and_saves_nothing(program, manager, member, recipient_kind, message, expected):
    recipient = {"self": member, "outsider": UserFactory(), "manager": manager}[recipient_kind]
    with pytest.raises(ValidationError) as error:
        services.send_thanks(program=program, sender=member, recipient=recipient, message=message)
    assert expected in error.value.messages[0]
    assert not ThanksNote.objects.exists()


def test_the_creator_serves_as_advocate_only_when_they_choose_to(manager):
    program = services.create_program(creator=manager, name="Setup only", slug="setup-only")
    assert program.memberships.get(user=manager).is_eligible is False
    serving = services.create_program(creator=manager, name="Serving", slug="serving", creator_serves=True)
    membership = serving.memberships.get(user=manager)
    assert (membership.role, membership.is_eligible) == ("manager", True)
