"""Theme reads: the impact stays equal to the issues underneath (copied onto the links by triggers),
the list orders by it, and a theme's issues page through in the order they were added."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from issues import services as issue_services
from issues.models import Customer, HotIssue
from issues.services import merge_customers
from themes import selectors, services
from themes.models import FixStatus, Theme, ThemeIssue

pytestmark = pytest.mark.django_db


def _figures(theme: Theme) -> tuple:
    found = selectors.impact(theme=theme)
    listed = next(t for t in selectors.themes_by_impact(program=theme.program, open_only=False) if t.pk == theme.pk)
    # The theme's page and the list agree, and both agree with the issues themselves.
    issues = HotIssue.objects.filter(theme_links__theme=theme)
    truth = (
        issues.count(),
        issues.exclude(customer=None).values("customer").distinct().count(),
        sum(issues.values_list("level", flat=True)),
        issues.filter(public=True).count(),
        max(issues.values_list("created_at", flat=True), default=None),
    )
    figures = (found.issues, found.customers, found.level_sum, found.public, found.latest_at)
    assert (listed.issue_count, listed.customer_count, listed.level_sum, listed.public_count, listed.latest_at) == (
        figures
    )
    assert figures == truth
    return figures[:4]


def test_impact_follows_level_publicity_received_merge_and_deletion(theme, manager, make_issue):
    ann = make_issue(level=2, customer_name="Ann", customer_email="ann@example.com")
    ann_again = make_issue(level=3, customer_name="Ann B.", customer_email="ann.b@example.com")
    bo = make_issue(level=4, customer_name="Bo", customer_email="bo@example.com")
    services.add_issues(theme=theme, actor=manager, issues=[ann, ann_again, bo])
    assert _figures(theme) == (3, 3, 9, 0)

    bo.level = 5  # a whole-row save, as the admin does
    bo.save()
    HotIssue.objects.filter(pk=ann.pk).update(public=True, created_at=timezone.now() + timedelta(hours=1))
    assert _figures(theme) == (3, 3, 10, 1)

    merge_customers(kept=ann.customer, merged=ann_again.customer, actor=manager)
    assert _figures(theme) == (3, 2, 10, 1)

    bo.delete()
    assert _figures(theme) == (2, 1, 5, 1)

    Customer.objects.filter(pk=ann.customer_id).delete()  # its issues keep no customer
    assert _figures(theme) == (2, 0, 5, 1)


def test_links_written_outside_the_service_copy_their_issue(theme, manager, make_issue):
    issue = make_issue(level=5, public=True, customer_name="Cy")
    ThemeIssue.objects.bulk_create([ThemeIssue(theme=theme, issue=issue, added_by=manager)])
    link = ThemeIssue.objects.get()
    assert (link.issue_level, link.issue_public, link.issue_customer_id, link.issue_created_at) == (
        5,
        True,
        issue.customer_id,
        issue.created_at,
    )
    # A copy written by hand is put back to what the issue says.
    ThemeIssue.objects.update(issue_level=1, issue_public=False)
    link.refresh_from_db()
    assert (link.issue_level, link.issue_public) == (5, True)


def test_themes_without_issues_come_after_those_that_hurt(program, manager, cause, theme, make_issue):
    services.create_theme(program=program, actor=manager, title="Empty", root_cause=cause, owner_member=manager)
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(level=1)])
    listed = list(selectors.themes_by_impact(program=program))
    assert [t.title for t in listed] == ["Double charges", "Empty"]
    assert (listed[1].issue_count, listed[1].customer_count, listed[1].level_sum, listed[1].latest_at) == (
        0,
        0,
        0,
        None,
    )


def test_theme_issues_page_in_the_order_they_were_added(theme, manager, make_issue):
    issues = [make_issue(title=f"Issue {i}") for i in range(7)]
    services.add_issues(theme=theme, actor=manager, issues=issues)
    now = timezone.now()
    for i, issue in enumerate(issues):
        ThemeIssue.objects.filter(issue=issue).update(added_at=now - timedelta(minutes=i % 3))
    expected = list(
        ThemeIssue.objects.filter(theme=theme).order_by("-added_at", "-id").values_list("issue__title", flat=True)
    )
    found = selectors.theme_issues(theme=theme)
    pages = [found[0:3], found[3:6], found[6:9]]
    assert [issue.title for page in pages for issue in page] == expected
    assert found.count() == 7


def test_weekly_counts_agree_on_both_paths_at_the_week_edges(theme, manager, cause, make_issue):
    """PostgreSQL counts by width_bucket; other databases (SQLite) by the ORM's filtered counts."""
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        theme = services.move_fix(theme=theme, actor=manager, to_status=status)
    ship = theme.shipped_at
    at = [
        -timedelta(weeks=8),  # the first week's first moment
        -timedelta(weeks=8, microseconds=1),  # just before: not counted
        -timedelta(microseconds=1),  # the last moment before the ship week
        timedelta(0),  # the ship week's first moment
        timedelta(weeks=3, days=2),
        timedelta(weeks=8, microseconds=-1),  # the last week's last moment
        timedelta(weeks=8),  # past the last week
    ]
    for delta in at:
        issue = make_issue()
        issue_services.resolve(issue=issue, actor=manager, resolution="ok", root_cause=cause, lasting_fix_needed=True)
        HotIssue.objects.filter(pk=issue.pk).update(created_at=ship + delta)
    bounds = [ship + timedelta(weeks=i) for i in range(-8, 9)]
    expected = [1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1]
    assert selectors.weekly_counts(theme=theme, bounds=bounds) == expected
    assert selectors.weekly_counts_sql(theme=theme, bounds=bounds) == expected
    assert [w.n for w in selectors.before_and_after(theme=theme)] == expected


def test_the_admin_shows_the_kept_impact_and_a_new_theme_starts_at_nothing(
    admin_client, program, manager, cause, theme, make_issue
):
    empty = services.create_theme(
        program=program, actor=manager, title="Nothing yet", root_cause=cause, owner_member=manager
    )
    assert _figures(empty) == (0, 0, 0, 0)
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(level=4, customer_name="Di", public=True)])
    page = admin_client.get("/admin/themes/theme/").content.decode()
    assert "1 issue · 1 customer · dissatisfaction 4 · 1 public" in page
    assert "0 issues · 0 customers · dissatisfaction 0 · 0 public" in page
    detail = admin_client.get(f"/admin/themes/theme/{theme.pk}/change/").content.decode()
    assert "Impact (kept by the database)" in detail


def test_theme_of_gives_the_models_and_impact_the_orm_gives(
    program, manager, cause, theme, make_issue, django_assert_num_queries
):
    """PostgreSQL reads a theme's page lookup by SQL written out; it must match the ORM's select_related."""
    from issues.models import Department

    services.add_issues(theme=theme, actor=manager, issues=[make_issue(level=5, customer_name="Ed", public=True)])
    billing = Department.objects.create(program=program, name="Billing")
    by_department = services.create_theme(
        program=program, actor=manager, title="Refunds late", root_cause=cause, owner_department=billing
    )
    for made in (theme, by_department):
        with django_assert_num_queries(1):
            found = selectors.theme_of(program=program, pk=made.pk)
        expected = selectors._with_impact(
            Theme.objects.select_related("root_cause", "owner_department", "owner_member")
        ).get(pk=made.pk)
        for part in (None, "root_cause", "owner_department", "owner_member"):
            got, want = (found, expected) if part is None else (getattr(found, part), getattr(expected, part))
            if want is None:
                assert got is None, part
                continue
            fields = type(want)._meta.concrete_fields
            assert [getattr(got, f.attname) for f in fields] == [getattr(want, f.attname) for f in fields], part
        names = ("issue_count", "customer_count", "level_sum", "public_count", "latest_at")
        assert [getattr(found, n) for n in names] == [getattr(expected, n) for n in names]
    assert selectors.impact(theme=selectors.theme_of(program=program, pk=theme.pk)).issues == 1
    with pytest.raises(Http404):
        selectors.theme_of(program=program, pk=by_department.pk + 1000)
