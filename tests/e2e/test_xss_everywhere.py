"""Every free-text field of every model filled with XSS payloads; every page opened in Chromium.

Generated from the access matrix and the models, so new pages and new text
fields are covered without anyone remembering to add them. The CSP is
bypassed so the test checks the escaping itself.
"""

import itertools
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from tests.e2e.test_accessibility import SKIP
from tests.test_access_matrix import ACCESS, World

PAYLOADS = [line for line in (Path(__file__).parents[1] / "data" / "xss_payloads.txt").read_text().splitlines() if line]
APPS = ("advocacy", "rotations", "issues", "insights", "auth")
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
}
VIEWERS = ("manager", "member", "advocate", "superuser", "anonymous")

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


def fill_with_payloads() -> int:
    """Overwrite every free-text value in the database with payloads; return how many fields."""
    payloads = itertools.cycle(PAYLOADS)
    count = 0
    for model in apps.get_models():
        if model._meta.app_label not in APPS or model._meta.proxy or not model._meta.managed:
            continue
        for field in text_fields(model):
            payload = next(payloads)
            if field.max_length:
                payload = payload[: field.max_length]
            model._default_manager.update(**{field.name: payload})
            count += 1
    return count


def test_no_payload_runs_on_any_page(browser, live_server, password):
    world = World()
    pages = []
    for name, access in sorted(ACCESS.items()):
        if name in SKIP or access.method != "get":
            continue
        kwargs = access.kwargs(world)  # also builds the objects the page needs
        for role in VIEWERS:
            if access.expect.get(role) == 200:
                pages.append((role, reverse(name, kwargs=kwargs)))
                break
    assert fill_with_payloads() > 10

    fired: list[str] = []
    for role in VIEWERS:
        urls = [url for who, url in pages if who == role]
        if not urls:
            continue
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.on("dialog", lambda d, page=page: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
        user = world.users[role]
        if user is not None:
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Username").fill(user.username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("networkidle")
        for url in urls:
            page.goto(live_server.url + url)
            page.wait_for_load_state("networkidle")
            page.evaluate("document.querySelectorAll('*').forEach(e => e.dispatchEvent(new Event('mouseover')))")
        context.close()
    assert not fired, fired
