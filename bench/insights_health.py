"""Time the program health figures and the brief on PostgreSQL at 1,000,000 issues.

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python bench/issues_fill.py --issues 1000000 --programs 50   # the hot-issue bench's fill, once
  .venv/bin/python bench/insights_health.py [--runs 20] [--explain]

Gives the program bench-00 five quarterly terms (the current one and four
before), then prints the median and p95 time and the query count of computing
the health and brief counts (what the refresh job, or a page without a fresh
snapshot, runs), then of the figures as the pages get them: live for a quick
program, from the stored snapshot for a slow one (insights/snapshots.py).
`--all-in-one` first moves every
issue of the database into bench-00 (one UPDATE; it changes the bench data),
for the worst case of a single program with 1,000,000 issues.
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from advocacy.models import Program  # noqa: E402
from insights.models import FigureSnapshot  # noqa: E402
from insights.selectors import brief_rows, customers_chair_brief, health_rows, program_health  # noqa: E402
from issues.models import HotIssue  # noqa: E402
from rotations import boundaries  # noqa: E402
from rotations.models import Term  # noqa: E402


def ensure_terms(program: Program) -> None:
    """Five quarterly terms ending after today, advocates from the program's members."""
    Term.objects.filter(program=program).delete()
    people = list(program.memberships.values_list("user_id", flat=True))
    today = timezone.localdate()
    first = boundaries.add_months(today.replace(day=1), -12)
    for i in range(5):
        start = boundaries.add_months(first, 3 * i)
        end = boundaries.add_months(start, 3)
        Term.objects.create(
            program=program,
            advocate_id=people[i % len(people)],
            start_date=start,
            end_date=end,
            starts_at=boundaries.boundary(program=program, day=start),
            ends_at=boundaries.boundary(program=program, day=end),
            status="completed" if i < 4 else "active",
        )


def timed(label: str, fn, runs: int, explain: bool) -> None:
    fn()  # warm up
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    print(f"{label:44} {statistics.median(timings):9.1f} {p95:8.1f} {len(ctx.captured_queries):8d}")
    if explain:
        for q in ctx.captured_queries:
            if "issues_hotissue" in q["sql"] and q["sql"].startswith("SELECT"):
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + q["sql"])
                    plan = "\n".join("      " + r[0] for r in cur.fetchall())
                print(f"    -- {q['sql'][:140]}…\n{plan}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--all-in-one", action="store_true", help="move every issue into bench-00 first")
    args = ap.parse_args()
    assert connection.vendor == "postgresql", "The benchmark needs PostgreSQL (set DATABASE_URL)."
    total = HotIssue.objects.count()
    assert total, "Fill the database first: bench/issues_fill.py"
    program = Program.objects.get(slug="bench-00")
    if args.all_in_one:
        t0 = time.perf_counter()
        HotIssue.objects.exclude(program=program).update(program=program)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE issues_hotissue")
        print(f"moved every issue into bench-00: {time.perf_counter() - t0:.1f} s")
    n = HotIssue.objects.filter(program=program).count()
    print(f"{total:,} issues in the database; {args.runs} runs each")
    print(f"{'figure':44} {'median ms':>9} {'p95 ms':>8} {'queries':>8}")
    ensure_terms(program)
    FigureSnapshot.objects.filter(program=program).delete()
    timed(
        f"health counts, computed ({n:,} issues)",
        lambda: health_rows(program=program, now=timezone.now(), refresh=True),
        args.runs,
        args.explain,
    )
    timed(
        "brief counts, computed",
        lambda: brief_rows(program=program, now=timezone.now(), refresh=True),
        args.runs,
        args.explain,
    )
    stored = FigureSnapshot.objects.filter(program=program).count()
    print(
        f"stored snapshots: {stored} (kept when computing takes {settings.INSIGHTS_SNAPSHOT_AFTER_SECONDS} s or more)"
    )
    timed("health page figures, as served", lambda: program_health(program=program), args.runs, args.explain)
    timed("brief page figures, as served", lambda: customers_chair_brief(program=program), args.runs, args.explain)
    # The whole pages, through Django's stack, as a manager (or else a member) of the program.
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(program.memberships.order_by("role").first().user)
    for label, name in (
        ("health page, whole request", "insights:health"),
        ("brief page, whole request", "insights:brief"),
    ):
        url = reverse(name, args=[program.slug])
        timed(label, lambda url=url: client.get(url), args.runs, False)


if __name__ == "__main__":
    main()
