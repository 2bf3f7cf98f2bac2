"""The one permissions module: who may manage or see a program, and the one message per refusal."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from advocacy import permissions
from advocacy.permissions import SYSTEM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_managers_superusers_and_the_scheduler_manage_members_do_not(program, manager, member, outsider):
    admin = UserFactory(is_superuser=True)
    assert permissions.is_manager(program=program, user=manager)
    assert permissions.is_manager(program=program, user=admin)
    assert permissions.is_manager(program=program, user=SYSTEM)
    assert not permissions.is_manager(program=program, user=member)
    assert not permissions.is_manager(program=program, user=outsider)
    assert not permissions.is_manager(program=program, user=AnonymousUser())


def test_a_missing_actor_is_refused_rather_than_let_through(program):
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_manager(program=program, actor=None)
    assert str(refused.value) == permissions.NO_ACTOR
    with pytest.raises(PermissionDenied):
        permissions.require_member(program=program, actor=None)


def test_each_refusal_has_its_one_message(program, member, outsider):
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_manager(program=program, actor=member)
    assert str(refused.value) == permissions.NOT_MANAGER
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_member(program=program, actor=outsider)
    assert str(refused.value) == permissions.NOT_MEMBER


def test_program_for_user_hides_the_program_from_outsiders_and_refuses_members_who_would_manage(
    program, member, outsider
):
    with pytest.raises(Http404):
        permissions.program_for_user(user=outsider, slug=program.slug)
    found, membership = permissions.program_for_user(user=member, slug=program.slug)
    assert found == program and membership.user == member
    with pytest.raises(PermissionDenied) as refused:
        permissions.program_for_user(user=member, slug=program.slug, manage=True)
    assert str(refused.value) == permissions.NOT_MANAGER


def test_visible_programs_are_the_users_own_or_all_for_a_superuser(program, other_program, member):
    assert list(permissions.visible_programs(user=member)) == [program]
    assert set(permissions.visible_programs(user=UserFactory(is_superuser=True))) == {program, other_program}
    assert permissions.visible_program_ids(user=AnonymousUser()) == []


def test_audit_columns_record_a_person_never_the_scheduler(member):
    assert permissions.acting_person(member) == member
    assert permissions.acting_person(SYSTEM) is None
