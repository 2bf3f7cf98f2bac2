"""Journey: a manager connects Zendesk, a signed rating arrives over HTTP, the advocate sees the issue."""

import json

import pytest
from playwright.sync_api import expect

from integrations import mapping, signatures, tasks
from integrations.models import Delivery, Kind, Source
from tests.factories import PASSWORD

from .sources import ZENDESK_SECRET, post, staffed_desk

pytestmark = pytest.mark.django_db(transaction=True)

desk = pytest.fixture(name="desk")(staffed_desk)


def test_a_manager_connects_zendesk_and_a_bad_rating_reaches_the_advocates_log(
    page, browser, live_server, sign_in, desk
):
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/support-desk/")
    page.get_by_role("link", name="Connect a tool").click()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Tool").select_option("zendesk")
    page.get_by_label("Name").fill("Zendesk EU")
    page.get_by_label("Signing secret").fill(ZENDESK_SECRET)
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("heading", name="Steps in Zendesk")).to_be_visible()
    endpoint = page.locator("#endpoint").inner_text()
    source = Source.objects.get()
    assert endpoint == f"{live_server.url}/hooks/{source.public_id}/"

    # Zendesk posts a bad rating, signed; Baton answers before processing it.
    body = json.dumps(mapping.sample(Kind.ZENDESK)).encode()
    assert post(endpoint, body, signatures.sign(kind=Kind.ZENDESK, secret=ZENDESK_SECRET, body=body)) == 202
    # What a worker does with the queued job.
    delivery = Delivery.objects.get()
    assert tasks.process_delivery.apply(args=[delivery.pk]).result == Delivery.Outcome.ISSUE_CREATED

    page.reload()
    expect(page.locator(f"#delivery-{delivery.pk}")).to_contain_text("Issue created")

    advocate = browser.new_context().new_page()
    sign_in(advocate, "dana", PASSWORD)
    advocate.goto(f"{live_server.url}/issues/")
    expect(advocate.locator(".issue-row")).to_have_count(1)
    expect(advocate.locator(".issue-row")).to_contain_text("My order never arrived")
    advocate.context.close()
