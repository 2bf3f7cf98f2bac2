"""The log's order is the product's order: unhappiest first, then overdue, runaround, public, oldest.

Hand-made issues across levels, overdue and runaround states; the exact order is
checked where people read it: the log page, the brief's top five, My page.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from insights.selectors import top_issues
from issues import selectors
from issues.models import HotIssue
from tests.factories import MembershipFactory
from tests.factories.issues import HotIssueFactory

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"ORD-[A-Z0-9]+")


@pytest.fixture
def ordered(program, manager):
    """Issues made in a scrambled order; returns their titles in the order the log must show them."""
    now = timezone.now()
    ago = lambda **kw: now - timedelta(**kw)  # noqa: E731

    def issue(name, level, created, due, **extra):
        return HotIssueFactory(
            program=program,
            owner=manager,
            title=f"ORD-{name}",
            level=level,
            created_at=created,
            first_outreach_due_at=due,
            **extra,
        )

    same_time = ago(hours=3)
    made = [
        issue("L1LATE", 1, ago(days=10), ago(days=3)),  # overdue by days, but only disappointed
        issue("L5NEW", 5, ago(minutes=5), now + timedelta(hours=4)),
        issue("L5LATE2H", 5, ago(hours=6), ago(hours=2)),
        issue("L5LATE20H", 5, ago(hours=10), ago(hours=20)),  # created later than its due time is fine: most overdue
        issue("L5RUN", 5, ago(hours=1), now + timedelta(hours=3), runaround=True, transfer_count=3),
        issue("L5PUB", 5, ago(hours=2), now + timedelta(hours=2), public=True),
        issue(
            "L5CONTACTED", 5, ago(days=30), ago(days=29), status="contacted", first_outreach_at=ago(days=29, hours=1)
        ),
        issue("L5LATERUN", 5, ago(hours=8), ago(hours=2, minutes=30), runaround=True),
        issue("L3RUN", 3, ago(hours=4), now + timedelta(hours=20), runaround=True),
        issue("L3PUB", 3, ago(hours=5), now + timedelta(hours=19), public=True),
        issue("L3RUNPUB", 3, ago(hours=1), now + timedelta(hours=23), runaround=True, public=True),
        issue("L3LATE", 3, ago(hours=30), ago(hours=6)),
        issue("L2SAMEB", 2, same_time, now + timedelta(hours=60)),
        issue("L2SAMEA", 2, same_time, now + timedelta(hours=60)),
        issue("L4DONE", 4, ago(hours=9), ago(hours=1), status="resolved", resolved_at=now),  # closed: never listed
    ]
    assert made[-2].pk > made[-3].pk  # L2SAMEA has the higher id: same time, so id decides
    return [
        "ORD-L5LATE20H",  # the most overdue first
        "ORD-L5LATERUN",
        "ORD-L5LATE2H",
        "ORD-L5RUN",
        "ORD-L5PUB",
        "ORD-L5CONTACTED",  # oldest of the rest
        "ORD-L5NEW",
        "ORD-L3LATE",
        "ORD-L3RUNPUB",
        "ORD-L3RUN",
        "ORD-L3PUB",
        "ORD-L2SAMEB",  # same created_at: lower id first
        "ORD-L2SAMEA",
        "ORD-L1LATE",
    ]


def titles(body: str) -> list[str]:
    seen = []
    for t in TITLE.findall(body):
        if t not in seen:
            seen.append(t)
    return seen


def test_the_log_page_shows_the_unhappiest_first(ordered, client_for, manager):
    body = client_for(manager).get("/issues/").content.decode()
    assert titles(body) == ordered
    assert selectors.PRIORITY_IN_WORDS in body


def test_with_priority_and_every_page_of_the_log_agree(ordered, client_for, manager, monkeypatch):
    from issues.views import log

    monkeypatch.setattr(log, "PER_PAGE", 4)
    client = client_for(manager)
    pages = [titles(client.get("/issues/", {"page": n}).content.decode()) for n in (1, 2, 3, 4)]
    assert [t for page in pages for t in page] == ordered
    qs = selectors.with_priority(HotIssue.objects.filter(status__in=["new", "contacted", "in_progress"]))
    assert list(qs.values_list("title", flat=True)) == ordered


def test_filters_keep_the_order(ordered, client_for, manager):
    client = client_for(manager)
    assert titles(client.get("/issues/", {"level": ["5", "1"]}).content.decode()) == [
        t for t in ordered if t.startswith(("ORD-L5", "ORD-L1"))
    ]
    late = ["ORD-L5LATE20H", "ORD-L5LATERUN", "ORD-L5LATE2H", "ORD-L3LATE", "ORD-L1LATE"]
    assert titles(client.get("/issues/", {"overdue": "yes"}).content.decode()) == late
    assert titles(client.get("/issues/", {"overdue": "no"}).content.decode()) == [t for t in ordered if t not in late]
    assert titles(client.get("/issues/", {"runaround": "yes"}).content.decode()) == [
        "ORD-L5LATERUN",
        "ORD-L5RUN",
        "ORD-L3RUNPUB",
        "ORD-L3RUN",
    ]


def test_the_brief_shows_the_logs_top_five(ordered, program, client_for, manager):
    now = timezone.now()
    assert [i.title for i in top_issues(program=program, now=now)] == ordered[:5]
    assert [i.overdue for i in top_issues(program=program, now=now)] == [True, True, True, False, False]
    body = client_for(manager).get(f"/programs/{program.slug}/brief/").content.decode()
    assert titles(body) == ordered[:5]


def test_my_page_lists_my_open_issues_in_the_logs_order(ordered, program, client_for, manager, other_program):
    # An issue in a program I left is not mine to see, whatever its level.
    MembershipFactory(program=other_program, user=manager, role=Membership.Role.MEMBER)
    HotIssueFactory(program=other_program, owner=manager, title="ORD-GONE", level=5)
    Membership.objects.filter(program=other_program, user=manager).delete()
    body = client_for(manager).get("/me/").content.decode()
    assert titles(body) == ordered[:10]
