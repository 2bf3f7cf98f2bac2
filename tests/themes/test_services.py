"""Themes: who may change them, what they refuse, the fix's steps and history, issues joining."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.selectors import display_name
from issues import background
from issues import services as issue_services
from issues.models import Escalation, HotIssue, IssueEvent, RecoveryCheck
from tests.factories import DepartmentFactory, RootCauseFactory, closing
from themes import selectors, services
from themes.models import FixStatus, ThemeIssue

pytestmark = pytest.mark.django_db


def test_create_theme_records_the_proposed_fix(theme, manager):
    assert theme.fix_status == FixStatus.PROPOSED
    change = theme.fix_changes.get()
    assert (change.from_status, change.to_status, change.by) == ("", FixStatus.PROPOSED, manager)


def test_members_cannot_create_or_move_but_may_add_issues(program, member, cause, theme, make_issue):
    with pytest.raises(PermissionDenied):
        services.create_theme(program=program, actor=member, title="Mine", root_cause=cause, owner_member=member)
    with pytest.raises(PermissionDenied):
        services.move_fix(theme=theme, actor=member, to_status=FixStatus.AGREED)
    assert services.add_issues(theme=theme, actor=member, issues=[make_issue()]) == 1


def test_the_current_advocate_may_create_themes(program, cause, term, advocate):
    theme = services.create_theme(
        program=program, actor=advocate, title="Late parcels", root_cause=cause, owner_member=advocate
    )
    assert theme.created_by == advocate


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "  "}, "title", services.TITLE_REQUIRED),
        ({"root_cause": None}, "root_cause", issue_services.ROOT_CAUSE_REQUIRED),
        ({"owner_member": None}, "owner_department", services.OWNER_REQUIRED),
    ],
)
def test_create_theme_refuses_bad_input(program, manager, cause, change, field, message):
    kwargs = {"title": "Double charges", "root_cause": cause, "owner_member": manager, **change}
    with pytest.raises(ValidationError) as error:
        services.create_theme(program=program, actor=manager, **kwargs)
    assert error.value.message_dict[field] == [message]


def test_create_theme_refuses_other_programs_cause_department_and_owner(
    program, manager, cause, other_program, outsider
):
    with pytest.raises(ValidationError) as error:
        services.create_theme(
            program=program,
            actor=manager,
            title="x",
            root_cause=RootCauseFactory(program=other_program),
            owner_member=manager,
        )
    assert error.value.message_dict["root_cause"] == [issue_services.ROOT_CAUSE_OTHER_PROGRAM]
    with pytest.raises(ValidationError) as error:
        services.create_theme(
            program=program,
            actor=manager,
            title="x",
            root_cause=cause,
            owner_department=DepartmentFactory(program=other_program),
        )
    assert error.value.message_dict["owner_department"] == [services.DEPARTMENT_OTHER_PROGRAM]
    with pytest.raises(ValidationError) as error:
        services.create_theme(program=program, actor=manager, title="x", root_cause=cause, owner_member=outsider)
    assert error.value.message_dict["owner_member"] == [services.OWNER_NOT_MEMBER]
    with pytest.raises(ValidationError) as error:
        services.create_theme(
            program=program,
            actor=manager,
            title="x",
            root_cause=cause,
            owner_member=manager,
            owner_department=DepartmentFactory(program=program),
        )
    assert error.value.message_dict["owner_department"] == [services.OWNER_ONE]


def test_fix_moves_one_step_at_a_time_and_keeps_its_history(theme, manager):
    with pytest.raises(ValidationError) as error:
        services.move_fix(theme=theme, actor=manager, to_status=FixStatus.SHIPPED)
    assert "can move to “Agreed”" in error.value.messages[0]
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        theme = services.move_fix(theme=theme, actor=manager, to_status=status, note=f"now {status}")
    assert theme.shipped_at is not None
    theme = services.move_fix(theme=theme, actor=manager, to_status=FixStatus.IN_PROGRESS, note="It broke")
    assert theme.shipped_at is None
    steps = [(c.from_status, c.to_status) for c in selectors.fix_history(theme=theme)]
    assert steps == [
        ("", "proposed"),
        ("proposed", "agreed"),
        ("agreed", "in_progress"),
        ("in_progress", "shipped"),
        ("shipped", "in_progress"),
    ]


def test_a_fix_without_a_description_cannot_ship(program, manager, cause):
    theme = services.create_theme(program=program, actor=manager, title="x", root_cause=cause, owner_member=manager)
    services.move_fix(theme=theme, actor=manager, to_status=FixStatus.AGREED)
    services.move_fix(theme=theme, actor=manager, to_status=FixStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        services.move_fix(theme=theme, actor=manager, to_status=FixStatus.SHIPPED)
    assert error.value.message_dict["to_status"] == [services.SHIPPED_NEEDS_FIX]


def test_issues_of_another_program_cannot_join(theme, manager, other_program, outsider):
    foreign = issue_services.create_issue(program=other_program, actor=outsider, title="Theirs", level=2)
    with pytest.raises(ValidationError) as error:
        services.add_issues(theme=theme, actor=manager, issues=[foreign])
    assert error.value.message_dict["issues"] == [services.ISSUE_OTHER_PROGRAM % {"title": "Theirs"}]
    assert not ThemeIssue.objects.exists()


def test_adding_twice_adds_once(theme, manager, make_issue):
    issue = make_issue()
    assert services.add_issues(theme=theme, actor=manager, issues=[issue, issue]) == 1
    with pytest.raises(ValidationError) as error:
        services.add_issues(theme=theme, actor=manager, issues=[issue])
    assert error.value.message_dict["issues"] == [services.ALREADY_IN_THEME]
    services.remove_issue(theme=theme, actor=manager, issue=issue)
    assert not ThemeIssue.objects.exists()


def test_impact_and_order_by_impact(program, manager, cause, theme, make_issue):
    small = services.create_theme(program=program, actor=manager, title="Small", root_cause=cause, owner_member=manager)
    services.add_issues(
        theme=theme,
        actor=manager,
        issues=[make_issue(level=5, public=True, customer_name="Ann"), make_issue(level=4, customer_name="Bo")],
    )
    services.add_issues(theme=small, actor=manager, issues=[make_issue(level=1)])
    found = selectors.impact(theme=theme)
    assert (found.issues, found.customers, found.level_sum, found.public) == (2, 2, 9, 1)
    assert [t.title for t in selectors.themes_by_impact(program=program)] == ["Double charges", "Small"]


def test_before_and_after_counts_issues_of_the_root_cause_per_week(theme, manager, cause, make_issue):
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        theme = services.move_fix(theme=theme, actor=manager, to_status=status)
    assert selectors.before_and_after(theme=theme) is not None
    ship = theme.shipped_at
    for days in (-50, -20, -3, -3, 2, 30, 70):
        issue = make_issue()
        issue_services.resolve(issue=issue, actor=manager, resolution="ok", root_cause=cause, lasting_fix_needed=True)
        HotIssue.objects.filter(pk=issue.pk).update(created_at=ship + timedelta(days=days))
    other = make_issue()
    issue_services.resolve(
        issue=other,
        actor=manager,
        resolution="ok",
        **closing(other.program, root_cause=RootCauseFactory(program=other.program)),
    )
    weeks = selectors.before_and_after(theme=theme)
    assert len(weeks) == 16
    assert sum(w.n for w in weeks if w.offset < 0) == 4  # -50, -20, -3, -3
    assert sum(w.n for w in weeks if w.offset >= 0) == 2  # 2, 30 (70 days is past the 8 weeks)
    assert next(w for w in weeks if w.offset == -1).n == 2


def test_before_and_after_is_none_until_shipped(theme):
    assert selectors.before_and_after(theme=theme) is None
    assert theme.created_at <= timezone.now()


def test_joining_and_leaving_a_theme_is_on_each_issues_timeline(theme, manager, member, make_issue):
    one, two = make_issue(title="One"), make_issue(title="Two")
    services.add_issues(theme=theme, actor=member, issues=[one, two])
    for issue in (one, two):
        event = IssueEvent.objects.get(issue=issue, kind=IssueEvent.Kind.THEMED)
        assert event.summary == f"Added to the theme “Double charges” by {display_name(member)}"
        assert event.actor == member
    services.remove_issue(theme=theme, actor=manager, issue=one)
    event = IssueEvent.objects.get(issue=one, kind=IssueEvent.Kind.UNTHEMED)
    assert event.summary == f"Taken out of the theme “Double charges” by {display_name(manager)}"
    assert event.actor == manager
    assert not IssueEvent.objects.filter(issue=two, kind=IssueEvent.Kind.UNTHEMED).exists()
    # Refused: nothing written.
    with pytest.raises(ValidationError):
        services.add_issues(theme=theme, actor=manager, issues=[two])
    with pytest.raises(ValidationError):
        services.remove_issue(theme=theme, actor=manager, issue=one)
    assert IssueEvent.objects.filter(kind__in=[IssueEvent.Kind.THEMED, IssueEvent.Kind.UNTHEMED]).count() == 3


def test_adding_many_issues_takes_as_many_queries_as_adding_two(program, manager, cause, theme, make_issue):
    other = services.create_theme(program=program, actor=manager, title="Other", root_cause=cause, owner_member=manager)
    two = [make_issue(title=f"Two {i}") for i in range(2)]
    many = [make_issue(title=f"Many {i}") for i in range(40)]
    with CaptureQueriesContext(connection) as few:
        assert services.add_issues(theme=theme, actor=manager, issues=two) == 2
    with CaptureQueriesContext(connection) as lots:
        assert services.add_issues(theme=other, actor=manager, issues=many) == 40
    assert len(lots) == len(few), [q["sql"] for q in lots]
    assert IssueEvent.objects.filter(kind=IssueEvent.Kind.THEMED).count() == 42


def test_joining_a_theme_does_not_postpone_an_escalation(theme, manager, make_issue):
    issue = make_issue(level=4)  # untouched for two days escalates
    long_ago = timezone.now() - timedelta(days=3)
    HotIssue.objects.filter(pk=issue.pk).update(created_at=long_ago, first_outreach_due_at=long_ago)
    IssueEvent.objects.filter(issue=issue).update(at=long_ago)
    services.add_issues(theme=theme, actor=manager, issues=[issue])
    services.remove_issue(theme=theme, actor=manager, issue=issue)
    assert background.escalate_untouched() == 1
    assert Escalation.objects.get(issue=issue).touched_at == long_ago


def test_an_issue_that_came_back_or_was_reopened_still_counts_in_its_week(theme, manager, cause, make_issue):
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        theme = services.move_fix(theme=theme, actor=manager, to_status=status)
    received = theme.shipped_at - timedelta(days=3)  # the week before the fix shipped
    came_back, reopened = make_issue(customer_email="ann@example.com"), make_issue()
    for issue in (came_back, reopened):
        issue_services.resolve(issue=issue, actor=manager, resolution="ok", root_cause=cause, lasting_fix_needed=True)
        HotIssue.objects.filter(pk=issue.pk).update(created_at=received)
    came_back.refresh_from_db()
    check = RecoveryCheck.objects.create(
        issue=came_back, resolved_at=came_back.resolved_at, open_until=timezone.now() + timedelta(days=7)
    )
    assert issue_services.record_recovery_answer(issue=came_back, question=check.token, score=1).came_back
    issue_services.reopen(issue=reopened, actor=manager, reason="The customer called again")
    assert HotIssue.objects.filter(pk__in=[came_back.pk, reopened.pk], status="resolved").count() == 0
    weeks = selectors.before_and_after(theme=theme)
    assert next(w for w in weeks if w.offset == -1).n == 2
    assert sum(w.n for w in weeks) == 2
