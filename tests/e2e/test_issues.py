"""Journeys through the hot-issue log and the customer's public pages."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.models import Membership
from core.models import OutboxMessage
from issues import services, tasks
from issues.models import HotIssue, Status
from rotations.models import Term
from tests.factories import PASSWORD, MembershipFactory, ProgramFactory, root_cause_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk():
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    manager = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="maria").user
    dana = MembershipFactory(program=program, user__username="dana", user__first_name="Dana").user
    now = timezone.now()
    Term.objects.create(
        program=program,
        advocate=dana,
        start_date=(now - timedelta(days=5)).date(),
        end_date=(now + timedelta(days=60)).date(),
        starts_at=now - timedelta(days=5),
        ends_at=now + timedelta(days=60),
        status=Term.Status.ACTIVE,
    )
    return program, manager, dana


def test_advocate_filters_the_log_logs_an_outreach_and_resolves(page, live_server, sign_in, desk):
    program, manager, dana = desk
    root_cause_for(program, "Billing error")
    services.create_issue(program=program, actor=manager, title="Mild annoyance", level=1)
    leaving = services.create_issue(
        program=program, actor=manager, title="Leaving tomorrow", level=5, customer_name="Greta Albers"
    )
    sign_in(page, "dana", PASSWORD)
    page.goto(f"{live_server.url}/issues/")
    assert page.locator(".issue-row").count() == 2

    page.locator("label[for=level-5]").click()
    page.wait_for_url(re.compile(r"level=5"))
    # Locator assertions, not wait_for_function: a string predicate needs eval, which the CSP forbids.
    expect(page.locator(".issue-row")).to_have_count(1)
    assert "Leaving tomorrow" in page.locator(".issue-row").inner_text()

    row = page.locator(f"#issue-{leaving.pk}")
    row.get_by_role("button", name="Outreach").click()
    page.locator(f"#q-outcome-{leaving.pk}").select_option("spoke")
    page.locator(f"#q-note-{leaving.pk}").fill("She accepts a refund.")
    page.locator(f"#issue-{leaving.pk}").get_by_role("button", name="Save outreach").click()
    expect(page.locator(f"#issue-{leaving.pk} .flag-status")).to_contain_text("Contacted")

    page.locator(f"#issue-{leaving.pk} a.title").click()
    page.get_by_role("button", name="Resolve").first.click()
    page.get_by_label("What was done").fill("Refunded in full and apologised.")
    page.get_by_label("Root cause").select_option(label="Billing error")
    page.locator("#resolve").get_by_label("No", exact=True).check()
    page.locator("#resolve").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("networkidle")
    assert "Resolved" in page.locator("h1 + div").inner_text()
    assert "She accepts a refund." in page.locator(".timeline").inner_text()
    leaving.refresh_from_db()
    assert leaving.status == Status.RESOLVED


def test_customer_submits_the_public_form_and_opens_the_tracking_link(page, live_server, desk):
    program, _, _ = desk
    page.goto(f"{live_server.url}/tell-us/{program.slug}/")
    page.get_by_label("In a few words").fill("Parcel <i>lost</i>")
    page.get_by_label("What happened?").fill("My parcel never came <b>and</b> nobody answers.")
    page.get_by_label("Frustrated").check()
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_role("button", name="Send to the advocate").click()
    page.wait_for_load_state("networkidle")
    assert "we have it" in page.content()
    page.get_by_role("link", name="Open").click()
    page.wait_for_load_state("networkidle")
    text = page.locator("main").inner_text()
    assert "Your advocate is Dana" in text
    assert "not contacted yet" in text
    assert "Parcel <i>lost</i>" in text  # the customer's own few words, shown escaped, as typed
    assert HotIssue.objects.get().source == "customer_form"


def test_customer_gets_the_link_by_email_follows_the_history_and_adds_information(page, live_server, sign_in, desk):
    program, _, dana = desk
    page.goto(f"{live_server.url}/tell-us/{program.slug}/")
    page.get_by_label("In a few words").fill("Charged twice at midnight")
    page.get_by_label("What happened?").fill("Two payments for one order.")
    page.get_by_label("Very angry").check()
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_role("button", name="Send to the advocate").click()
    page.wait_for_load_state("networkidle")
    assert "we have it" in page.content()

    # The jobs went to a broker no worker reads here: run them as the worker would.
    for job in OutboxMessage.objects.filter(task_name="issues.tasks.send_tracking_links"):
        tasks.send_tracking_links(*job.args)
    [sent] = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    link = re.search(r"Your advocate is Dana; here is your link: (\S+)", sent.body).group(1)
    page.goto(live_server.url + urlparse(link).path)
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Charged twice at midnight")
    history = page.locator("#history")
    expect(history).to_contain_text("We received your message")

    page.get_by_label("Add information").fill("The second payment was on my Visa ending 4242.")
    page.get_by_role("button", name="Send to Dana").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#history")).to_contain_text("You added information")
    expect(page.locator("#history")).to_contain_text("Visa ending 4242")

    issue = HotIssue.objects.get()
    assert issue.owner == dana and issue.title == "Charged twice at midnight"
    page.context.clear_cookies()
    sign_in(page, "dana", PASSWORD)
    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("The customer added information")
    expect(timeline).to_contain_text("Visa ending 4242")
