"""Journeys in headless Chromium: an advocate opens their term report and writes a reflection;
a manager recognizes a champion; the report prints as a clean page."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from advocacy.models import Membership, Notification
from insights import reports
from insights.models import Recognition
from rotations.models import Term
from tests.factories import PASSWORD, MembershipFactory, ProgramFactory, TermFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def team():
    program = ProgramFactory(name="Support Desk", slug="support-desk", time_zone="Europe/Berlin", term_months=3)
    maria = MembershipFactory(
        program=program, role=Membership.Role.MANAGER, user__username="maria", user__first_name="Maria"
    ).user
    sam = MembershipFactory(program=program, user__username="sam", user__first_name="Sam").user
    leo = MembershipFactory(program=program, user__username="leo", user__first_name="Leo").user
    term = TermFactory(program=program, advocate=sam, start_date=date(2025, 1, 1), status=Term.Status.COMPLETED)
    Term.objects.filter(pk=term.pk).update(declaration="No customer waits more than a day.")
    report = reports.build_term_report(term=term)
    return program, maria, sam, leo, report


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def test_advocate_opens_the_report_from_the_notification_and_reflects(page, sign_in, live_server, team):
    program, maria, sam, leo, report = team
    sign_in(page, "sam", PASSWORD)
    page.get_by_role("link", name="My page").click()
    expect(page.get_by_role("heading", name="My page")).to_be_visible()
    expect(page.get_by_text("Your Support Desk term report is ready")).to_be_visible()
    page.get_by_role("link", name="Support Desk · 1 Jan 2025 – 31 Mar 2025").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 Jan 2025 – 31 Mar 2025")
    expect(page.get_by_text("No customer waits more than a day.")).to_be_visible()
    shot(page, "insights-report-before.png")

    page.get_by_role("link", name="Write my reflection").click()
    assert not axe_violations(page)
    page.get_by_label("Has courage").fill("Raised the refund rule in the March planning meeting.")
    # The browser stops a note at the limit (the server's own refusal is tested with the test client).
    assert page.get_by_label("Says thanks often").get_attribute("maxlength") == str(reports.REFLECTION_MAX)
    page.get_by_label("Says thanks often").fill("Thanked Leo in public, twice.")
    page.get_by_role("button", name="Save my reflection").click()
    expect(page.get_by_text("Reflection saved.")).to_be_visible()
    expect(page.get_by_text("Thanked Leo in public, twice.")).to_be_visible()
    shot(page, "insights-report-reflected.png")
    report.refresh_from_db()
    assert set(report.reflection.values()) == {
        "Raised the refund rule in the March planning meeting.",
        "Thanked Leo in public, twice.",
    }

    # Printed, the report is the report alone: no navigation, buttons or forms.
    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert not page.get_by_role("button", name="Print or save as PDF").is_visible()
    expect(page.get_by_role("heading", name="The term in numbers")).to_be_visible()
    page.emulate_media(media="screen")


def test_manager_recognizes_a_champion_who_is_told(page, sign_in, live_server, team):
    program, maria, sam, leo, report = team
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/support-desk/")
    page.get_by_role("link", name="Recognition").click()
    expect(page.get_by_role("heading", name="Champions of Support Desk's customers")).to_be_visible()
    page.get_by_role("combobox", name="Recognize").select_option(value=str(sam.pk))
    page.get_by_label("For the term").select_option(index=1)
    page.get_by_label("Note").fill("Four customers back to happy in one quarter.")
    page.get_by_role("button", name="Recognize").click()
    expect(page.get_by_text("has been recognized and told.")).to_be_visible()
    expect(page.locator(".recognition")).to_contain_text("Four customers back to happy in one quarter.")
    shot(page, "insights-recognition.png")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "insights-recognition-phone.png")
    assert Recognition.objects.get().term == report.term
    assert Notification.objects.filter(user=sam, kind="recognition").count() == 1
