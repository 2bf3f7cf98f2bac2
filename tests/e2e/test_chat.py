"""Journey: a manager connects Zendesk and a Slack channel; a bad rating arrives; a worker makes it a level 4
issue, the advocate sees it in the log, and the (fake) Slack channel receives the message."""

import json

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from config.celery import app
from integrations import mapping, signatures
from integrations.models import Channel, ChannelMessage, Delivery, Kind
from issues.models import HotIssue
from tests.factories import PASSWORD
from tests.waiting import wait_for

from .sources import ZENDESK_SECRET, post, staffed_desk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

desk = pytest.fixture(name="desk")(staffed_desk)


def test_a_bad_zendesk_rating_reaches_the_log_and_the_slack_channel(
    page, browser, live_server, sign_in, desk, chat_server, worker_queues
):
    sign_in(page, "maria", PASSWORD)
    # Zendesk, with bad ratings at level 4.
    page.goto(f"{live_server.url}/programs/support-desk/")
    page.get_by_role("link", name="Connect a tool").click()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Tool").select_option("zendesk")
    page.get_by_label("Name").fill("Zendesk EU")
    page.get_by_label("Signing secret").fill(ZENDESK_SECRET)
    page.get_by_role("button", name="Add source").click()
    endpoint = page.locator("#endpoint").inner_text()
    page.get_by_role("link", name="Edit mapping").click()
    page.get_by_label("Level of a bad rating").select_option("4")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    # A Slack channel that hears of new level 4–5 issues.
    page.goto(f"{live_server.url}/programs/support-desk/")
    page.get_by_role("link", name="Connect a channel").click()
    page.get_by_role("link", name="Add a channel").click()
    expect(page.get_by_text("Add New Webhook to Workspace")).to_be_visible()
    page.get_by_label("Tool").select_option("slack")
    page.get_by_label("Name").fill("#support-escalations")
    page.get_by_label("Webhook address").fill(chat_server.url("/slack/journey"))
    expect(page.get_by_label("A new issue at level 4 or 5")).to_be_checked()
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("heading", name="#support-escalations")).to_be_visible()
    assert Channel.objects.get().on_new_angry

    with start_worker(app, pool="solo", perform_ping_check=False, queues=worker_queues, shutdown_timeout=10):
        # Zendesk posts a bad rating, signed; a worker turns it into an issue, then posts it to Slack.
        body = json.dumps(mapping.sample(Kind.ZENDESK)).encode()
        assert post(endpoint, body, signatures.sign(kind=Kind.ZENDESK, secret=ZENDESK_SECRET, body=body)) == 202
        assert wait_for(lambda: Delivery.objects.filter(outcome=Delivery.Outcome.ISSUE_CREATED).exists())
        assert wait_for(lambda: ChannelMessage.objects.filter(state=ChannelMessage.State.SENT).exists())

    issue = HotIssue.objects.get()
    assert issue.level == 4
    (hit,) = chat_server.received("/slack/journey")
    assert hit.body["blocks"][0]["text"]["text"] == f"Hostile customer: {issue.title}"
    assert hit.body["blocks"][-1]["elements"][0]["url"].endswith(f"/issues/{issue.pk}/")
    assert issue.customer.email and issue.customer.email not in json.dumps(hit.body)

    advocate = browser.new_context().new_page()
    sign_in(advocate, "dana", PASSWORD)
    advocate.goto(f"{live_server.url}/issues/")
    expect(advocate.locator(".issue-row")).to_have_count(1)
    expect(advocate.locator(".issue-row")).to_contain_text(issue.title)
    advocate.context.close()

    # The manager sees the message went out.
    page.goto(f"{live_server.url}{Channel.objects.get().get_absolute_url()}")
    expect(page.locator("#message-" + str(ChannelMessage.objects.get().pk))).to_contain_text("Sent")
