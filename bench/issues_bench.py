"""Time the hot-issue log: median and p95 server time and query counts, plus EXPLAIN.

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python bench/issues_bench.py [--runs 50] [--explain]

Requests go through Django's full stack in-process (middleware, session,
templates) as the user `bench0`, who belongs to two programs. Fill the database
first with bench/issues_fill.py.
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from issues.models import HotIssue  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the log's queries")
    args = ap.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    user = get_user_model().objects.get(username="bench0")
    client = Client()
    client.force_login(user)
    detail = HotIssue.objects.filter(title="Bench detail issue").order_by("-pk").first()
    total = HotIssue.objects.count()
    # Pick a customer surname that occurs in the first program, for a realistic search.
    cases = [
        ("log first page", "/issues/", {}),
        (
            "filtered page",
            "/issues/",
            {"program": "bench-00", "level": ["4", "5"], "status": "new", "department": ""},
        ),
        ("filtered: overdue", "/issues/", {"overdue": "yes", "program": "bench-01"}),
        ("search", "/issues/", {"q": "refund router"}),
        ("search: name", "/issues/", {"q": "Albers"}),
        (f"detail ({detail.events.count()} events)", f"/issues/{detail.pk}/", {}),
    ]
    print(f"{total:,} issues in the database; user bench0 in 2 programs; {args.runs} runs each")
    print(f"{'page':28} {'median ms':>10} {'p95 ms':>8} {'python ms':>10} {'queries':>8} {'rows/events':>12}")
    # Runs go round the pages in turn, so a burst of noise on a shared machine
    # touches every page alike instead of one page's whole series.
    for _, url, params in cases:
        for _ in range(3):
            client.get(url, params)
    timings = {label: [] for label, _, _ in cases}
    python = {label: [] for label, _, _ in cases}  # this process's CPU time: the share not spent in PostgreSQL
    for _ in range(args.runs):
        for label, url, params in cases:
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url, params)
            timings[label].append((time.perf_counter() - t0) * 1000)
            python[label].append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    for label, url, params in cases:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        body = response.content.decode()
        rows = body.count('class="issue-row') or body.count('<span class="dot ')
        series = sorted(timings[label])
        p95 = series[min(len(series) - 1, int(round(0.95 * len(series))) - 1)]
        cpu = statistics.median(python[label])
        print(
            f"{label:28} {statistics.median(series):10.1f} {p95:8.1f} {cpu:10.1f}"
            f" {len(ctx.captured_queries):8d} {rows:>12}"
        )
        if args.explain and "hotissue" in " ".join(q["sql"] for q in ctx.captured_queries):
            for q in ctx.captured_queries:
                sql = q["sql"]
                if 'FROM "issues_hotissue"' in sql and "issues_historical" not in sql and sql.startswith("SELECT"):
                    with connection.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
                        plan = "\n".join("      " + r[0] for r in cur.fetchall())
                    print(f"    -- {sql[:150]}…\n{plan}")


if __name__ == "__main__":
    main()
