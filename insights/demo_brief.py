"""Demo data for program health and the brief: a year of past issues, mentions, questions and a subscription.

Past issues are bulk-inserted (this is history, not a workflow), spread over
the last 12 months and the terms of that time, with first contacts that get
faster as the program matures, resolutions and satisfaction answers.
"""

import random
from datetime import timedelta

from django.utils import timezone

from issues.models import (
    DEFAULT_TARGET_HOURS,
    Customer,
    Department,
    HotIssue,
    Mention,
    MentionFeed,
    Outreach,
    Source,
    Status,
)
from rotations.models import Term

from .models import BriefQuestion, BriefSubscription

PROBLEMS = [
    ("Charged twice for the {what}", "I was charged twice for the {what}. Please refund the second payment."),
    ("{What} arrived broken", "The {what} arrived broken and nobody answers my e-mails."),
    ("Still waiting for a callback", "I asked for a callback about my {what} a week ago. Still nothing."),
    ("Technician missed the appointment", "I took a day off for the {what} installation and nobody came."),
    ("Wrong invoice for the {what}", "The invoice for my {what} shows the wrong amount."),
    ("Rude answer on the hotline", "The agent hung up on me when I asked about my {what}."),
    ("Contract cancelled without notice", "My {what} contract was cancelled without any notice."),
    ("Refund still missing", "You promised a refund for the {what} three weeks ago."),
]
THINGS = ["router", "annual plan", "parcel", "modem", "voucher", "delivery", "phone plan", "sofa"]
SOURCES = [s.value for s in Source]
SOURCE_WEIGHTS = [14, 16, 22, 18, 8, 7, 6, 4, 5]
VOLUME = {"support-desk": 420, "web-shop": 260}


def _advocate_at(terms: list[Term], at, fallback: int) -> int:
    """The advocate serving at `at` (a member picked at random outside every term)."""
    term = next((t for t in terms if t.starts_at <= at < t.ends_at), None)
    return term.advocate_id if term else fallback


def build(ctx: dict) -> None:
    rng = random.Random(20260105)  # noqa: S311 — seeded, repeatable demo data, not a secret
    users, programs = ctx["users"], ctx["programs"]
    now = timezone.now()
    for slug, volume in VOLUME.items():
        program = programs[slug]
        terms = list(Term.objects.filter(program=program, advocate__isnull=False).order_by("starts_at"))
        members = list(program.memberships.values_list("user_id", flat=True))
        departments = list(Department.objects.filter(program=program).values_list("pk", flat=True))
        Customer.objects.filter(program=program, name__startswith="Past customer ").delete()
        customers = [
            Customer(program=program, name=f"Past customer {i}", email=f"past{i}@example.com") for i in range(40)
        ]
        for customer in customers:
            customer.refresh_keys()  # bulk_create skips save(), which sets the keys customers are matched by
        Customer.objects.bulk_create(customers)
        issues, outreach = [], []
        for _ in range(volume):
            age_days = rng.random() ** 1.2 * 361 + 3  # a little busier lately; none in the last 3 days
            created = now - timedelta(days=age_days)
            maturity = 1 - age_days / 367  # 0 a year ago, 1 now: the program gets faster
            level = rng.choices([1, 2, 3, 4, 5], weights=[26, 30, 24, 13, 7])[0]
            fallback = rng.choice(members)
            target = DEFAULT_TARGET_HOURS[level]
            first_hours = rng.lognormvariate(0, 0.6) * target * (1.0 - 0.8 * maturity)
            first = created + timedelta(hours=max(first_hours, 0.3))
            outcome = rng.random()
            resolved_at = satisfaction = None
            status = Status.CONTACTED
            if outcome < 0.62 + 0.25 * maturity:
                status = Status.RESOLVED
                resolved_at = first + timedelta(hours=rng.lognormvariate(3, 0.8) * (1.4 - 0.6 * maturity))
                if rng.random() < 0.55:
                    satisfaction = min(5, max(1, round(rng.gauss(3.2 + 1.2 * maturity, 0.9))))
            elif outcome < 0.7 + 0.25 * maturity:
                status = Status.UNREACHABLE
                resolved_at = first + timedelta(days=10)
            if age_days > 21 and status == Status.CONTACTED:  # only recent issues are still open
                status, resolved_at = Status.RESOLVED, first + timedelta(days=rng.random() * 9 + 1)
            if resolved_at and resolved_at > now:
                resolved_at, status, satisfaction = None, Status.IN_PROGRESS, None
            # Handoffs pass open issues on: the owner is whoever was advocate when it closed (or now).
            owner_id = _advocate_at(terms, min(resolved_at or now, now), fallback)
            transfers = rng.choices([0, 1, 2, 3, 4], weights=[70, 16, 8, 4 - 2 * maturity, 2 - maturity])[0]
            problem, words = rng.choice(PROBLEMS)
            what = rng.choice(THINGS)
            outreach.append((len(issues), _advocate_at(terms, first, fallback), first))
            issues.append(
                HotIssue(
                    program=program,
                    customer=rng.choice(customers),
                    title=problem.format(what=what, What=what.capitalize()),
                    words=words.format(what=what),
                    source=rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0],
                    level=level,
                    public=rng.random() < 0.1,
                    status=status,
                    owner_id=owner_id,
                    department_id=rng.choice(departments) if departments and rng.random() < 0.92 else None,
                    created_at=created,
                    first_outreach_due_at=created + timedelta(hours=target),
                    first_outreach_at=first,
                    last_contact_at=first,
                    resolved_at=resolved_at,
                    resolved_by_id=owner_id if resolved_at else None,
                    resolution="Resolved with the customer." if status == Status.RESOLVED else "",
                    satisfaction=satisfaction,
                    satisfaction_at=resolved_at if satisfaction else None,
                    satisfaction_asked_at=resolved_at if status == Status.RESOLVED else None,
                    transfer_count=transfers,
                    runaround=transfers >= 3,
                )
            )
        HotIssue.objects.bulk_create(issues, batch_size=500)
        # The audit trail of each runaround: the row when its third transfer flagged it.
        history = HotIssue.history.model
        own = {f.attname for f in HotIssue._meta.fields} - {"search_vector", "tracking_token"}
        history.objects.bulk_create(
            [
                history(
                    **{f.attname: getattr(issue, f.attname) for f in history._meta.fields if f.attname in own},
                    history_date=issue.first_outreach_at + timedelta(hours=6),
                    history_type="~",
                    history_change_reason="Transferred",
                )
                for issue in issues
                if issue.runaround
            ]
        )
        Outreach.objects.bulk_create(
            [
                Outreach(
                    issue=issues[i],
                    by_id=by,
                    at=at,
                    channel=Outreach.Channel.PHONE,
                    attempt=1,
                    outcome=Outreach.Outcome.SPOKE,
                )
                for i, by, at in outreach
            ],
            batch_size=500,
        )

        feed = MentionFeed.objects.filter(program=program).first() or MentionFeed.objects.create(
            program=program, name="Review sites", url="https://reviews.example.com/feed.xml"
        )
        mentions = []
        for i in range(volume // 5):
            fetched = now - timedelta(days=rng.random() * 364 + 1)
            state = rng.choices([Mention.State.PROMOTED, Mention.State.DISMISSED], weights=[3, 7])[0]
            mentions.append(
                Mention(
                    feed=feed,
                    program=program,
                    entry_id=f"demo-history-{i}",
                    title=f"Review: {rng.choice(PROBLEMS)[0].format(what='order', What='Order')}",
                    link="https://reviews.example.com/r",
                    published_at=fetched,
                    fetched_at=fetched,
                    state=state,
                )
            )
        Mention.objects.bulk_create(mentions)

    desk = programs["support-desk"]
    BriefQuestion.objects.filter(program__in=programs.values()).delete()
    BriefSubscription.objects.filter(program__in=programs.values()).delete()
    dana, maria = users["dana"], users["maria"]
    for text, answer in [
        ("Can Billing refund double charges the same day, without a ticket to Accounts?", ""),
        ("Who owns a technician no-show: Field service or the dispatcher?", ""),
        (
            "Should the hotline call back within 4 hours for level-5 customers?",
            "Yes. Agreed at last week's planning meeting; starts on the 1st.",
        ),
    ]:
        BriefQuestion.objects.create(
            program=desk,
            asked_by=dana,
            text=text,
            answer=answer,
            answered_at=now - timedelta(days=6) if answer else None,
        )
    BriefSubscription.objects.create(program=desk, user=maria)
    BriefSubscription.objects.create(program=desk, user=dana)
