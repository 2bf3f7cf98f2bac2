"""Time a customer's page: one customer with 200 issues and 2,000 timeline events, in a big database.

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python bench/issues_fill.py --issues 1000000 --programs 50     (once)
  .venv/bin/python bench/customers_bench.py [--runs 50]

Adds (once) to the first bench program: a customer "Bench Customer" whose 200
issues arrived over two years through an import (so they are matched to one
customer), 2,000 events on them in all (outreach, transfers, satisfaction
answers), and quarterly terms over those two years, with a cover, so that each
timeline entry has an advocate of its time to find. Then prints the median and
p95 server time and the query count of the customer's page (first and a
later page of the timeline), the customer list and a search in it, as
bench0 (the program's manager) sees them through Django's full stack, in-process,
next to the floor page (bench/floor.py) measured in the same run ("x floor").
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from advocacy.models import Membership, Program  # noqa: E402
from issues import services  # noqa: E402
from issues.models import Customer, HotIssue, IssueEvent  # noqa: E402
from rotations.models import Cover, Term  # noqa: E402

EMAIL = "bench.customer@example.com"
ISSUES = 200
EVENTS = 2000
KINDS = [IssueEvent.Kind.OUTREACH] * 6 + [
    IssueEvent.Kind.TRANSFER,
    IssueEvent.Kind.SATISFACTION,
    IssueEvent.Kind.STATUS,
]


def p95(series: list[float]) -> float:
    series = sorted(series)
    return series[min(len(series) - 1, int(round(0.95 * len(series))) - 1)]


@transaction.atomic
def prepare(program: Program) -> Customer:
    """Return the bench customer, making it (with its issues, events and the program's terms) the first time."""
    customer = Customer.objects.filter(program=program, email_key=EMAIL, merged_into=None).first()
    if customer is not None and customer.issues.count() >= ISSUES:
        return customer
    rng = random.Random(11)
    now = timezone.now()
    start = now - timedelta(days=730)
    rows = [
        {
            "title": f"Bench customer issue {i}",
            "level": rng.choice([1, 2, 3, 4, 5]),
            "words": "Still waiting for the refund.",
            "customer_name": "Bench Customer",
            "customer_email": EMAIL.upper() if i % 2 else EMAIL,
            "created_at": start + timedelta(days=730 * i / ISSUES),
        }
        for i in range(ISSUES)
    ]
    services.create_issues_in_bulk(program=program, actor=None, source="survey", issues=rows)
    customer = Customer.objects.get(program=program, email_key=EMAIL, merged_into=None)
    issues = list(customer.issues.values_list("pk", "created_at"))
    have = IssueEvent.objects.filter(issue__customer=customer).count()
    people = list(Membership.objects.filter(program=program).values_list("user_id", flat=True))
    extra = []
    for n in range(EVENTS - have):
        pk, created_at = issues[n % len(issues)]
        kind = KINDS[n % len(KINDS)]
        extra.append(
            IssueEvent(
                issue_id=pk,
                kind=kind,
                actor_id=None if kind == IssueEvent.Kind.SATISFACTION else rng.choice(people),
                at=min(now, created_at + timedelta(hours=rng.randint(1, 24 * 60))),
                summary=f"Bench {IssueEvent.Kind(kind).label.lower()} {n}",
                detail="Left a message; will try again tomorrow." if kind == IssueEvent.Kind.OUTREACH else "",
            )
        )
    IssueEvent.objects.bulk_create(extra, batch_size=1000)
    if not Term.objects.filter(program=program, starts_at__lte=start).exists():
        terms = []
        for q in range(9):
            begins = start + timedelta(days=91 * q)
            terms.append(
                Term(
                    program=program,
                    advocate_id=people[q % len(people)],
                    start_date=begins.date(),
                    end_date=(begins + timedelta(days=91)).date(),
                    starts_at=begins,
                    ends_at=begins + timedelta(days=91),
                    status=Term.Status.COMPLETED if begins + timedelta(days=91) < now else Term.Status.ACTIVE,
                )
            )
        terms = Term.objects.bulk_create(terms)
        middle = terms[4]
        Cover.objects.create(
            term=middle,
            person_id=people[-1],
            first_day=(middle.starts_at + timedelta(days=10)).date(),
            last_day=(middle.starts_at + timedelta(days=24)).date(),
            starts_at=middle.starts_at + timedelta(days=10),
            ends_at=middle.starts_at + timedelta(days=25),
        )
    return customer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.ROOT_URLCONF = "bench.floor"  # the project's URLs and the floor page (see bench/floor.py)
    clear_url_caches()
    program = Program.objects.get(slug="bench-00")
    customer = prepare(program)
    with connection.cursor() as cur:
        cur.execute("ANALYZE issues_issueevent")
        cur.execute("ANALYZE issues_customer")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench0"))
    page = reverse("issues:customer", args=[program.slug, customer.pk])
    listing = reverse("issues:customer_list", args=[program.slug])
    detail = HotIssue.objects.filter(title="Bench detail issue").order_by("-pk").first()
    cases = [
        ("floor", "/bench/floor/", {}),
        *([("issue page (compare)", detail.get_absolute_url(), {})] if detail else []),
        ("customer page", page, {}),
        ("customer page 20", page, {"page": "20"}),
        ("customer list", listing, {}),
        ("customer search", listing, {"q": "bench customer"}),
    ]
    events = IssueEvent.objects.filter(issue__customer=customer).count()
    print(
        f"{HotIssue.objects.count():,} issues and {Customer.objects.count():,} customers in the database; "
        f"the customer has {customer.issues.count()} issues and {events:,} events; {args.runs} runs each"
    )
    for _, url, params in cases:
        for _ in range(3):
            assert client.get(url, params).status_code == 200
    timings = {label: [] for label, _, _ in cases}
    queries = {}
    for _ in range(args.runs):
        for label, url, params in cases:
            began = time.perf_counter()
            client.get(url, params)
            timings[label].append((time.perf_counter() - began) * 1000)
    for label, url, params in cases:
        with CaptureQueriesContext(connection) as captured:
            client.get(url, params)
        queries[label] = len(captured)
    floor = statistics.median(timings["floor"])
    print(f"{'page':<20} {'median ms':>10} {'p95 ms':>8} {'x floor':>8} {'queries':>8}")
    for label, series in timings.items():
        median = statistics.median(series)
        print(f"{label:<20} {median:>10.1f} {p95(series):>8.1f} {median / floor:>8.1f} {queries[label]:>8}")


if __name__ == "__main__":
    main()
