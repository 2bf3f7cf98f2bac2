"""Load test: signed-in users over the main pages against gunicorn on PostgreSQL, with the bench data.

  make bench-load                      (or: .venv/bin/python bench/load.py --users 50 --seconds 60)

It uses the PostgreSQL database `baton_bench_load` (BENCH_DATABASE_URL to choose
another; never a test database), migrates it and, unless it already holds the
bench data, fills it with bench/issues_fill.py (100,000 issues in 14 programs,
about 35,000 open). It starts gunicorn with the production settings (2 workers,
persistent database connections) on 127.0.0.1:PORT, opens one session per
simulated user (the program members `bench0`… plus `benchwide`, who sees all 14
programs), and has each user open the main pages in turn with about a second
between them, as a person reading would: the hot-issue log, the log's next page
(by the cursor its Next link carries), the schedule, the program health, My page
and the program page. After a short warm-up it measures for the given time and
prints requests, errors, p50/p95/max per page, the heaviest pages and the
slowest requests. Traffic goes to localhost only and stops by itself.

Standard library only (threads and http.client): one client thread per user
waits on the network most of the time, so 50 of them leave the cores to the server.
"""

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/baton_bench_load")
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/9"),
    "SECRET_KEY": "load-test-secret-key-that-is-long-enough-to-pass-checks-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from advocacy.models import Program  # noqa: E402

FILL = ["--issues", "100000", "--programs", "14", "--open-share", "0.35", "--small-open", "100"]
NEXT_LINK = re.compile(r'<a class="page-link" href="\?([^"]*)"[^>]*>Next</a>')


def run(*args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, env={**os.environ}, check=True)


def prepare() -> None:
    """Create, migrate and fill the bench database unless it is ready."""
    server, name = DATABASE_URL.rsplit("/", 1)
    found = subprocess.run(
        ["psql", f"{server}/postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    )
    if found.stdout.strip() != "1":
        subprocess.run(["psql", f"{server}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    run("manage.py", "migrate", "-v", "0")
    run("manage.py", "collectstatic", "--noinput", "-v", "0")
    if not get_user_model().objects.filter(username="benchwide").exists():
        print("Filling the bench data (bench/issues_fill.py " + " ".join(FILL) + ")…", flush=True)
        run("bench/issues_fill.py", *FILL)
    connection.close()


def sessions(users: int) -> list[tuple[str, str, str]]:
    """Return (username, session cookie, program slug) for each simulated user."""
    User = get_user_model()
    names = ["benchwide"] + [f"bench{i}" for i in range(users - 1)]
    out = []
    for username in names:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        program = Program.objects.filter(memberships__user=user, slug__startswith="bench-").order_by("slug").first()
        out.append((username, client.cookies[settings.SESSION_COOKIE_NAME].value, program.slug))
    connection.close()
    return out


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.measuring = False
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.slowest: list[tuple[float, str]] = []

    def add(self, page: str, path: str, ms: float, error: str | None) -> None:
        with self.lock:
            if not self.measuring:
                return
            self.times.setdefault(page, []).append(ms)
            if error:
                self.errors.setdefault(page, []).append(f"{path}: {error}")
            self.slowest.append((ms, path))
            if len(self.slowest) > 200:
                self.slowest = sorted(self.slowest, reverse=True)[:10]


def user_loop(port: int, cookie: str, slug: str, results: Results, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Host": "127.0.0.1"}
    next_page = "page=2"
    pages = [
        ("log", "/issues/"),
        ("log, next page", None),
        ("schedule", f"/programs/{slug}/schedule/"),
        ("program health", f"/programs/{slug}/health/"),
        ("my page", "/me/"),
        ("program page", f"/programs/{slug}/"),
    ]
    rng.shuffle(pages)
    turn = 0
    while not stop.is_set():
        page, path = pages[turn % len(pages)]
        turn += 1
        path = path or f"/issues/?{next_page}"
        started = time.perf_counter()
        error = None
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                error = f"HTTP {response.status}"
            elif page == "log":
                found = NEXT_LINK.search(body.decode())
                next_page = found.group(1).replace("&amp;", "&") if found else "page=2"
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        results.add(page, path, (time.perf_counter() - started) * 1000, error)
        stop.wait(rng.uniform(0.5, 1.5))
    conn.close()


def percentile(series: list[float], share: float) -> float:
    series = sorted(series)
    return series[min(len(series) - 1, max(0, int(round(share * len(series))) - 1))]


def wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8400")))
    args = ap.parse_args()

    prepare()
    print(f"Opening {args.users} sessions…", flush=True)
    people = sessions(args.users)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        wait_for(args.port)
        results, stop = Results(), threading.Event()
        threads = [
            threading.Thread(target=user_loop, args=(args.port, cookie, slug, results, stop, i), daemon=True)
            for i, (_, cookie, slug) in enumerate(people)
        ]
        for thread in threads:
            thread.start()
            time.sleep(0.02)  # users arrive over a second, not all in the same millisecond
        time.sleep(args.warmup)
        results.measuring = True
        started = time.monotonic()
        time.sleep(args.seconds)
        results.measuring = False
        elapsed = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join(timeout=35)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    total = [ms for series in results.times.values() for ms in series]
    errors = sum(len(e) for e in results.errors.values())
    print(
        f"\n{args.users} users for {args.seconds} s (after {args.warmup} s warm-up) against gunicorn "
        f"({args.workers} workers) on PostgreSQL, bench data"
    )
    print(f"{'page':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    rows = sorted(results.times.items(), key=lambda item: percentile(item[1], 0.95), reverse=True)
    for page, series in rows:
        print(
            f"{page:<16}{len(series):>9}{len(results.errors.get(page, [])):>8}{statistics.median(series):>9.0f}"
            f"{percentile(series, 0.95):>9.0f}{max(series):>9.0f}"
        )
    if total:
        print(
            f"{'all':<16}{len(total):>9}{errors:>8}{statistics.median(total):>9.0f}"
            f"{percentile(total, 0.95):>9.0f}{max(total):>9.0f}"
        )
    print(f"requests/s: {len(total) / elapsed:.1f}   errors: {errors}")
    print("heaviest pages (by p95): " + ", ".join(f"{page} {percentile(s, 0.95):.0f} ms" for page, s in rows[:3]))
    print("slowest requests: " + ", ".join(f"{path} {ms:.0f} ms" for ms, path in sorted(results.slowest)[-5:][::-1]))
    for page, messages in results.errors.items():
        print(f"errors on {page}: {', '.join(sorted(set(messages))[:5])}")
    p95 = percentile(total, 0.95) if total else 0
    print(f"target: 0 errors and p95 under 200 ms: {'met' if errors == 0 and p95 < 200 else 'NOT met'}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
