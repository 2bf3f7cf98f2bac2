"""Theme pages: list, page, forms; the issue page's panel and the log's "add to theme"."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from advocacy.selectors import display_name
from issues import services as issue_services
from themes import services
from themes.models import FixStatus, Theme, ThemeIssue
from themes.services import TITLE_REQUIRED

pytestmark = pytest.mark.django_db


def test_list_and_page_show_the_theme_to_members(client_for, member, theme, make_issue, manager):
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(level=5, customer_name="Ann")])
    client = client_for(member)
    body = client.get(reverse("themes:list", args=[theme.program.slug])).content.decode()
    assert "Double charges" in body and "New theme" not in body
    page = client.get(theme.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Invoice charged twice" in text and "Move the fix along" not in text


def test_manager_creates_edits_and_moves_through_the_pages(client_for, manager, program, cause):
    client = client_for(manager)
    response = client.post(
        reverse("themes:create", args=[program.slug]),
        {"title": "Late parcels", "root_cause": cause.pk, "owner_member": manager.pk, "fix": "A second carrier."},
    )
    theme = Theme.objects.get(title="Late parcels")
    assert response.status_code == 302 and response.url == theme.get_absolute_url()
    edit = reverse("themes:edit", args=[program.slug, theme.pk])
    response = client.post(edit, {"title": "", "root_cause": cause.pk, "owner_member": manager.pk})
    assert response.status_code == 400 and escape(TITLE_REQUIRED) in response.content.decode()
    assert Theme.objects.get(pk=theme.pk).title == "Late parcels"
    move = reverse("themes:move", args=[program.slug, theme.pk])
    response = client.post(move, {"to_status": "checked"})
    assert response.status_code == 400 and "can move to “Agreed”" in response.content.decode()
    assert client.post(move, {"to_status": "agreed", "note": "Board said yes"}).status_code == 302
    theme.refresh_from_db()
    assert theme.fix_status == FixStatus.AGREED
    assert "Board said yes" in client.get(theme.get_absolute_url()).content.decode()


def test_issue_page_panel_adds_the_issue_and_prompts_after_a_close(client_for, member, theme, make_issue, manager):
    issue = make_issue()
    client = client_for(member)
    body = client.get(issue.get_absolute_url()).content.decode()
    assert 'data-testid="issue-themes"' in body and "Double charges" in body
    response = client.post(reverse("themes:add_from_issue", args=[issue.pk]), {"theme": theme.pk})
    assert response.status_code == 302 and ThemeIssue.objects.filter(theme=theme, issue=issue).exists()
    other = make_issue(title="Another")
    issue_services.resolve(
        issue=other, actor=manager, resolution="ok", root_cause=theme.root_cause, lasting_fix_needed=True
    )
    assert "A lasting fix is needed" in client.get(other.get_absolute_url()).content.decode()


def test_issue_of_another_program_cannot_join_from_its_page(client_for, theme, other_program, outsider):
    foreign = issue_services.create_issue(program=other_program, actor=outsider, title="Theirs", level=2)
    response = client_for(outsider).post(reverse("themes:add_from_issue", args=[foreign.pk]), {"theme": theme.pk})
    assert response.status_code == 302 and not ThemeIssue.objects.exists()


def test_log_selects_several_and_adds_them(client_for, member, theme, make_issue, other_program, outsider):
    one, two = make_issue(title="One"), make_issue(title="Two")
    client = client_for(member)
    log = client.get(reverse("issues:log")).content.decode()
    assert 'form="log-select"' in log and 'data-testid="log-add-to-theme"' in log
    response = client.post(
        reverse("themes:add_from_log"),
        {"theme": theme.pk, "issues": [one.pk, two.pk], "next": "/issues/?level=3"},
    )
    assert response.status_code == 302 and response.url == "/issues/?level=3"
    assert ThemeIssue.objects.filter(theme=theme).count() == 2
    # Nothing chosen, or a foreign site as the way back: a message, and back to the log.
    response = client.post(reverse("themes:add_from_log"), {"theme": theme.pk, "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/issues/"
    foreign = issue_services.create_issue(program=other_program, actor=outsider, title="Theirs", level=2)
    client_for(outsider).post(reverse("themes:add_from_log"), {"theme": theme.pk, "issues": [foreign.pk]})
    assert not ThemeIssue.objects.filter(issue=foreign).exists()


def test_theme_page_queries_do_not_grow_with_its_issues(client_for, manager, theme, make_issue):
    client = client_for(manager)
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(customer_name=f"C{i}") for i in range(3)])
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        services.move_fix(theme=theme, actor=manager, to_status=status)
    pages = [theme.get_absolute_url(), reverse("themes:list", args=[theme.program.slug])]

    def counted() -> list[int]:
        found = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counted()
    three = counted()
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(customer_name=f"D{i}") for i in range(27)])
    thirty = counted()
    with CaptureQueriesContext(connection) as second_page:
        response = client.get(theme.get_absolute_url(), {"page": "2"})
    assert response.status_code == 200 and "Page 2 of 2" in response.content.decode()
    assert thirty == three and len(second_page) == three[0], (three, thirty, len(second_page))


def test_brief_leads_with_the_open_themes_and_health_counts_them(client_for, manager, theme, make_issue):
    services.add_issues(theme=theme, actor=manager, issues=[make_issue(level=5)])
    client = client_for(manager)
    brief = client.get(reverse("insights:brief", args=[theme.program.slug])).content.decode()
    assert 'data-testid="brief-themes"' in brief and "Double charges" in brief
    assert brief.index("brief-themes") < brief.index("top-heading")
    health = client.get(reverse("insights:health", args=[theme.program.slug])).content.decode()
    assert 'data-testid="health-themes"' in health and "Proposed</span> <strong>1</strong>" in health


def test_company_view_lists_themes_across_programs(client, theme):
    from tests.test_access_matrix import company_lead

    client.force_login(company_lead())
    body = client.get(reverse("insights:company_themes")).content.decode()
    assert "Double charges" in body and theme.program.name in body


def test_term_report_lists_themes_the_advocate_raised_or_moved(program, cause, advocate, term, manager):
    from datetime import timedelta

    from django.utils import timezone

    from insights.models import TermReport
    from insights.reports import shown_figures, term_figures

    raised = services.create_theme(
        program=program, actor=advocate, title="Late parcels", root_cause=cause, owner_member=advocate, fix="Carrier."
    )
    services.move_fix(theme=raised, actor=advocate, to_status=FixStatus.AGREED)
    services.create_theme(program=program, actor=manager, title="Not theirs", root_cause=cause, owner_member=manager)
    term.ends_at = timezone.now() + timedelta(minutes=1)
    figures = term_figures(term=term)
    assert figures["themes"] == [{"title": "Late parcels", "raised": True, "moves": ["Agreed"]}]
    frozen = TermReport(term=term, program=program, advocate=advocate, figures={"version": 2, "received": 1})
    assert "themes" not in shown_figures(frozen)


def test_issue_and_customer_pages_show_joining_and_leaving_a_theme(client_for, member, theme, make_issue):
    issue = make_issue(customer_name="Ann", customer_email="ann@example.com")
    client = client_for(member)
    client.post(reverse("themes:add_from_issue", args=[issue.pk]), {"theme": theme.pk})
    client.post(reverse("themes:remove_issue", args=[theme.program.slug, theme.pk, issue.pk]))
    page = client.get(issue.get_absolute_url()).content.decode()
    customer = client.get(issue.customer.get_absolute_url()).content.decode()
    name = display_name(member)
    for body in (page, customer):
        assert 'class="dot themed"' in body and f"Added to the theme “Double charges” by {name}" in body
        assert 'class="dot unthemed"' in body and f"Taken out of the theme “Double charges” by {name}" in body


def test_theme_list_queries_do_not_grow_with_its_themes(client_for, manager, program, cause, make_issue):
    client = client_for(manager)
    url = reverse("themes:list", args=[program.slug])

    def add_themes(n: int) -> None:
        for i in range(n):
            theme = services.create_theme(
                program=program, actor=manager, title=f"Theme {i}", root_cause=cause, owner_member=manager
            )
            services.add_issues(theme=theme, actor=manager, issues=[make_issue(customer_name=f"T{i}")])

    add_themes(3)
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    add_themes(20)
    with CaptureQueriesContext(connection) as twenty_three:
        assert client.get(url).status_code == 200
    assert len(twenty_three) == len(three), [q["sql"] for q in twenty_three]
