"""Customer- and user-supplied text from an XSS corpus, rendered in real Chromium: no script runs.

The page's CSP would block most payloads anyway; this test turns it off
(bypass_csp) so that it checks the escaping itself, in the browser.
"""

import pytest
from django.urls import reverse

from advocacy.models import Membership
from advocacy.notifications import notify
from tests.e2e.signin import sign_in_through_page
from tests.e2e.xss_corpus import FIRING, PAYLOADS
from tests.factories import MembershipFactory, ProgramFactory, ThanksNoteFactory, UserFactory, closing

pytestmark = pytest.mark.django_db(transaction=True)


def visit_all(browser, live_server, username, password, urls) -> list[str]:
    """Open each URL signed in as `username`; return every script that ran."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    fired: list[str] = []
    page.on("dialog", lambda d: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
    sign_in_through_page(page, live_server.url, username, password)
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


def test_customer_supplied_issue_text_never_runs_as_script(browser, live_server, password):
    """Every field of a hot issue a customer (or a feed) can fill, on every page that shows it."""
    from datetime import timedelta

    from django.utils import timezone

    from issues import services as issue_services
    from issues.feeds import real_link
    from issues.models import Mention, Outreach
    from tests.factories import MentionFeedFactory

    program = ProgramFactory(name="Support Desk", slug="support-desk")
    manager = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="manager").user
    everything = "\n".join(PAYLOADS)
    # As few issues (pages to visit) as the 200-character title allows, every payload in every field.
    chunks: list[list[str]] = [[]]
    for payload in PAYLOADS:
        if len(" ".join([*chunks[-1], payload])) > 200:
            chunks.append([])
        chunks[-1].append(payload)
    issues = []
    for i, chunk in enumerate(chunks):
        issue = issue_services.create_issue(
            program=program,
            actor=manager,
            title=" ".join(chunk),
            words=everything,
            level=2 if i % 2 else 5,
            public=bool(i % 2),
            customer_name=" ".join(chunk),
            customer_company=" ".join(chunk),
            customer_phone=next(p for p in FIRING if len(p) <= 50),  # whole, not cut to the field's 50
        )
        for payload in chunk:
            issue_services.log_outreach(
                issue=issue,
                actor=manager,
                channel=Outreach.Channel.PHONE,
                outcome=Outreach.Outcome.LEFT_MESSAGE,
                note=payload,
                next_attempt_due_at=timezone.now() + timedelta(days=1),
            )
        if i % 2 == 0:
            issue_services.resolve(issue=issue, actor=manager, resolution=everything, **closing(issue))
        issues.append(issue)
    assert len(chunks) < len(PAYLOADS) and sum(map(len, chunks)) == len(PAYLOADS)
    feed = MentionFeedFactory(program=program, name=PAYLOADS[0], last_error=everything)
    for i, payload in enumerate(PAYLOADS):
        Mention.objects.create(
            feed=feed, program=program, entry_id=f"e{i}", title=payload, snippet=payload, link=real_link(payload)
        )

    urls = [reverse("issues:log"), reverse("issues:log") + "?status=all&q=xss"]
    for issue in issues:
        urls += [issue.get_absolute_url(), issue.get_tracking_url()]
    urls += [
        reverse("issues:mention_list", args=[program.slug]),
        reverse("issues:feed_list", args=[program.slug]),
        reverse("advocacy:program_detail", args=[program.slug]),
    ]
    fired = visit_all(browser, live_server, "manager", password, urls)

    # The log's htmx partials: a filtered list swapped in place, and a row's quick-outreach form.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.on("dialog", lambda d: (fired.append(f"{page.url}: {d.message}"), d.dismiss()))
    sign_in_through_page(page, live_server.url, "manager", password)
    page.goto(live_server.url + reverse("issues:log"))
    with page.expect_response(lambda r: "level=2" in r.url):
        page.locator("label[for=level-2]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".issue-row").count() > 0
    with page.expect_response(lambda r: r.url.endswith("/outreach/quick/")):
        page.locator(".issue-row").first.get_by_role("button", name="Outreach").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)
    page.evaluate("document.querySelectorAll('*').forEach(e => e.dispatchEvent(new Event('mouseover')))")
    context.close()
    assert not fired, fired
