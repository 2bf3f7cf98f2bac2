"""Journey: a customer-experience lead opens the company view from My page, filters the log by program, opens one issue."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.models import Membership
from rotations.models import Term
from tests.factories import PASSWORD, HotIssueFactory, MembershipFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def company():
    now = timezone.now()
    for name, slug, advocate_name, issue in [
        ("Support Desk", "support-desk", "Dana", "Charged twice for the plan"),
        ("Web Shop", "web-shop", "Aisha", "Parcel never arrived"),
    ]:
        program = ProgramFactory(name=name, slug=slug)
        MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username=f"boss-{slug}")
        advocate = MembershipFactory(
            program=program, user__username=advocate_name.lower(), user__first_name=advocate_name
        )
        Term.objects.create(
            program=program,
            advocate=advocate.user,
            start_date=(now - timedelta(days=5)).date(),
            end_date=(now + timedelta(days=85)).date(),
            starts_at=now - timedelta(days=5),
            ends_at=now + timedelta(days=85),
        )
        HotIssueFactory(program=program, owner=advocate.user, title=issue, level=5, created_at=now - timedelta(hours=3))
    leads = Group.objects.create(name="Customer-experience leads")
    leads.permissions.add(Permission.objects.get(codename="view_company"))
    lead = UserFactory(username="lena", first_name="Lena")
    lead.groups.add(leads)
    return lead


def test_a_lead_opens_the_company_view(page, live_server, sign_in, company):
    sign_in(page, "lena", PASSWORD)
    page.goto(f"{live_server.url}/me/")
    page.get_by_role("link", name="Company view").click()
    directory = page.get_by_test_id("company-directory")
    expect(directory).to_contain_text("Support Desk")
    expect(directory).to_contain_text("Dana")
    expect(directory).to_contain_text("Aisha")

    page.get_by_role("link", name="Health").click()
    expect(page.get_by_test_id("company-health")).to_contain_text("Web Shop")

    page.get_by_role("link", name="Hot issues", exact=True).last.click()
    expect(page.locator("#log-results")).to_contain_text("Charged twice for the plan")
    expect(page.locator("#log-results")).to_contain_text("Parcel never arrived")
    # Owners are listed once a program is chosen (its people, not every program's).
    expect(page.get_by_test_id("owner-after-program")).to_be_visible()
    page.get_by_label("Program").select_option("web-shop")
    expect(page.get_by_label("Owner")).to_contain_text("Aisha")
    expect(page.locator("#log-results")).not_to_contain_text("Charged twice for the plan")
    expect(page.locator("#log-results")).to_contain_text("Parcel never arrived")
    assert "program=web-shop" in page.url

    # One issue, read-only, and back to the log by the breadcrumb.
    page.get_by_role("link", name="Parcel never arrived").click()
    expect(page.get_by_role("heading", name="Parcel never arrived")).to_be_visible()
    expect(page.get_by_test_id("read-only-note")).to_contain_text("Web Shop's people work this issue")
    expect(page.locator("main form")).to_have_count(0)
    page.get_by_role("link", name="Every program's hot issues").click()
    expect(page.locator("#log-results")).to_contain_text("Charged twice for the plan")
