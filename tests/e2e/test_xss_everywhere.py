"""Every free-text field of every model filled with XSS payloads; every page opened in Chromium.

Generated from the access matrix and the models, so new pages and new text
fields are covered without anyone remembering to add them. The CSP is
bypassed so the test checks the escaping itself.

Every field gets, whole, a payload that runs by itself on load if the field is
rendered unescaped (its alert names the field), then where it fits one of the
corpus's other payloads. A field too short for any firing payload fails the test
rather than getting a truncated, harmless one. And every field must show on
some page (or be listed in NOT_SHOWN with the reason), since a payload in a
field no page renders proves nothing.
"""

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from tests.e2e.signin import sign_in_through_page
from tests.e2e.test_accessibility import OTHER_STATES
from tests.e2e.xss_corpus import FIRING, OTHER, SHORT
from tests.test_access_matrix import ACCESS, World

APPS = ("advocacy", "rotations", "issues", "themes", "insights", "integrations", "auth")
# Fields that are identifiers, secrets or machine values rather than text people type.
NOT_TEXT = {
    "username",
    "password",
    "slug",
    "token",
    "time_zone",
    "dedupe_key",
    "task_name",
    "kind",
    "url",
    "email",
    "entry_id",
    "etag",
    "last_modified",
    "last_error",
    "codename",
    "content_type",
    "search_vector",
    "phone",
    "link",
    "source_link",
    "feed_url",
    "address",
    "ip_address",
    "filename",
    "key",
    "ip",
    "history_type",
    # A status value the counts trigger copies from an issue (issues.OpenIssueCount): never typed.
    "status",
}
VIEWERS = ("manager", "member", "advocate", "superuser", "anonymous")
# Not HTML: redirects, the health check, a CSV download. The htmx fragments (an issue's history, its
# action forms) are opened directly: they are HTML too, and the history shows only when toggled open.
NOT_PAGES = {"logout", "health", "home", "issues:export"}
# Text no page shows, so no page can let it run: checked, so that a field the gate never renders is a decision.
NOT_SHOWN = {
    "auth.Permission.name": "Django admin only",
    "advocacy.RoleDescriptionVersion.change_note": "Django admin only",
    "issues.ImportJob.content": "the uploaded CSV, read by the import, never displayed",
    "issues.MentionFeed.modified": "the feed server's Last-Modified header, sent back to it",
    # Why the mail server refused the last try; the admins' in-app notice quotes it (test_notifications).
    "advocacy.Notification.email_error": "Django admin only",
    "advocacy.Invitation.email_error": "Django admin only (the members page says only that it is not delivered yet)",
    "advocacy.Invitation.nonce": "part of the invitation link's secret, never displayed",
    "issues.HotIssue.satisfaction_ask_error": "Django admin only",
    "issues.HistoricalHotIssue.satisfaction_ask_error": "Django admin only",
    "issues.RecoveryCheck.email_error": "Django admin only",
    # The issue's timeline shows the event each of these wrote (its detail, a field filled itself).
    "issues.Outreach.note": "shown as the outreach event's detail",
    "issues.Transfer.reason": "shown as the transfer event's detail",
    # Shared secrets: shown once, from the session, right after Baton made them; never read back from the row.
    "integrations.Source.secret": "shown once when made, never from the database",
    "integrations.Source.previous_secret": "never shown",
    # A mail's envelope and its deduplication key: read by the rules, listed in the Django admin only.
    "integrations.Mail.recipient": "Django admin only (the page shows the program's own address)",
    "integrations.Mail.envelope_sender": "Django admin only",
    "integrations.Mail.dedupe_key": "Django admin only",
}

pytestmark = pytest.mark.django_db(transaction=True)


def text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not isinstance(f, models.SlugField | models.EmailField | models.URLField)
        and not f.choices
        and not f.unique
        and f.name not in NOT_TEXT
        and not f.name.endswith(("_token", "_key"))
    ]


@dataclass
class Filled:
    field: str  # app_label.Model.field
    marker: str  # what its alert says: f<number>, or "" for the short payload
    value: str


def marked(payload: str, marker: str) -> str:
    """The payload with its alert text naming the field: alert('xss-3') becomes alert('f7')."""
    return re.sub(r"xss-\d+", marker, payload)


def payload_for(field: models.Field, number: int) -> tuple[str, str]:
    """Return (marker, value): a firing payload, stored whole, and another of the corpus if it still fits.

    Both payloads' alerts say the marker, which names the field in a failure.
    """
    marker = f"f{number}"
    limit = field.max_length or 10**6
    firing = [marked(p, marker) for p in itertools.islice(itertools.cycle(FIRING), number, number + len(FIRING))]
    fits = [p for p in firing if len(p) <= limit]
    if fits:
        value = fits[0]
    else:
        short = [p for p in SHORT if len(p) <= limit]
        assert short, f"No firing payload fits {field.model._meta.label}.{field.name} ({limit} characters): add one"
        marker, value = "", short[0]
    extra = marked(OTHER[number % len(OTHER)], marker or "xss")
    if len(value) + 1 + len(extra) <= limit:
        value = f"{value} {extra}"
    return marker, value


def add_what_the_world_lacks(world) -> None:
    """Give the world the rows some text fields live in, where its people's pages show them."""
    from django.utils import timezone

    from advocacy.models import ThanksNote
    from insights import services as insights_services
    from issues import services as issue_services
    from issues.models import Outreach
    from rotations import services as rotation_services
    from tests.factories import DepartmentFactory
    from tests.test_access_matrix import insights_world, integrations_world, themes_world
    from themes import services as theme_services

    manager, member = world.users["manager"], world.users["member"]
    ThanksNote.objects.create(program=world.program, sender=member, recipient=manager, message="Thanks.")
    issue_services.log_outreach(
        issue=world.issue, actor=manager, channel=Outreach.Channel.PHONE, outcome=Outreach.Outcome.LEFT_MESSAGE
    )
    issue_services.transfer_issue(
        issue=world.issue,
        actor=manager,
        reason="Billing owns this.",
        to_department=DepartmentFactory(program=world.program),
    )
    # A duplicate customer merged into the issue's: the merge (and the merged record's name) shows on the customer's page.
    duplicate = issue_services.create_issue(
        program=world.program, actor=manager, title="Charged again", level=5, customer_name="Jo Duplicate"
    )
    issue_services.merge_customers(kept=world.issue.customer, merged=duplicate.customer, actor=manager)
    # A step of the theme's fix, with its note, shows in the fix's history on the theme page.
    theme_services.move_fix(theme=themes_world(world), actor=manager, to_status="agreed", note="Agreed by the board.")
    # What a customer adds on the tracking page shows there, on the issue's timeline and in the owner's notices.
    issue_services.add_customer_note(issue=world.issue, text="My order number is 4711.")
    insights_services.answer_question(question=insights_world(world)["question"], actor=manager, answer="Finance.")
    # A week long, so it is "upcoming" in every program zone whatever the time of day (near midnight
    # UTC a one-day leave is already over in a zone east of UTC).
    today = timezone.localdate()
    rotation_services.record_leave(user=manager, first_day=today, last_day=today + timedelta(days=7))
    # A processed delivery, whose reason and event id show in the source's delivery list.
    from integrations.models import Delivery

    Delivery.objects.create(
        source=integrations_world(world)["source"],
        outcome="issue_created",
        reason="Rated",
        event_id="e1",
        issue=world.issue,
    )
    # A chat channel whose address went away (its reason shows on its page) with a message in its list.
    from integrations.models import Channel, ChannelMessage
    from tests.test_access_matrix import chat_world

    channel = chat_world(world)["channel"]
    ChannelMessage.objects.create(channel=channel, event="test", key="k", summary="Test message")
    Channel.objects.filter(pk=channel.pk).update(state=Channel.State.DISABLED, disabled_reason="Gone.")

    # A forwarded e-mail that arrived: its subject, sender and outcome show in the program's list of mails
    # (the issue it made carries the customer's words, which the issue's own fields cover).
    from integrations.models import Mail
    from tests.test_access_matrix import _mail_in

    _mail_in(world)
    Mail.objects.create(
        mail_in=world.program.mail_in,
        via="smtp",
        sender="carla@customer.test",
        subject="Late order",
        outcome="issue_created",
        reason="From carla@customer.test.",
        issue=world.issue,
    )


def _rows(model):
    """All rows; of a history, only each object's latest version, so the history page shows a change."""
    rows = model._default_manager.all()
    if hasattr(model, "history_id") and hasattr(model, "instance_type"):
        latest = rows.values("id").annotate(last=models.Max("history_id")).values("last")
        rows = rows.filter(history_id__in=latest)
    return rows


def fill_with_payloads() -> list[Filled]:
    """Overwrite every free-text value in the database with payloads; return what went where."""
    filled: list[Filled] = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model._meta.proxy or not model._meta.managed:
            continue
        for field in text_fields(model):
            marker, value = payload_for(field, len(filled))
            _rows(model).update(**{field.name: value})
            filled.append(Filled(f"{model._meta.label}.{field.name}", marker, value))
    return filled


def test_every_field_gets_a_whole_firing_payload():
    """Checked without a browser: the payloads that fire are stored whole, in every field."""
    fields = [
        f
        for m in apps.get_models()
        if m._meta.app_label in APPS and not m._meta.proxy and m._meta.managed
        for f in text_fields(m)
    ]
    assert len(fields) > 30
    for number, field in enumerate(fields):
        marker, value = payload_for(field, number)
        assert any(value.startswith(marked(p, marker)) for p in FIRING + SHORT), (field, value)
        assert field.max_length is None or len(value) <= field.max_length
    # Every firing payload is used, and so is every other one.
    used = [payload_for(f, n)[1] for n, f in enumerate(fields)]
    assert all(any(marked(p, f"f{n}") in v for n, v in enumerate(used)) for p in FIRING)
    assert all(any(marked(p, f"f{n}") in v for n, v in enumerate(used)) for p in OTHER)


# Where a template may put a value; the payloads must break out of each when written unescaped.
CONTEXTS = {
    "body": "<div>{}</div>",
    "double-quoted attribute": '<div title="{}">x</div>',
    "single-quoted attribute": "<div title='{}'>x</div>",
    "textarea": "<textarea>{}</textarea>",
    "title": "<title>{}</title>",
}


def test_the_firing_payloads_fire(browser):
    """Unescaped, each firing payload runs on its own in the page body, and each context is broken by some."""
    fired_in: dict[str, set[str]] = {name: set() for name in CONTEXTS}
    page = browser.new_context(bypass_csp=True).new_page()
    for payload in FIRING + SHORT:
        for name, context in CONTEXTS.items():
            messages: list[str] = []

            def handler(dialog, messages=messages):
                messages.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", handler)
            page.set_content(f"<!doctype html><html><body>{context.format(payload)}</body></html>")
            page.wait_for_timeout(100)
            page.remove_listener("dialog", handler)
            if messages:
                fired_in[name].add(payload)
        assert payload in fired_in["body"], f"does not fire in the page body: {payload}"
    page.context.close()
    assert all(fired_in.values()), {name: len(payloads) for name, payloads in fired_in.items()}
    # The universal one breaks out of every context.
    universal = FIRING[-1]
    assert all(universal in payloads for payloads in fired_in.values()), universal


def test_no_payload_runs_on_any_page(browser, live_server, password):
    world = World()
    pages = []
    for name, access in sorted(ACCESS.items()):
        if name in NOT_PAGES or access.method != "get":
            continue
        role = next((r for r in VIEWERS if access.expect.get(r) == 200), None)
        if role is None:  # a POST-only URL
            continue
        # The kwargs also build the objects the page needs; some pages are opened in a second state too.
        for kwargs in [access.kwargs, *OTHER_STATES.get(name, [])]:
            pages.append((role, reverse(name, kwargs=kwargs(world))))
    add_what_the_world_lacks(world)
    filled = fill_with_payloads()
    assert len(filled) > 30

    fired: list[str] = []
    shown: set[str] = set()  # markers seen, as text, on some page
    for role in VIEWERS:
        urls = [url for who, url in pages if who == role]
        if not urls:
            continue
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.on("dialog", lambda d, page=page: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
        user = world.users[role]
        if user is not None:
            sign_in_through_page(page, live_server.url, user.username, password)
        for url in urls:
            page.goto(live_server.url + url)  # to the load event: images have failed, scripts have run
            # No page loads more by itself; a payload fires within the 100 ms test_the_firing_payloads_fire
            # gives it (waiting for the network to idle would add half a second to each of these pages).
            page.wait_for_timeout(100)
            page.evaluate("document.querySelectorAll('*').forEach(e => e.dispatchEvent(new Event('mouseover')))")
            page.wait_for_timeout(20)
            shown.update(re.findall(r"\bf\d+\b", page.content()))
        context.close()
    fields = {f.marker: f.field for f in filled}
    named = [f"{message} ({fields.get(message.rsplit(': ', 1)[-1], 'a field of 20 characters')})" for message in fired]
    assert not fired, named
    unseen = sorted(f.field for f in filled if f.marker and f.marker not in shown and f.field not in NOT_SHOWN)
    assert not unseen, f"No page showed these fields, so the gate cannot tell they are escaped: {unseen}"
