"""Customer- and user-supplied text from an XSS corpus, rendered in real Chromium: no script runs.

The page's CSP would block most payloads anyway; this test turns it off
(bypass_csp) so that it checks the escaping itself, in the browser.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from advocacy.models import Membership
from advocacy.notifications import notify
from tests.factories import MembershipFactory, ProgramFactory, ThanksNoteFactory, UserFactory

PAYLOADS = [line for line in (Path(__file__).parents[1] / "data" / "xss_payloads.txt").read_text().splitlines() if line]

pytestmark = pytest.mark.django_db(transaction=True)


def visit_all(browser, live_server, username, password, urls) -> list[str]:
    """Open each URL signed in as `username`; return every script that ran."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    fired: list[str] = []
    page.on("dialog", lambda d: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    for url in urls:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(150)
        # Hover and focus everything, so event-handler payloads get their chance.
        page.evaluate("document.querySelectorAll('*').forEach(e => e.dispatchEvent(new Event('mouseover')))")
        body = page.content()
        assert "xss-14" not in body or "{% if 1 %}xss-14" in body, "template syntax in user text was evaluated"
    context.close()
    return fired


def test_user_supplied_text_never_runs_as_script(browser, live_server, password):
    program = ProgramFactory(name="Support Desk", slug="support-desk", description="\n".join(PAYLOADS))
    manager = MembershipFactory(
        program=program,
        role=Membership.Role.MANAGER,
        user=UserFactory(username="manager", first_name=PAYLOADS[1], last_name=PAYLOADS[2]),
    ).user
    member = MembershipFactory(program=program, user=UserFactory(username="member", first_name=PAYLOADS[0])).user
    for payload in PAYLOADS:
        ThanksNoteFactory(program=program, sender=member, recipient=manager, message=payload)
        notify(user=manager, kind="test", title=payload, body=payload, dedupe_key=f"xss-{payload}")
    urls = [
        reverse("advocacy:program_detail", args=[program.slug]),
        reverse("advocacy:thanks_list", args=[program.slug]),
        reverse("advocacy:member_list", args=[program.slug]),
        reverse("advocacy:my_thanks"),
        reverse("advocacy:my_notifications"),
        reverse("advocacy:program_list"),
    ]
    fired = visit_all(browser, live_server, "manager", password, urls)
    assert not fired, fired
