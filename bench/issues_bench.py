"""Time the hot-issue log: median and p95 server time and query counts, plus EXPLAIN.

  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python bench/issues_bench.py [--runs 50] [--explain]

Requests go through Django's full stack in-process (middleware, session,
templates). Fill the database first with bench/issues_fill.py.

Two tables, from one interleaved run:
- the pages as `bench0` (two programs) sees them: the log, filters, searches, an issue;
- the log's pages for `benchsmall` (one program, --small-open open issues, 100 by
  default) and `benchwide` (every bench program: ~35,000 open issues with the
  fills in bench/issues_fill.py), including a deep page (page 1000, or the last)
  read by its number and from the cursor its Next link carries, each against the *floor* page (bench/floor.py:
  a signed-in page doing one indexed SELECT … LIMIT 25 into a tiny template)
  read just before each of those pages in the same run: "x floor" is the page's
  median over the floor's, and
  "wide/small" the big case's median over the small case's.
"""

import argparse
import os
import re
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
from django.urls import clear_url_caches  # noqa: E402

from advocacy.models import Program  # noqa: E402
from issues.models import Department, HotIssue  # noqa: E402

FLOOR = "/bench/floor/"
# The deep page: this one, or the last (benchsmall has 4 pages).
DEEP_PAGE = 1000


def p95(series: list[float]) -> float:
    series = sorted(series)
    return series[min(len(series) - 1, int(round(0.95 * len(series))) - 1)]


def log_cases(username: str) -> list[tuple[str, str, dict]]:
    """The log's pages as one user opens them: first, later, filtered; every one counts levels and totals."""
    user = get_user_model().objects.get(username=username)
    program = Program.objects.filter(memberships__user=user).order_by("slug").first()
    department = Department.objects.filter(program=program).order_by("pk").first()
    owner = (
        HotIssue.objects.filter(program=program, status="new").order_by("pk").values_list("owner_id", flat=True).first()
    )
    client = Client()
    client.force_login(user)
    last = int(re.search(r"Page 1 of (\d+)", client.get("/issues/").content.decode()).group(1))
    deep = min(DEEP_PAGE, last)
    # The deep page as its Next link reaches it: from the cursor of the page before.
    body = client.get("/issues/", {"page": str(deep - 1)}).content.decode()
    after = re.search(rf"page={deep}&amp;after=([^\"&]+)", body).group(1)
    return [
        ("first page", "/issues/", {}),
        ("page 2", "/issues/", {"page": "2"}),
        ("page 4", "/issues/", {"page": "4"}),
        ("deep, number", "/issues/", {"page": str(deep)}),
        ("deep, cursor", "/issues/", {"page": str(deep), "after": after}),
        ("level 5", "/issues/", {"level": "5"}),
        ("levels 1+2", "/issues/", {"level": ["1", "2"]}),
        ("status new", "/issues/", {"status": "new"}),
        ("owner", "/issues/", {"owner": str(owner)}),
        ("overdue", "/issues/", {"overdue": "yes"}),
        ("department", "/issues/", {"department": str(department.pk)}),
    ]


def explain(sql: str) -> str:
    """EXPLAIN ANALYZE one captured statement; a prepared one (EXECUTE …) with the one plan its page uses."""
    run = re.search(r"(?:SET LOCAL plan_cache_mode = \w+; )?(EXECUTE \w+.*)$", sql, re.S)
    with connection.cursor() as cur:
        if run:
            cur.execute("SET plan_cache_mode = force_generic_plan")
            sql = run.group(1)
        try:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            return "\n".join("      " + r[0] for r in cur.fetchall())
        finally:
            cur.execute("RESET plan_cache_mode")


def statement_text(sql: str) -> str:
    """The text of a captured statement: a prepared one's from the server."""
    name = re.search(r"EXECUTE (baton_\d+)", sql)
    if not name:
        return sql
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name.group(1)])
        found = cur.fetchone()
    return found[0] if found else sql


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the log's queries")
    args = ap.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.ROOT_URLCONF = "bench.floor"
    clear_url_caches()
    User = get_user_model()
    clients = {}
    for name in ("bench0", "benchsmall", "benchwide"):
        clients[name] = Client()
        clients[name].force_login(User.objects.get(username=name))
    detail = HotIssue.objects.filter(title="Bench detail issue").order_by("-pk").first()
    total = HotIssue.objects.count()
    # (table, label, user, url, params)
    cases = [
        ("pages", "log first page", "bench0", "/issues/", {}),
        (
            "pages",
            "filtered page",
            "bench0",
            "/issues/",
            {"program": "bench-00", "level": ["4", "5"], "status": "new", "department": ""},
        ),
        ("pages", "filtered: overdue", "bench0", "/issues/", {"overdue": "yes", "program": "bench-01"}),
        ("pages", "filtered: repeat", "bench0", "/issues/", {"repeat": "yes"}),
        ("pages", "filtered: at risk", "bench0", "/issues/", {"at_risk": "yes"}),
        ("pages", "search", "bench0", "/issues/", {"q": "refund router"}),
        ("pages", "search: name", "bench0", "/issues/", {"q": "Albers"}),
        ("pages", f"detail ({detail.events.count()} events)", "bench0", f"/issues/{detail.pk}/", {}),
    ]
    # Each log page read for the small case then the wide one, one after the other: the pair meets
    # the same noise.
    for small, wide in zip(log_cases("benchsmall"), log_cases("benchwide"), strict=True):
        cases += [
            ("log", label, name, url, params)
            for name, (label, url, params) in zip(("benchsmall", "benchwide"), (small, wide), strict=True)
        ]
    visible = {
        name: HotIssue.objects.filter(
            program__memberships__user__username=name, status__in=["new", "contacted", "in_progress"]
        ).count()
        for name in ("benchsmall", "benchwide")
    }
    print(
        f"{total:,} issues in the database; bench0 in 2 programs; benchsmall sees {visible['benchsmall']:,} open, "
        f"benchwide {visible['benchwide']:,} open; {args.runs} runs each"
    )
    # Runs go round the pages in turn, so a burst of noise on a shared machine
    # touches every page alike instead of one page's whole series.
    for _, _, name, url, params in cases:
        for _ in range(3):
            clients[name].get(url, params)
            clients[name].get(FLOOR)
    timings = {i: [] for i in range(len(cases))}
    python = {i: [] for i in range(len(cases))}  # this process's CPU time: the share not spent in PostgreSQL
    # The floor is read just before each log page, by the same user: each page and its floor meet
    # the same noise, and no floor reading follows a heavier page than the others do.
    floor_ms = {"benchsmall": [], "benchwide": []}
    floor_python = {"benchsmall": [], "benchwide": []}
    for _ in range(args.runs):
        for i, (table, _, name, url, params) in enumerate(cases):
            if table == "log":
                t0, c0 = time.perf_counter(), time.process_time()
                assert clients[name].get(FLOOR).status_code == 200
                floor_ms[name].append((time.perf_counter() - t0) * 1000)
                floor_python[name].append((time.process_time() - c0) * 1000)
            t0, c0 = time.perf_counter(), time.process_time()
            response = clients[name].get(url, params)
            timings[i].append((time.perf_counter() - t0) * 1000)
            python[i].append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    captured = {}
    rows_of = {}
    for i, (_, _, name, url, params) in enumerate(cases):
        with CaptureQueriesContext(connection) as ctx:
            response = clients[name].get(url, params)
        body = response.content.decode()
        rows_of[i] = body.count('class="issue-row') or body.count('<span class="dot ') or body.count("<li>")
        captured[i] = ctx.captured_queries

    print(
        f"\n{'page (bench0)':28} {'median ms':>10} {'p95 ms':>8} {'python ms':>10} {'queries':>8} {'rows/events':>12}"
    )
    for i, (table, label, *_rest) in enumerate(cases):
        if table != "pages":
            continue
        print(
            f"{label:28} {statistics.median(timings[i]):10.1f} {p95(timings[i]):8.1f}"
            f" {statistics.median(python[i]):10.1f} {len(captured[i]):8d} {rows_of[i]:>12}"
        )

    print(
        f"\n{'log page':14} | {'small: median':>13} {'p95':>6} {'x floor':>7} {'py':>5} {'q':>3} {'rows':>4} | "
        f"{'wide: median':>12} {'p95':>6} {'x floor':>7} {'py':>5} {'q':>3} {'rows':>4} | {'wide/small':>10}"
    )
    index = {(name, label): i for i, (table, label, name, _, _) in enumerate(cases) if table == "log"}
    floors = {name: statistics.median(series) for name, series in floor_ms.items()}
    for label, _, _ in log_cases("benchsmall"):
        cells = []
        medians = {}
        for name in ("benchsmall", "benchwide"):
            i = index[(name, label)]
            medians[name] = statistics.median(timings[i])
            cells.append(
                f"{medians[name]:13.1f} {p95(timings[i]):6.1f} {medians[name] / floors[name]:7.2f}"
                f" {statistics.median(python[i]):5.1f} {len(captured[i]):3d} {rows_of[i]:4d}"
            )
        print(f"{label:14} | {cells[0]} | {cells[1]} | {medians['benchwide'] / medians['benchsmall']:10.2f}")
    for name in ("benchsmall", "benchwide"):
        print(
            f"floor ({name}, read before each of its pages): median {floors[name]:.1f} ms,"
            f" p95 {p95(floor_ms[name]):.1f} ms, python {statistics.median(floor_python[name]):.1f} ms"
        )
    print(
        "(py: this process's CPU time per request, the share not spent in PostgreSQL; rows: issues the page lists,"
        " fewer than 25 where the small case has no more)"
    )

    if args.explain:
        for i, (table, label, name, url, params) in enumerate(cases):
            if table == "log" and name != "benchwide":
                continue
            if label.startswith("detail") or label.startswith("search"):
                continue
            print(f"\n== {name} {label}: {url} {params}")
            for q in captured[i]:
                sql = q["sql"]
                text = statement_text(sql)
                if (
                    "issues_hotissue" in text
                    and "issues_historical" not in text
                    and re.sub(r"^PREPARE \w+ AS ", "", text.lstrip()).startswith(("SELECT", "(", "WITH"))
                ):
                    print(f"    -- {text[:200]}…\n{explain(sql)}")


if __name__ == "__main__":
    main()
