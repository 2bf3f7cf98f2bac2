"""Every page of the access matrix in real Chromium: axe-core, keyboard focus, phone width.

axe-core comes from npm (node_modules) and is evaluated in the page through
the DevTools protocol, which the page's CSP does not govern.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from tests.e2e.signin import sign_in_through_page
from tests.test_access_matrix import ACCESS, World, insights_world

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 800}
# Who looks at each page: the most privileged person of the program who gets a 200.
VIEWERS = ("manager", "member", "superuser", "anonymous")
SKIP = {
    "logout",
    "health",
    "home",
    "issues:export",  # a CSV download, not a page
    # Fragments htmx loads into the issue page (checked there, in place), not pages of their own.
    "issues:history",
    "issues:action_form",
    "issues:outreach_quick",
}

pytestmark = pytest.mark.django_db(transaction=True)


# Pages that look different in another state, checked as well: a resolved issue
# (reopen form, resolution) and its tracking page (the satisfaction question).
OTHER_STATES = {
    "issues:detail": [lambda w: {"pk": w.resolved_issue.pk}],
    "issues:track": [lambda w: {"token": w.resolved_issue.tracking_token}],
    "insights:decision_detail": [lambda w: {"slug": w.program.slug, "pk": insights_world(w)["decided"].pk}],
}


def pages(world) -> list[tuple[str, str, str]]:
    """Return (url name, url, username or '') for every page someone can open."""
    found = []
    for name, access in sorted(ACCESS.items()):
        if name in SKIP or access.method != "get":
            continue
        role = next((r for r in VIEWERS if access.expect.get(r) == 200), None)
        if role is None:  # a POST-only endpoint (405 to a GET) is not a page
            continue
        user = world.users[role]
        for kwargs in [access.kwargs, *OTHER_STATES.get(name, [])]:
            found.append((name, reverse(name, kwargs=kwargs(world)), user.username if user else ""))
    return found


def open_as(browser, live_server, username, password, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if username:
        sign_in_through_page(page, live_server.url, username, password)
    return context, page


def test_every_page_has_no_serious_accessibility_violations(browser, live_server, password):
    world = World()
    axe = AXE.read_text()
    problems = []
    for username in {u for _, _, u in pages(world)}:
        context, page = open_as(browser, live_server, username, password, {"width": 1280, "height": 900})
        for name, url, who in pages(world):
            if who != username:
                continue
            page.goto(live_server.url + url)
            page.evaluate(axe)
            # Only the violations are read, so axe skips detailing what passes.
            result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
            for v in result:
                if v["impact"] in ("serious", "critical"):
                    problems.append(f"{name}: {v['id']} ({v['impact']}) {v['help']} — {v['nodes'][0]['target']}")
        context.close()
    assert not problems, "\n".join(problems)


FOCUS_RECORDER = """() => { window.__focused = [];
  document.addEventListener('focusin', (event) => { const el = event.target;
    if (!el || el === document.body) return;
    const s = getComputedStyle(el);
    window.__focused.push({tag: el.tagName, text: (el.innerText || el.name || el.id || '').slice(0, 30),
                           visible: s.outlineStyle !== 'none' || s.boxShadow !== 'none'}); }, true); }"""


def test_every_page_fits_a_phone_and_shows_keyboard_focus(browser, live_server, password):
    world = World()
    problems = []
    for username in {u for _, _, u in pages(world)}:
        context, page = open_as(browser, live_server, username, password, PHONE)
        for name, url, who in pages(world):
            if who != username:
                continue
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                problems.append(f"{name}: {width}px wide at a 375px viewport")
            seen = set()
            # Each element the keyboard reaches is noted as it takes focus; read once after twelve Tabs.
            page.evaluate(FOCUS_RECORDER)
            for _ in range(12):
                page.keyboard.press("Tab")
            for focus in page.evaluate("() => window.__focused"):
                seen.add(focus["tag"])
                if not focus["visible"]:
                    problems.append(f"{name}: no visible focus on {focus['tag']} {focus['text']!r}")
            if not seen:
                problems.append(f"{name}: nothing takes keyboard focus")
        context.close()
    assert not problems, "\n".join(sorted(set(problems)))
