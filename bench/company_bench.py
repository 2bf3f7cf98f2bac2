"""Time the company view (a customer-experience lead's): the log's first page and the health table.

  createdb -h 127.0.0.1 -U postgres baton_bench
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python manage.py migrate
  .venv/bin/python bench/issues_fill.py --issues 1000000 --programs 200
  .venv/bin/python bench/company_bench.py [--runs 30] [--explain]

Requests go through Django's full stack in-process (middleware, session,
templates) as `benchlead`, a person in no program who holds the company
permission through a group (made here). Prints median and p95 server time and
the query count of each page, and the health table's selector over every
program at once (the pages show 50 programs a page), each also over the *floor*
page (bench/floor.py) measured in the same interleaved run ("x floor").
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches  # noqa: E402

from advocacy.models import Program  # noqa: E402
from insights.selectors import company  # noqa: E402
from issues.models import OPEN_Q, HotIssue  # noqa: E402


def p95(series: list[float]) -> float:
    series = sorted(series)
    return series[min(len(series) - 1, int(round(0.95 * len(series))) - 1)]


def explain(sql: str) -> str:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join("      " + r[0] for r in cur.fetchall())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the health table's queries")
    args = ap.parse_args()
    assert connection.vendor == "postgresql", "The benchmark needs PostgreSQL (set DATABASE_URL)."
    settings.ALLOWED_HOSTS = ["*"]
    settings.ROOT_URLCONF = "bench.floor"  # the project's URLs plus the floor page
    clear_url_caches()
    group, _ = Group.objects.get_or_create(name="Bench customer-experience leads")
    group.permissions.add(Permission.objects.get(content_type__app_label="advocacy", codename="view_company"))
    lead, _ = get_user_model().objects.get_or_create(username="benchlead", defaults={"first_name": "Lee"})
    lead.groups.add(group)
    client = Client()
    client.force_login(lead)
    programs = list(company.company_programs())
    print(
        f"{HotIssue.objects.count():,} issues, {HotIssue.objects.filter(OPEN_Q).count():,} open, "
        f"in {Program.objects.count()} programs; {args.runs} runs each"
    )

    owner = HotIssue.objects.filter(program=programs[7], status="new").values_list("owner_id", flat=True).first()

    def health_all() -> None:
        company.health_table(programs=programs)

    cases = [
        ("floor", lambda: client.get("/bench/floor/")),
        ("company log: first page", lambda: client.get("/company/issues/")),
        ("company log: level 5", lambda: client.get("/company/issues/", {"level": "5"})),
        ("company log: page 3", lambda: client.get("/company/issues/", {"page": "3"})),
        ("company log: one program", lambda: client.get("/company/issues/", {"program": programs[7].slug})),
        (
            "company log: program, owner",
            lambda: client.get("/company/issues/", {"program": programs[7].slug, "owner": str(owner)}),
        ),
        ("company log: overdue", lambda: client.get("/company/issues/", {"overdue": "yes"})),
        ("health page (50 programs)", lambda: client.get("/company/health/")),
        (f"health table, {len(programs)} programs", health_all),
        ("directory page (50 programs)", lambda: client.get("/company/")),
    ]
    for _, call in cases:
        for _ in range(3):
            call()
    timings = {label: [] for label, _ in cases}
    for _ in range(args.runs):  # round robin: noise on a shared machine touches every case alike
        for label, call in cases:
            t0 = time.perf_counter()
            response = call()
            timings[label].append((time.perf_counter() - t0) * 1000)
            assert response is None or response.status_code == 200, (label, response.status_code)
    floor = statistics.median(timings["floor"])
    print(f"\n{'case':34} {'median ms':>10} {'p95 ms':>8} {'x floor':>8} {'queries':>8}")
    captured = {}
    for label, call in cases:
        with CaptureQueriesContext(connection) as ctx:
            call()
        captured[label] = ctx.captured_queries
        median = statistics.median(timings[label])
        print(f"{label:34} {median:10.1f} {p95(timings[label]):8.1f} {median / floor:8.2f} {len(ctx):8d}")
    print("(floor: bench/floor.py, a signed-in page doing one indexed SELECT … LIMIT 25, in the same run)")
    if args.explain:
        label = f"health table, {len(programs)} programs"
        for q in captured[label]:
            print(f"\n    -- {q['sql'][:200]}…\n{explain(q['sql'])}")


if __name__ == "__main__":
    main()
