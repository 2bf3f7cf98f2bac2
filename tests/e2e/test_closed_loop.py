"""The closed loop, end to end: resolved, asked again, came back to the next advocate, grouped, fixed, counted."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.selectors import display_name
from issues import background
from issues import services as issue_services
from issues.models import HotIssue, IssueEvent, RecoveryCheck, Status
from rotations.models import Term
from tests.factories import PASSWORD, TermFactory, root_cause_for
from themes.models import FixStatus, FixStatusChange, Theme, ThemeIssue

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)
# How far the clock moves between the resolution and the customer's answer (past the default 14 recovery days).
LATER = 15 * DAY


def _term(program, advocate, starts_at, ends_at, status):
    zone = program.zone
    return TermFactory(
        program=program,
        advocate=advocate,
        start_date=timezone.localtime(starts_at, zone).date(),
        end_date=timezone.localtime(ends_at, zone).date(),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
    )


def _move_back(model, pk, fields, by):
    """Move the row's moments back by `by`: the clock has moved on since they happened."""
    row = model.objects.filter(pk=pk).values(*fields).get()
    model.objects.filter(pk=pk).update(**{f: row[f] - by for f in fields if row[f] is not None})


def test_a_resolved_issue_comes_back_to_the_next_advocate_joins_a_theme_and_its_fix_ships(
    page, live_server, sign_in, desk, ann, ben, boss
):
    now = timezone.now()
    # Ann holds the baton until five days from now; then Ben does.
    ann_term = _term(desk, ann, now - 10 * DAY, now + 5 * DAY, Term.Status.ACTIVE)
    ben_term = _term(desk, ben, now + 5 * DAY, now + 90 * DAY, Term.Status.PLANNED)
    issue_services.seed_default_root_causes(program=desk)
    billing = root_cause_for(desk, "Billing error")
    # An earlier issue of the same cause, so the fix's before/after counts have something before.
    earlier = issue_services.create_issue(program=desk, actor=ann, title="Billed for a cancelled plan", level=2)
    issue_services.resolve(
        issue=earlier, actor=ann, resolution="Refunded.", root_cause=billing, lasting_fix_needed=True
    )
    HotIssue.objects.filter(pk=earlier.pk).update(created_at=now - 3 * 7 * DAY)
    issue = issue_services.create_issue(
        program=desk,
        actor=ann,
        title="Charged twice",
        words="Two payments for one order.",
        level=4,
        customer_name="Greta Albers",
        customer_email="greta@example.com",
    )
    issue_services.log_outreach(issue=issue, actor=ann, channel="phone", outcome="spoke")

    # 1. Ann resolves it on the Resolve form: a billing error, and a lasting fix is needed.
    page.set_default_timeout(10_000)  # a step that fails, fails fast
    sign_in(page, "ann", PASSWORD)
    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    page.get_by_role("button", name="Resolve").first.click()
    page.get_by_label("What was done").fill("Refunded the second payment.")
    page.get_by_label("Root cause").select_option(label="Billing error")
    page.locator("#resolve").get_by_label("Yes — it will happen again").check()
    page.locator("#resolve").get_by_role("button", name="Resolve").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1 + div .flag-status")).to_have_text("Resolved")
    expect(page.get_by_test_id("close-facts")).to_contain_text("Billing error")
    expect(page.get_by_test_id("issue-themes")).to_contain_text("A lasting fix is needed")
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED and issue.owner == ann and issue.resolved_by == ann
    assert issue.root_cause == billing and issue.lasting_fix_needed is True

    # 2. Fifteen days pass: the baton has gone to Ben, and the recovery job asks the customer again.
    for term in (ann_term, ben_term):
        _move_back(Term, term.pk, ["starts_at", "ends_at", "start_date", "end_date"], LATER)
    Term.objects.filter(pk=ann_term.pk).update(status=Term.Status.COMPLETED)
    Term.objects.filter(pk=ben_term.pk).update(status=Term.Status.ACTIVE)
    moments = ["created_at", "first_outreach_due_at", "first_outreach_at", "last_contact_at", "resolved_at"]
    _move_back(HotIssue, issue.pk, moments, LATER)
    for event in IssueEvent.objects.filter(issue=issue):
        _move_back(IssueEvent, event.pk, ["at"], LATER)
    issue.refresh_from_db()
    assert background.open_recovery_checks(now=issue.resolved_at + 14 * DAY + timedelta(hours=1)) == 1
    check = RecoveryCheck.objects.get(issue=issue)
    assert check.resolved_at == issue.resolved_at and check.score is None
    mail.outbox.clear()
    assert background.send_recovery_question(check_id=check.pk) is True
    [asked] = [m for m in mail.outbox if m.to == ["greta@example.com"]]
    link = re.search(r"https?://\S+/track/\S+/", asked.body).group(0)
    assert urlparse(link).path == issue.get_tracking_url()

    # 3. The customer opens the link in the e-mail and answers 2.
    page.context.clear_cookies()
    page.goto(live_server.url + urlparse(link).path)
    expect(page.locator("#recovery-heading")).to_have_text("Is it still sorted?")
    form = page.get_by_test_id("recovery-form")
    form.get_by_label("2", exact=True).check()
    form.get_by_role("button", name="Send").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("recovery-answered")).to_contain_text("you told us: 2 of 5")
    expect(page.get_by_test_id("recovery-answered")).to_contain_text("we reopened your problem")
    expect(page.get_by_test_id("recovery-form")).to_have_count(0)
    check.refresh_from_db()
    issue.refresh_from_db()
    assert check.score == 2 and check.came_back
    assert issue.owner == ben and issue.status == Status.IN_PROGRESS and issue.came_back_at is not None
    assert issue.resolved_at is None and issue.root_cause == billing  # still counted by its cause

    # 4. Ben finds it back in his log, marked "Came back", opens it, starts a theme and adds it.
    sign_in(page, "ben", PASSWORD)
    page.goto(f"{live_server.url}/issues/?owner=me")
    row = page.locator(f"#issue-{issue.pk}")
    expect(row.locator(".flag-came-back")).to_have_text("Came back")
    expect(row.locator(".meta")).to_contain_text(display_name(ben))
    expect(row.locator(".flag-status")).to_have_text("In progress")
    row.locator("a.title").click()
    expect(page.get_by_test_id("came-back")).to_be_visible()
    expect(page.get_by_test_id("recovery-answer")).to_contain_text("2 of 5")
    expect(page.get_by_test_id("last-close-cause")).to_have_text("Root cause at the last close: Billing error")
    panel = page.get_by_test_id("issue-themes")
    expect(panel).to_contain_text("In no theme.")
    panel.get_by_role("link", name="Start a new theme").click()
    page.get_by_label("Title").fill("Double charges")
    page.get_by_label("Root cause").select_option(label="Billing error")
    page.get_by_label("or by a person").select_option(label=display_name(ben))
    page.get_by_label("Lasting fix").fill("Charge the card once per order, whatever the retries.")
    page.get_by_role("button", name="Start the theme").click()
    expect(page.locator("h1")).to_have_text("Double charges")
    theme = Theme.objects.get(program=desk)
    assert theme.title == "Double charges" and theme.root_cause == billing and theme.owner_member == ben
    assert theme.fix_status == FixStatus.PROPOSED and theme.created_by == ben

    page.goto(f"{live_server.url}{issue.get_absolute_url()}")
    panel = page.get_by_test_id("issue-themes")
    panel.get_by_label("Add to a theme").select_option(label="Double charges")
    panel.get_by_role("button", name="Add").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("issue-themes").get_by_role("link", name="Double charges")).to_be_visible()
    assert ThemeIssue.objects.filter(theme=theme, issue=issue, added_by=ben).exists()
    expect(page.locator(".timeline")).to_contain_text(f"Added to the theme “Double charges” by {display_name(ben)}")

    # 5. The manager opens the theme and moves its fix along, step by step, until it ships.
    page.context.clear_cookies()
    sign_in(page, "boss", PASSWORD)
    page.goto(f"{live_server.url}/programs/{desk.slug}/themes/")
    page.get_by_role("link", name="Double charges").click()
    expect(page.get_by_test_id("impact")).to_contain_text("Issues")
    expect(page.get_by_role("link", name="Charged twice")).to_be_visible()
    expect(page.get_by_test_id("before-after")).to_have_count(0)
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        page.get_by_label("Move the fix to").select_option(status.value)
        page.get_by_label("Note").fill(f"Now {status.label.lower()}.")
        page.get_by_role("button", name="Move", exact=True).click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1 + p .badge")).to_have_text(f"Fix: {status.label}")
        theme.refresh_from_db()
        assert theme.fix_status == status
    expect(page.get_by_test_id("fix-history")).to_contain_text("In progress → Shipped")
    counts = page.get_by_test_id("before-after")
    expect(counts).to_be_visible()
    # The earlier billing error counts before, and so does the one that came back: it keeps its cause.
    expect(counts).to_have_text("2 in the 8 weeks before · 0 in the 8 weeks after")
    assert theme.shipped_at is not None
    assert list(FixStatusChange.objects.filter(theme=theme).order_by("at").values_list("to_status", "by")) == [
        (FixStatus.PROPOSED, ben.pk),
        (FixStatus.AGREED, boss.pk),
        (FixStatus.IN_PROGRESS, boss.pk),
        (FixStatus.SHIPPED, boss.pk),
    ]
