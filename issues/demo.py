"""Demo data for hot issues: departments, a realistic log with outreach, transfers,
a runaround, some overdue issues, resolved ones with satisfaction, a mention feed.
"""

from datetime import timedelta

from django.utils import timezone

from rotations.selectors import current_advocate

from . import background
from .feeds import NOTHING_THERE
from .models import Customer, Department, HotIssue, IssueEvent, Mention, MentionFeed, RecoveryCheck, RootCause, Transfer
from .services import (
    create_issue,
    log_outreach,
    record_recovery_answer,
    record_satisfaction,
    resolve,
    seed_default_root_causes,
    transfer_issue,
)

DEPARTMENTS = {
    "support-desk": ["Billing", "Technical support", "Accounts", "Field service"],
    "web-shop": ["Checkout", "Delivery", "Returns", "Customer care"],
}

# program, title, words, level, public, source, customer (name, email, phone, company), hours ago
ISSUES = [
    (
        "support-desk",
        "Charged twice for the annual plan",
        "I was charged €480 twice on 2 March. I have written three times and nobody answers. If this is not fixed by Friday I am cancelling and telling my whole association.",
        5,
        False,
        "email",
        ("Greta Albers", "greta.albers@example.com", "+49 30 5550 1122", "Albers & Söhne"),
        7,
    ),
    (
        "support-desk",
        "Public 1-star review: 'support never calls back'",
        "Waited 9 days for a callback about my broken router. Support is a black hole. 1 star.",
        4,
        True,
        "review",
        ("Jonas Weber", "", "", ""),
        30,
    ),
    (
        "support-desk",
        "Technician did not show up — twice",
        "Took two days off work for an installation and nobody came. Both times.",
        4,
        False,
        "phone",
        ("Fatima Yilmaz", "f.yilmaz@example.com", "+49 40 5550 8812", ""),
        20,
    ),
    (
        "support-desk",
        "Passed between four departments about a refund",
        "Billing sent me to Accounts, Accounts sent me to Tech, Tech sent me back to Billing. I just want my €35 back.",
        3,
        False,
        "phone",
        ("Henrik Olsen", "henrik.olsen@example.com", "", "Olsen Design"),
        60,
    ),
    (
        "support-desk",
        "Contract cancelled without notice",
        "My line was cut off this morning; I never asked to cancel.",
        5,
        False,
        "customer_form",
        ("Marta Nowak", "marta.nowak@example.com", "", ""),
        2,
    ),
    (
        "support-desk",
        "Twitter thread about slow internet",
        "Third week of 2 Mbit/s on a 100 Mbit/s plan. @company are you even listening?",
        3,
        True,
        "social",
        ("@lenz_k", "", "", ""),
        5,
    ),
    (
        "support-desk",
        "Hold music for 45 minutes",
        "I was on hold for 45 minutes and then got disconnected.",
        2,
        False,
        "survey",
        ("Peter Brandt", "peter.brandt@example.com", "", ""),
        26,
    ),
    (
        "support-desk",
        "Invoice shows wrong company name",
        "Our invoices say 'Müller GmbH' instead of 'Müller & Co. KG'; our accountant rejects them.",
        2,
        False,
        "email",
        ("Anja Müller", "anja@mueller-co.example", "", "Müller & Co. KG"),
        100,
    ),
    (
        "support-desk",
        "New app logs me out every day",
        "Annoying more than anything, but please fix it.",
        1,
        False,
        "staff",
        ("Tobias Klein", "", "", ""),
        50,
    ),
    (
        "support-desk",
        "Letter sent to old address after I moved",
        "I told you in January that I moved. Now a reminder letter went to my old flat.",
        1,
        False,
        "staff",
        ("Sara Lind", "sara.lind@example.com", "", ""),
        200,
    ),
    (
        "web-shop",
        "Parcel marked delivered, never arrived",
        "The tracking says delivered on Monday. It is not here, the neighbours have nothing. It was a birthday present.",
        4,
        False,
        "customer_form",
        ("Emily Carter", "emily.carter@example.com", "+1 617 555 0143", ""),
        10,
    ),
    (
        "web-shop",
        "Checkout charged card but no order",
        "My card was charged $129.99 but I never got an order confirmation.",
        5,
        False,
        "email",
        ("Marcus Reed", "m.reed@example.com", "", ""),
        3,
    ),
    (
        "web-shop",
        "Return label does not work",
        "The prepaid return label is rejected at the post office.",
        2,
        False,
        "phone",
        ("Linda Park", "", "+1 212 555 0199", ""),
        40,
    ),
    (
        "web-shop",
        "Trustpilot review: 'never again'",
        "Ordered a sofa, it came damaged, and customer care hung up on me. Never again.",
        5,
        True,
        "review",
        ("R. Alvarez", "", "", ""),
        80,
    ),
]

# Earlier issues of customers above, matched to them by e-mail or phone however it is written:
# Greta Albers is at risk (a level-5 issue, and two low satisfaction answers) and her issue today is a
# repeat; Henrik Olsen's runaround is a repeat; Peter Brandt is at risk from two answers of 1 and 2.
# A second "Jonas Weber" with an e-mail is a duplicate a manager may merge (a name alone matches nobody).
# program, title, words, level, source, customer, hours ago, resolution, satisfaction
EARLIER = [
    (
        "support-desk",
        "Router replaced three weeks late",
        "The replacement router you promised for Monday came three weeks later.",
        3,
        "phone",
        ("", "", "+49 (30) 5550-1122", ""),
        24 * 40,
        "Apologised and credited one month.",
        2,
    ),
    (
        "support-desk",
        "Direct debit taken before the invoice",
        "You took the money before I even had the invoice.",
        2,
        "email",
        ("Greta Albers", " Greta.Albers@Example.com", "", "Albers & Söhne"),
        24 * 200,
        "Explained the billing date; moved it to the 15th.",
        1,
    ),
    (
        "support-desk",
        "Refund for the modem still missing",
        "I returned the modem a month ago and the €35 deposit is still not back.",
        3,
        "email",
        ("Henrik Olsen", "HENRIK.OLSEN@example.com", "", ""),
        24 * 25,
        "Deposit refunded.",
        3,
    ),
    (
        "support-desk",
        "Call centre closed at 17:00 sharp",
        "I called at 16:58 and was cut off at 17:00.",
        2,
        "survey",
        ("Peter Brandt", "peter.brandt@example.com", "", ""),
        24 * 150,
        "Explained the opening hours; called back the next morning.",
        1,
    ),
    (
        "support-desk",
        "Speed test far below the plan",
        "I pay for 100 Mbit/s and get 20.",
        3,
        "survey",
        ("Peter Brandt", "peter.brandt@example.com", "", ""),
        24 * 300,
        "A technician fixed the line.",
        2,
    ),
    (
        "support-desk",
        "Router keeps restarting",
        "My router restarts every evening at eight.",
        2,
        "email",
        ("Jonas Weber", "jonas.weber@example.com", "", ""),
        24 * 300,
        "Firmware updated remotely.",
        4,
    ),
]


def build(ctx: dict) -> None:
    users = ctx["users"]
    programs = ctx["programs"]
    HotIssue.objects.filter(program__in=programs.values()).delete()
    Customer.objects.filter(program__in=programs.values()).delete()
    Mention.objects.filter(program__in=programs.values()).delete()
    MentionFeed.objects.filter(program__in=programs.values()).delete()
    for program in programs.values():
        seed_default_root_causes(program=program)
    departments = {}
    for slug, names in DEPARTMENTS.items():
        for name in names:
            departments[(slug, name)], _ = Department.objects.get_or_create(program=programs[slug], name=name)

    now = timezone.now()
    # The current advocate owns the log when the rotations demo has made one; else Dana and Nina.
    owners = {
        slug: current_advocate(program=programs[slug]) or users[name]
        for slug, name in (("support-desk", "dana"), ("web-shop", "nina"))
    }
    made = {}
    for slug, title, words, level, public, source, (name, email, phone, company), hours in ISSUES:
        issue = create_issue(
            program=programs[slug],
            actor=users["maria"] if source == "staff" else None,
            title=title,
            words=words,
            level=level,
            public=public,
            source=source,
            owner=owners[slug],
            customer_name=name,
            customer_email=email,
            customer_phone=phone,
            customer_company=company,
            created_at=now - timedelta(hours=hours),
        )
        made[title] = issue

    def ago(hours):
        return now - timedelta(hours=hours)

    for slug, title, words, level, source, (name, email, phone, company), hours, text, score in EARLIER:
        issue = create_issue(
            program=programs[slug],
            actor=None,
            title=title,
            words=words,
            level=level,
            source=source,
            owner=owners[slug],
            customer_name=name,
            customer_email=email,
            customer_phone=phone,
            customer_company=company,
            created_at=ago(hours),
        )
        log_outreach(issue=issue, actor=issue.owner, channel="phone", outcome="spoke", at=ago(hours - 5))
        resolve(issue=issue, actor=issue.owner, resolution=text, **_closing(issue.program, "Billing error"))
        record_satisfaction(issue=issue, score=score)  # the customer's answer, on the timeline
        IssueEvent.objects.filter(issue=issue, kind="resolved").update(at=ago(hours - 48))
        IssueEvent.objects.filter(issue=issue, kind="satisfaction").update(at=ago(hours - 72))
        HotIssue.objects.filter(pk=issue.pk).update(resolved_at=ago(hours - 48), satisfaction_at=ago(hours - 72))

    dana, sam, priya, nina = users["dana"], users["sam"], users["priya"], users["nina"]
    # Outreach on some issues, back-dated.
    log_outreach(
        issue=made["Public 1-star review: 'support never calls back'"],
        actor=dana,
        channel="phone",
        outcome="no_answer",
        at=ago(26),
        next_attempt_due_at=now + timedelta(hours=3),
    )
    log_outreach(
        issue=made["Technician did not show up — twice"],
        actor=dana,
        channel="phone",
        outcome="spoke",
        note="Apologised; booked a senior technician for Thursday 8:00.",
        at=ago(18),
    )
    log_outreach(
        issue=made["Hold music for 45 minutes"],
        actor=sam,
        channel="email",
        outcome="left_message",
        at=ago(20),
        next_attempt_due_at=now - timedelta(hours=2) + timedelta(days=1),
    )
    log_outreach(
        issue=made["Invoice shows wrong company name"],
        actor=priya,
        channel="email",
        outcome="spoke",
        note="Corrected invoices promised by Billing.",
        at=ago(90),
    )
    log_outreach(issue=made["Return label does not work"], actor=nina, channel="phone", outcome="spoke", at=ago(30))

    # The runaround: four transfers, back to Billing.
    runaround = made["Passed between four departments about a refund"]
    HotIssue.objects.filter(pk=runaround.pk).update(department=departments[("support-desk", "Billing")])
    runaround.refresh_from_db()
    log_outreach(issue=runaround, actor=sam, channel="phone", outcome="spoke", at=ago(58))
    for dept, who, reason in [
        ("Accounts", sam, "Refunds are booked by Accounts."),
        ("Technical support", priya, "Accounts says the refund depends on a technical fault report."),
        (
            "Billing",
            leo if (leo := users.get("leo")) else sam,
            "Tech confirms the fault; the credit note is Billing's.",
        ),
    ]:
        transfer_issue(issue=runaround, actor=who, to_department=departments[("support-desk", dept)], reason=reason)
    transfer_issue(
        issue=made["Invoice shows wrong company name"],
        actor=priya,
        to_department=departments[("support-desk", "Billing")],
        reason="Billing issues the invoices.",
    )

    # Resolved ones, with satisfaction.
    for title, text, score, cause, fix in [
        (
            "New app logs me out every day",
            "Fixed in app version 4.2; told the customer how to update.",
            4,
            "Product defect",
            True,
        ),
        ("Return label does not work", "Sent a new label by e-mail and a $10 voucher.", None, "Delivery", False),
    ]:
        issue = made[title]
        if issue.first_outreach_at is None:
            log_outreach(issue=issue, actor=issue.owner, channel="email", outcome="resolved", at=ago(10))
        root_cause = RootCause.objects.get(program=issue.program, name=cause)
        resolve(
            issue=issue,
            actor=issue.owner,
            resolution=text,
            root_cause=root_cause,
            lasting_fix_needed=fix,
            satisfaction=score,
        )

    # Back-date the transfers and resolutions so the timelines read like a real week.
    IssueEvent.objects.filter(
        issue__program__in=programs.values(), kind__in=["resolved", "satisfaction"], at__gt=ago(1)
    ).update(at=ago(4))
    for issue in (runaround, made["Invoice shows wrong company name"]):
        stamps = iter([ago(50), ago(34), ago(20), ago(8)])
        for transfer, event in zip(
            Transfer.objects.filter(issue=issue).order_by("at", "id"),
            IssueEvent.objects.filter(issue=issue, kind="transfer").order_by("at", "id"),
            strict=False,
        ):
            when = next(stamps)
            Transfer.objects.filter(pk=transfer.pk).update(at=when)
            IssueEvent.objects.filter(pk=event.pk).update(at=when)

    _came_back(programs["support-desk"], owners["support-desk"], now)

    feed = MentionFeed.objects.create(
        program=programs["support-desk"],
        name="Google Alerts: our company",
        url="https://www.google.com/alerts/feeds/00000000000000000000/1111111111111111111",
        last_polled_at=now - timedelta(minutes=12),
        last_ok_at=now - timedelta(minutes=12),
    )
    MentionFeed.objects.create(
        program=programs["support-desk"],
        name="Forum RSS (moved)",
        url="https://forum.example.com/latest.rss",
        last_polled_at=now - timedelta(minutes=12),
        last_error=NOTHING_THERE % {"code": 404},
        failures=3,
    )
    for i, (title, snippet, link) in enumerate(
        [
            (
                "Customers complain about Support Desk wait times",
                "A local forum thread with 40 replies about phone wait times at the support desk…",
                "https://forum.example.com/t/wait-times",
            ),
            (
                "Blog: why I switched providers after 8 years",
                "…the last straw was being passed between departments for a refund…",
                "https://blog.example.net/switched",
            ),
            (
                "News: provider expands fibre network",
                "The company announced new fibre coverage in three districts…",
                "https://news.example.org/fibre",
            ),
        ]
    ):
        Mention.objects.create(
            feed=feed,
            program=feed.program,
            entry_id=f"demo-{i}",
            title=title,
            snippet=snippet,
            link=link,
            published_at=now - timedelta(hours=3 * (i + 1)),
        )


def _came_back(program, owner, now) -> None:
    """An issue resolved 17 days ago (rated 4), asked again 3 days ago, answered 2: it came back."""
    day = timedelta(days=1)
    issue = create_issue(
        program=program,
        actor=None,
        title="Line drops every evening again",
        words="You replaced the router and it was fine for a week. Now it drops every evening again.",
        level=3,
        source="email",
        owner=owner,
        customer_name="Jana Novak",
        customer_email="jana.novak@example.com",
        created_at=now - 20 * day,
    )
    log_outreach(issue=issue, actor=owner, channel="phone", outcome="spoke", at=now - 19 * day)
    resolve(
        issue=issue,
        actor=owner,
        resolution="Replaced the router; the line test was clean.",
        satisfaction=4,
        **_closing(program, "Product defect"),
    )
    resolved_at = now - 17 * day
    HotIssue.objects.filter(pk=issue.pk).update(resolved_at=resolved_at, satisfaction_at=resolved_at)
    IssueEvent.objects.filter(issue=issue, kind__in=["resolved", "satisfaction"]).update(at=resolved_at)
    HotIssue.history.filter(id=issue.pk, history_date__gt=resolved_at).update(history_date=resolved_at)
    background.open_recovery_checks(now=now - 3 * day)
    check = RecoveryCheck.objects.get(issue=issue)
    RecoveryCheck.objects.filter(pk=check.pk).update(email_sent_at=now - 3 * day)
    record_recovery_answer(issue=issue, question=check.token, score=2, now=now - 2 * day)


def _closing(program, cause: str) -> dict:
    """What closing a demo issue asks: one of the program's root causes, and no lasting fix."""
    return {"root_cause": RootCause.objects.get(program=program, name=cause), "lasting_fix_needed": False}
