"""The log's owner and department lists, kept by each web worker until the database says they changed."""

import pytest
from django.contrib.auth.models import update_last_login
from django.db import connection

from issues import selectors
from tests.factories import MembershipFactory, ProgramFactory
from tests.factories.issues import DepartmentFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the version is kept by PostgreSQL triggers")


def lists(user, **kwargs):
    found = selectors.log_lookups(user=user, **kwargs)
    return found.people, found.departments


def test_the_lists_are_kept_until_something_in_them_changes(program, manager, member, departments):
    people, kept_departments = lists(manager)
    assert [name for _, name in people] == sorted(name for _, name in people) and len(people) == 2
    again = lists(manager)
    assert again[0] is people and again[1] is kept_departments, "read again with nothing changed"
    update_last_login(None, manager)  # what a sign-in writes: no list changes
    assert lists(manager)[0] is people

    newcomer = MembershipFactory(program=program, user__first_name="Zora", user__last_name="Newcomer").user
    people = lists(manager)[0]
    assert (newcomer.pk, "Zora Newcomer") in people

    newcomer.first_name = "Zoe"
    newcomer.save()
    people = lists(manager)[0]
    assert (newcomer.pk, "Zoe Newcomer") in people and (newcomer.pk, "Zora Newcomer") not in people

    newcomer.memberships.all().delete()
    assert newcomer.pk not in {pk for pk, _ in lists(manager)[0]}

    DepartmentFactory(program=program, name="Returns")
    assert "Returns" in {name for _, name in lists(manager)[1]}
    departments[0].delete()
    assert departments[0].name not in {name for _, name in lists(manager)[1]}


def test_each_person_keeps_their_own_lists(program, manager, outsider, departments):
    DepartmentFactory(program=outsider.memberships.get().program, name="Elsewhere")
    mine, theirs = lists(manager), lists(outsider)
    assert {name for _, name in mine[1]} == {d.name for d in departments}
    assert {name for _, name in theirs[1]} == {"Elsewhere"}
    assert lists(manager)[1] is mine[1] and lists(outsider)[1] is theirs[1]

    # Joining a program changes the lists of the one who joins.
    MembershipFactory(program=program, user=outsider)
    assert {name for _, name in lists(outsider)[1]} == {"Elsewhere", *(d.name for d in departments)}


def test_the_company_log_keeps_one_programs_lists_per_program(manager, member, program, departments):
    other = ProgramFactory(name="Other Team", slug="other-team")
    DepartmentFactory(program=other, name="Elsewhere")
    first = lists(manager, every_program=True, lists_for=program.slug)
    assert {name for _, name in first[1]} == {d.name for d in departments}
    second = lists(manager, every_program=True, lists_for=other.slug)
    assert {name for _, name in second[1]} == {"Elsewhere"}
    assert lists(manager, every_program=True, lists_for=program.slug)[1] is first[1]
    assert lists(manager, every_program=True)[1] == []

    other.name = "Renamed Team"  # departments are listed under their program's name
    other.save()
    assert lists(manager, every_program=True, lists_for=other.slug)[1] is not second[1]


def test_the_log_page_shows_a_new_member_in_the_owner_filter(client_for, program, manager):
    client = client_for(manager)
    assert "Quinn Later" not in client.get("/issues/").content.decode()
    MembershipFactory(program=program, user__first_name="Quinn", user__last_name="Later")
    assert "Quinn Later" in client.get("/issues/").content.decode()


def test_the_log_page_writes_the_kept_lists_options_once_and_selects_the_chosen_one(
    client_for, program, manager, departments
):
    client = client_for(manager)
    assert client.get("/issues/").status_code == 200
    made = selectors.log_lookups(user=manager).made_from_lists
    assert "options" in made, "the options are kept with the lists"
    chosen = str(departments[1].pk)
    body = client.get("/issues/", {"department": chosen}).content.decode()
    assert f'<option value="{chosen}" selected>' in body
    assert f'<option value="{chosen}" selected>' not in client.get("/issues/").content.decode()
    assert selectors.log_lookups(user=manager).made_from_lists is made

    DepartmentFactory(program=program, name="Returns & Refunds")
    body = client.get("/issues/").content.decode()
    assert ">Returns &amp; Refunds</option>" in body, "a new department is offered at once"
    assert selectors.log_lookups(user=manager).made_from_lists is not made
