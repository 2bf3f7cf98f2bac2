"""Root causes: the program's list managers edit, and what every way of closing an issue asks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import escape

from advocacy import services as advocacy_services
from issues import services
from issues.models import DEFAULT_ROOT_CAUSES, HotIssue, IssueEvent, RootCause, Status
from tests.factories import RootCauseFactory
from tests.issues.test_admin import _post_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def causes(program):
    services.seed_default_root_causes(program=program)
    return {c.name: c for c in RootCause.objects.filter(program=program)}


# ---------------------------------------------------------------- the list


def test_a_new_program_starts_with_the_default_list(manager):
    program = advocacy_services.create_program(creator=manager, name="Field team", slug="field-team")
    names = list(RootCause.objects.filter(program=program).values_list("name", flat=True))
    assert names == list(DEFAULT_ROOT_CAUSES)


def test_seeding_twice_adds_nothing(program):
    assert len(services.seed_default_root_causes(program=program)) == len(DEFAULT_ROOT_CAUSES)
    assert services.seed_default_root_causes(program=program) == []
    assert RootCause.objects.filter(program=program).count() == len(DEFAULT_ROOT_CAUSES)


def test_managers_add_rename_move_retire_and_restore(program, manager, causes):
    added = services.add_root_cause(program=program, actor=manager, name="  Website   outage ")
    assert added.name == "Website outage" and added.position == len(DEFAULT_ROOT_CAUSES) + 1
    with pytest.raises(ValidationError) as error:
        services.add_root_cause(program=program, actor=manager, name="billing ERROR")
    assert error.value.message_dict["name"] == [services.ROOT_CAUSE_EXISTS % {"name": "billing ERROR"}]
    with pytest.raises(ValidationError) as error:
        services.add_root_cause(program=program, actor=manager, name=" ")
    assert error.value.message_dict["name"] == [services.ROOT_CAUSE_NAME_REQUIRED]

    renamed = services.rename_root_cause(program=program, actor=manager, root_cause=added, name="Site down")
    assert renamed.name == "Site down"
    services.move_root_cause(program=program, actor=manager, root_cause=added, direction="up")
    order = list(RootCause.objects.filter(program=program).values_list("name", flat=True))
    assert order[-2:] == ["Site down", "Other"]
    first = RootCause.objects.filter(program=program).first()
    with pytest.raises(ValidationError) as error:
        services.move_root_cause(program=program, actor=manager, root_cause=first, direction="up")
    assert "already at the top" in error.value.messages[0]

    services.retire_root_cause(program=program, actor=manager, root_cause=added)
    assert RootCause.objects.get(pk=added.pk).is_retired
    with pytest.raises(ValidationError):
        services.retire_root_cause(program=program, actor=manager, root_cause=added)
    services.restore_root_cause(program=program, actor=manager, root_cause=added)
    assert not RootCause.objects.get(pk=added.pk).is_retired


def test_the_last_root_cause_in_use_cannot_be_retired(program, manager):
    only = RootCauseFactory(program=program, name="Only one")
    with pytest.raises(ValidationError) as error:
        services.retire_root_cause(program=program, actor=manager, root_cause=only)
    assert error.value.messages == [services.LAST_ROOT_CAUSE]


def test_members_and_other_programs_managers_cannot_edit_the_list(program, manager, member, outsider, causes):
    for actor in (member, outsider):
        with pytest.raises(PermissionDenied):
            services.add_root_cause(program=program, actor=actor, name="Mine")
    foreign = RootCauseFactory(name="Theirs")
    with pytest.raises(ValidationError) as error:
        services.retire_root_cause(program=program, actor=manager, root_cause=foreign)
    assert error.value.message_dict["root_cause"] == [services.ROOT_CAUSE_OTHER_PROGRAM]


# ---------------------------------------------------------------- at close


def test_resolve_asks_root_cause_and_lasting_fix_and_records_them(make_issue, manager, causes):
    issue = make_issue()
    with pytest.raises(ValidationError) as error:
        services.resolve(issue=issue, actor=manager, resolution="Refunded")
    assert error.value.message_dict == {
        "root_cause": [services.ROOT_CAUSE_REQUIRED],
        "lasting_fix_needed": [services.LASTING_FIX_REQUIRED],
    }
    assert HotIssue.objects.get(pk=issue.pk).status == Status.NEW
    services.resolve(
        issue=issue, actor=manager, resolution="Refunded", root_cause=causes["Billing error"], lasting_fix_needed=True
    )
    issue.refresh_from_db()
    assert (issue.root_cause, issue.lasting_fix_needed, issue.resolution) == (causes["Billing error"], True, "Refunded")
    event = issue.events.get(kind=IssueEvent.Kind.RESOLVED)
    assert "root cause: Billing error; lasting fix needed" in event.summary


@pytest.mark.parametrize("close", ["resolve", "unreachable"])
def test_every_close_refuses_another_programs_or_a_retired_root_cause(
    close, make_issue, manager, causes, other_program
):
    issue = make_issue()
    retired = causes["Policy"]
    services.retire_root_cause(program=issue.program, actor=manager, root_cause=retired)
    retired.refresh_from_db()
    for cause, message in [
        (RootCauseFactory(program=other_program), services.ROOT_CAUSE_OTHER_PROGRAM),
        (retired, services.ROOT_CAUSE_RETIRED % {"name": "Policy"}),
    ]:
        with pytest.raises(ValidationError) as error:
            if close == "resolve":
                services.resolve(issue=issue, actor=manager, resolution="x", root_cause=cause, lasting_fix_needed=False)
            else:
                services.change_status(
                    issue=issue,
                    actor=manager,
                    status=Status.UNREACHABLE,
                    action="x",
                    root_cause=cause,
                    lasting_fix_needed=False,
                )
        assert error.value.message_dict["root_cause"] == [message]
    assert HotIssue.objects.get(pk=issue.pk).is_open


def test_unreachable_asks_what_was_done_too(make_issue, manager, causes):
    issue = make_issue()
    with pytest.raises(ValidationError) as error:
        services.change_status(issue=issue, actor=manager, status=Status.UNREACHABLE)
    assert set(error.value.message_dict) == {"root_cause", "lasting_fix_needed", "action"}
    services.change_status(
        issue=issue,
        actor=manager,
        status=Status.UNREACHABLE,
        action="Called three times, wrote twice",
        root_cause=causes["Communication"],
        lasting_fix_needed=False,
    )
    issue.refresh_from_db()
    assert issue.status == Status.UNREACHABLE and issue.root_cause == causes["Communication"]
    assert issue.resolution == "Called three times, wrote twice"
    event = issue.events.get(kind=IssueEvent.Kind.STATUS)
    assert "root cause: Communication; no lasting fix needed" in event.summary
    assert "Called three times" in event.detail


def test_moving_an_open_issue_along_asks_nothing_more(make_issue, manager):
    issue = make_issue()
    services.change_status(issue=issue, actor=manager, status=Status.IN_PROGRESS)
    assert HotIssue.objects.get(pk=issue.pk).root_cause is None


def test_reopening_keeps_the_root_cause_and_asks_the_lasting_fix_again(make_issue, manager, causes):
    issue = make_issue()
    services.resolve(
        issue=issue, actor=manager, resolution="ok", root_cause=causes["Delivery"], lasting_fix_needed=True
    )
    services.reopen(issue=issue, actor=manager, reason="Came back")
    issue.refresh_from_db()
    assert issue.is_open and issue.root_cause == causes["Delivery"] and issue.lasting_fix_needed is None
    # The next close still asks for both.
    with pytest.raises(ValidationError) as error:
        services.resolve(issue=issue, actor=manager, resolution="again")
    assert set(error.value.message_dict) == {"root_cause", "lasting_fix_needed"}


def test_a_reopened_issue_offers_its_last_cause_and_shows_it_as_the_last_close(client_for, make_issue, manager, causes):
    issue = make_issue()
    services.resolve(
        issue=issue, actor=manager, resolution="ok", root_cause=causes["Delivery"], lasting_fix_needed=False
    )
    services.reopen(issue=issue, actor=manager, reason="Came back")
    client = client_for(manager)
    body = client.get(issue.get_absolute_url()).content.decode()
    assert "Root cause at the last close: <span" in body and 'data-testid="close-facts"' not in body
    for name in ("resolve", "unreachable"):
        form = client.get(reverse("issues:action_form", args=[issue.pk, name])).content.decode()
        assert f'<option value="{causes["Delivery"].pk}" selected>' in form
    # Still asked: the lasting-fix answer is not pre-filled, so a bare post is refused.
    data = {"resolution": "Sent again", "root_cause": causes["Delivery"].pk}
    assert client.post(reverse("issues:resolve", args=[issue.pk]), data).status_code == 400
    assert HotIssue.objects.get(pk=issue.pk).is_open


def test_a_reopened_issue_whose_cause_was_retired_offers_none_and_refuses_it(client_for, make_issue, manager, causes):
    issue = make_issue()
    services.resolve(issue=issue, actor=manager, resolution="ok", root_cause=causes["Policy"], lasting_fix_needed=False)
    services.reopen(issue=issue, actor=manager, reason="Came back")
    services.retire_root_cause(program=issue.program, actor=manager, root_cause=causes["Policy"])
    client = client_for(manager)
    form = client.get(reverse("issues:action_form", args=[issue.pk, "resolve"])).content.decode()
    assert "selected" not in form.split('name="root_cause"')[1].split("</select>")[0]
    body = client.get(issue.get_absolute_url()).content.decode()
    assert "Root cause at the last close: <span" in body and "(retired)" in body
    data = {"resolution": "Again", "root_cause": causes["Policy"].pk, "lasting_fix_needed": "no"}
    response = client.post(reverse("issues:resolve", args=[issue.pk]), data)
    assert response.status_code == 400
    assert escape(services.ROOT_CAUSE_RETIRED % {"name": "Policy"}) in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).is_open


def test_retired_root_cause_stays_on_issues_closed_with_it(client_for, make_issue, manager, causes):
    issue = make_issue()
    services.resolve(issue=issue, actor=manager, resolution="ok", root_cause=causes["Policy"], lasting_fix_needed=False)
    services.retire_root_cause(program=issue.program, actor=manager, root_cause=causes["Policy"])
    issue.refresh_from_db()
    assert issue.root_cause == causes["Policy"]
    body = client_for(manager).get(issue.get_absolute_url()).content.decode()
    assert "Policy" in body and "(retired)" in body


# ---------------------------------------------------------------- pages


def test_issue_closed_before_root_causes_shows_not_recorded(client_for, make_issue, manager):
    issue = make_issue()
    HotIssue.objects.filter(pk=issue.pk).update(status=Status.RESOLVED, resolution="Long ago")
    body = client_for(manager).get(issue.get_absolute_url()).content.decode()
    assert 'Root cause</dt><dd><span class="text-body-secondary">not recorded</span>' in body


def test_resolve_form_offers_only_root_causes_in_use_and_closes(client_for, make_issue, manager, causes):
    issue = make_issue()
    services.retire_root_cause(program=issue.program, actor=manager, root_cause=causes["Policy"])
    client = client_for(manager)
    form = client.get(reverse("issues:action_form", args=[issue.pk, "resolve"])).content.decode()
    assert "Billing error" in form and "Policy" not in form and "lasting fix" in form.lower()
    data = {"resolution": "Refunded", "root_cause": causes["Delivery"].pk, "lasting_fix_needed": "yes"}
    assert client.post(reverse("issues:resolve", args=[issue.pk]), data).status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.root_cause, issue.lasting_fix_needed) == (Status.RESOLVED, causes["Delivery"], True)
    body = client.get(issue.get_absolute_url()).content.decode()
    assert "Delivery" in body and "root cause: Delivery" in body


def test_resolve_form_refuses_a_retired_root_cause_with_its_message(client_for, make_issue, manager, causes):
    issue = make_issue()
    services.retire_root_cause(program=issue.program, actor=manager, root_cause=causes["Policy"])
    data = {"resolution": "Refunded", "root_cause": causes["Policy"].pk, "lasting_fix_needed": "no"}
    response = client_for(manager).post(reverse("issues:resolve", args=[issue.pk]), data)
    assert response.status_code == 400
    assert escape(services.ROOT_CAUSE_RETIRED % {"name": "Policy"}) in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).is_open


def test_unreachable_form_on_the_issue_page_closes(client_for, make_issue, member, causes):
    issue = make_issue()
    client = client_for(member)
    data = {"action": "Three calls", "root_cause": causes["Other"].pk, "lasting_fix_needed": "no", "note": ""}
    assert client.post(reverse("issues:unreachable", args=[issue.pk]), data).status_code == 302
    issue.refresh_from_db()
    assert issue.status == Status.UNREACHABLE and issue.root_cause == causes["Other"]


def test_log_row_sends_unreachable_to_the_issue_page_form(client_for, make_issue, member):
    issue = make_issue()
    client = client_for(member)
    body = client.get(reverse("issues:log")).content.decode()
    assert f"/issues/{issue.pk}/?open=unreachable" in body
    # The row's quick status button cannot close without a root cause.
    response = client.post(
        reverse("issues:status", args=[issue.pk]), {"status": "unreachable"}, headers={"HX-Request": "true"}
    )
    assert "alert-danger" in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).is_open
    page = client.get(issue.get_absolute_url() + "?open=unreachable").content.decode()
    assert 'name="root_cause"' in page


def test_manager_page_lists_adds_and_changes(client_for, program, manager, causes):
    client = client_for(manager)
    url = reverse("issues:root_causes", args=[program.slug])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Website outage"}).status_code == 302
    response = client.post(url, {"name": "website OUTAGE"})
    assert response.status_code == 400 and "already on this program" in response.content.decode()
    added = RootCause.objects.get(program=program, name="Website outage")
    change = reverse("issues:root_cause_change", args=[program.slug, added.pk])
    assert client.post(change, {"action": "rename", "name": "Site down"}).status_code == 302
    assert client.post(change, {"action": "up"}).status_code == 302
    assert client.post(change, {"action": "retire"}).status_code == 302
    assert RootCause.objects.get(pk=added.pk).is_retired and RootCause.objects.get(pk=added.pk).name == "Site down"
    response = client.post(change, {"action": "retire"})
    assert response.status_code == 400 and "already retired" in response.content.decode()
    response = client.post(change, {"action": "rename", "name": ""})
    assert response.status_code == 400 and services.ROOT_CAUSE_NAME_REQUIRED in response.content.decode()
    assert client.post(change, {"action": "nonsense"}).status_code == 400
    assert client.post(change, {"action": "restore"}).status_code == 302


def test_manager_page_refuses_members_and_other_programs(client_for, program, manager, member, outsider, causes):
    url = reverse("issues:root_causes", args=[program.slug])
    assert client_for(member).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code in (403, 404)
    foreign = RootCauseFactory(name="Theirs")
    response = client_for(manager).post(
        reverse("issues:root_cause_change", args=[program.slug, foreign.pk]), {"action": "retire"}
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- admin


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def test_admin_close_as_unreachable_needs_the_root_cause(staff_client, make_issue, causes):
    issue = make_issue()
    response = _post_change(staff_client, issue, status=Status.UNREACHABLE)
    assert response.status_code == 200 and escape(services.ROOT_CAUSE_REQUIRED) in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).is_open
    response = _post_change(
        staff_client,
        issue,
        status=Status.UNREACHABLE,
        root_cause=str(causes["Delivery"].pk),
        lasting_fix_needed="false",
        resolution="Wrote to the last known address",
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Status.UNREACHABLE and issue.root_cause == causes["Delivery"]


def test_admin_refuses_another_programs_root_cause(staff_client, make_issue, other_program):
    issue = make_issue()
    foreign = RootCauseFactory(program=other_program)
    response = _post_change(staff_client, issue, root_cause=str(foreign.pk))
    assert response.status_code == 200
    assert HotIssue.objects.get(pk=issue.pk).root_cause is None


def test_admin_root_cause_pages_go_through_the_services(staff_client, program, causes):
    assert staff_client.get("/admin/issues/rootcause/").status_code == 200
    response = staff_client.post(
        "/admin/issues/rootcause/add/", {"program": program.pk, "name": "Website outage", "_save": "Save"}
    )
    assert response.status_code == 302
    added = RootCause.objects.get(program=program, name="Website outage")
    assert added.position == len(DEFAULT_ROOT_CAUSES) + 1
    response = staff_client.post(
        "/admin/issues/rootcause/add/", {"program": program.pk, "name": "billing error", "_save": "Save"}
    )
    assert response.status_code == 200 and "already on this program" in response.content.decode()
    url = f"/admin/issues/rootcause/{added.pk}/change/"
    assert staff_client.post(url, {"name": "Site down", "retired": "on", "_save": "Save"}).status_code == 302
    added.refresh_from_db()
    assert added.name == "Site down" and added.is_retired


def test_imports_never_close_an_issue():
    """An imported row always becomes an open issue: imports are not a way to close one."""
    import inspect

    from issues.services import creating

    assert "Status.RESOLVED" not in inspect.getsource(creating)
    assert "Status.UNREACHABLE" not in inspect.getsource(creating)
