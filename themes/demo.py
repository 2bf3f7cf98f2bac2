"""Demo themes: two themes in the support desk, one whose fix shipped five weeks ago with its before and after."""

from datetime import timedelta

from django.utils import timezone

from issues.models import HotIssue, IssueEvent, RootCause
from issues.services import create_issue, resolve, seed_default_root_causes

from .models import FixStatus, FixStatusChange, Theme, ThemeIssue
from .services import add_issues, create_theme, move_fix

# Issues with the billing root cause received this many days before (+) or after (−) the fix shipped.
BILLING_DAYS = [52, 47, 44, 40, 37, 33, 30, 26, 23, 20, 16, 12, 9, 6, 4, 2, -6, -19, -30]
SHIPPED_DAYS_AGO = 35


def build(ctx: dict) -> None:
    programs, users = ctx["programs"], ctx["users"]
    program = programs["support-desk"]
    manager, advocate = users["maria"], users["dana"]
    seed_default_root_causes(program=program)
    Theme.objects.filter(program=program).delete()
    causes = {c.name: c for c in RootCause.objects.filter(program=program)}
    now = timezone.now()
    shipped_at = now - timedelta(days=SHIPPED_DAYS_AGO)

    billing = create_theme(
        program=program,
        actor=manager,
        title="Customers charged twice for one order",
        root_cause=causes["Billing error"],
        owner_department=program.departments.filter(name="Billing").first(),
        owner_member=None if program.departments.filter(name="Billing").exists() else manager,
        fix="Payment retries reuse the first charge's key, so a retry never charges again.",
    )
    made = []
    for i, days in enumerate(BILLING_DAYS):
        received = shipped_at - timedelta(days=days)
        issue = create_issue(
            program=program,
            actor=advocate,
            title=f"Charged twice for order {48100 + i}",
            words="I was charged twice and I want my money back.",
            level=(5, 4, 3, 3, 2)[i % 5],
            public=i % 6 == 0,
            owner=advocate,
            customer_name=f"Billing customer {i + 1}",
            created_at=received,
        )
        resolve(
            issue=issue,
            actor=advocate,
            resolution="Refunded the second charge and apologised.",
            root_cause=causes["Billing error"],
            lasting_fix_needed=True,
        )
        closed = received + timedelta(days=2)
        HotIssue.objects.filter(pk=issue.pk).update(resolved_at=closed)
        IssueEvent.objects.filter(issue=issue, kind="resolved").update(at=closed)
        made.append(issue)
    add_issues(theme=billing, actor=advocate, issues=made)
    steps = [
        (FixStatus.AGREED, 60, "Finance and the payments team agreed to fix retries."),
        (FixStatus.IN_PROGRESS, 50, ""),
        (FixStatus.SHIPPED, SHIPPED_DAYS_AGO, "Released with the payments update."),
    ]
    for status, days_ago, note in steps:
        move_fix(theme=billing, actor=manager, to_status=status, note=note)
        FixStatusChange.objects.filter(theme=billing, to_status=status).update(at=now - timedelta(days=days_ago))
    Theme.objects.filter(pk=billing.pk).update(created_at=now - timedelta(days=70), shipped_at=shipped_at)
    FixStatusChange.objects.filter(theme=billing, from_status="").update(at=now - timedelta(days=70))
    ThemeIssue.objects.filter(theme=billing).update(added_at=now - timedelta(days=3))
    IssueEvent.objects.filter(issue__in=made, kind=IssueEvent.Kind.THEMED).update(at=now - timedelta(days=3))

    handoffs = create_theme(
        program=program,
        actor=advocate,
        title="Passed between Billing and Tech",
        root_cause=causes["Handoff between departments"],
        owner_member=manager,
        fix="One named owner from the first call until the customer says it is solved.",
        target_date=(now + timedelta(days=45)).date(),
    )
    move_fix(theme=handoffs, actor=advocate, to_status=FixStatus.AGREED, note="Agreed at the planning meeting.")
    open_ones = list(HotIssue.objects.filter(program=program, status__in=["new", "contacted", "in_progress"])[:4])
    if open_ones:
        add_issues(theme=handoffs, actor=advocate, issues=open_ones)
