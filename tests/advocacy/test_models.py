import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from advocacy.models import Membership, Program, RoleDescription, RoleDescriptionVersion
from tests.factories import MembershipFactory, ProgramFactory, RoleDescriptionFactory, ThanksNoteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_default_role_description_is_seeded_with_ten_qualities():
    role = RoleDescription.objects.get(is_default=True)
    version = role.current_version
    assert version.number == 1
    assert len(version.qualities) == 10
    assert "devil's advocate" in version.mandate
    assert version.quality_items[0]["name"] == "Understands the culture"


def test_only_one_default_role_description():
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleDescriptionFactory(is_default=True)


def test_version_numbers_are_unique_per_role():
    role = RoleDescriptionFactory()
    RoleDescriptionVersion.objects.create(role=role, number=1, title="a", mandate="m", responsibilities="r")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleDescriptionVersion.objects.create(role=role, number=1, title="b", mandate="m", responsibilities="r")


def test_a_user_is_a_member_of_a_program_once():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(program=membership.program, user=membership.user)


def test_thanks_to_oneself_is_refused_by_the_database():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ThanksNoteFactory(sender=user, recipient=user)


@pytest.mark.parametrize("months", [0, 25])
def test_term_length_outside_one_to_twenty_four_months_is_refused(months):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.create(name="X", slug=f"x{months}", term_months=months)


def test_unknown_time_zone_fails_validation_with_a_clear_message():
    program = ProgramFactory.build(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as error:
        program.full_clean()
    assert "not a known time zone" in str(error.value)


def test_term_length_label_names_presets_and_custom_lengths():
    assert ProgramFactory.build(term_months=3).term_length_label == "Quarterly"
    assert ProgramFactory.build(term_months=4).term_length_label == "Every 4 months"
