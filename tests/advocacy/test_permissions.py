"""The one permissions module: who may manage or see a program, and the one message per refusal."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone

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


def test_a_members_program_role_and_zone_come_in_one_query_as_the_orm_reads_them(
    program, member, django_assert_num_queries
):
    """PostgreSQL reads them by SQL written out; it must give the models the ORM gives."""
    from django.db.models import OuterRef, Subquery

    from advocacy.models import Membership, Profile
    from tests.factories.advocacy import RoleDescriptionFactory

    program.role_description = RoleDescriptionFactory(name="Chair for the customer")
    program.handoff_time = datetime.time(8, 30)
    program.save()
    Profile.objects.update_or_create(user=member, defaults={"time_zone": "Asia/Tokyo"})
    with django_assert_num_queries(1):
        membership = permissions._membership_by_slug(user=member, slug=program.slug)
    own_zone = Profile.objects.filter(user=OuterRef("user")).values("time_zone")[:1]
    orm = (
        Membership.objects.select_related("program__role_description")
        .annotate(own_zone=Subquery(own_zone))
        .get(pk=membership.pk)
    )
    for found, expected in (
        (membership, orm),
        (membership.program, orm.program),
        (membership.program.role_description, orm.program.role_description),
    ):
        fields = type(expected)._meta.concrete_fields
        assert [getattr(found, f.attname) for f in fields] == [getattr(expected, f.attname) for f in fields]
        assert not found._state.adding
    assert membership.own_zone == "Asia/Tokyo"
    program.role_description = None
    program.save()
    with django_assert_num_queries(1):
        membership = permissions._membership_by_slug(user=member, slug=program.slug)
        assert membership.program.role_description is None
    assert permissions._membership_by_slug(user=member, slug="no-such-program") is None


def test_a_program_page_reads_the_unread_count_with_its_first_lookup(program, member, client_for):
    """The navigation bar's count comes with the member's program (PostgreSQL): no query of its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from advocacy.models import Notification

    for n in range(3):
        Notification.objects.create(user=member, program=program, kind="test", title=f"Note {n}", dedupe_key=f"k{n}")
    Notification.objects.filter(title="Note 0").update(read_at=timezone.now())
    client = client_for(member)
    client.get(f"/programs/{program.slug}/themes/")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(f"/programs/{program.slug}/themes/")
    assert page.status_code == 200
    assert not [q for q in ctx.captured_queries if 'FROM "advocacy_notification"' in q["sql"]]
    assert '2<span class="visually-hidden"> unread</span>' in page.content.decode()


def test_the_written_out_visible_programs_are_the_querysets(program, other_program, manager, outsider, superuser):
    """visible_programs_sql (what every log page runs) selects what visible_programs gives, for each kind of person."""
    nobody = UserFactory()
    for user in (manager, outsider, superuser, nobody, AnonymousUser()):
        sql, params = permissions.visible_programs_sql(user=user)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = sorted(row[0] for row in cursor.fetchall())
        assert ids == sorted(permissions.visible_programs(user=user).values_list("pk", flat=True)), user
    assert permissions.visible_programs_sql(user=nobody)[1] == [nobody.pk]
