"""Burst: 1,000 signed webhook deliveries against gunicorn on PostgreSQL, then a Celery worker turns them into issues.

Run with `.venv/bin/python bench/webhooks_burst.py [--deliveries 1000] [--threads 8]`.
It creates a fresh PostgreSQL database `baton_webhooks`, one program with a
manager and a generic (Standard Webhooks) source, starts gunicorn with the
production settings on 127.0.0.1:8801, posts the deliveries from a few threads
and prints the median and p95 answer time; then starts a worker for the queues,
waits until every delivery is processed and prints how many issues it created;
then re-sends half the deliveries and prints the issue count again (it must not
change). Traffic goes to localhost only and stops by itself. Give it a broker
database nothing else consumes from (`--broker`): a foreign worker on the same
queues takes the jobs and the count stays short.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8801
DB = "baton_webhooks"

SETUP = """
import json
from advocacy.models import Membership, Program
from advocacy.permissions import SYSTEM
from django.contrib.auth import get_user_model
from integrations import services
program = Program.objects.create(name="Burst", slug="burst")
manager = get_user_model().objects.create_user("burst-manager", password="x")
Membership.objects.create(program=program, user=manager, role=Membership.Role.MANAGER)
source, secret = services.create_source(program=program, actor=SYSTEM, kind="standard", name="Burst source")
print(json.dumps({"public_id": source.public_id, "secret": secret}))
"""

COUNT = """
import json
from integrations.models import Delivery
from issues.models import HotIssue
from django.db.models import Count
print(json.dumps({"issues": HotIssue.objects.count(),
    "outcomes": dict(Delivery.objects.values_list("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))}))
"""


def manage(env: dict, script: str) -> dict:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def send_all(path: str, requests: list[tuple[bytes, dict]], threads: int) -> tuple[list[float], list[int]]:
    """Post every (body, headers) from `threads` keep-alive connections; return the answer times (ms) and statuses."""
    times: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    chunks = [requests[i::threads] for i in range(threads)]

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for body, headers in chunk:
            start = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                times.append(elapsed)
                statuses.append(response.status)
        conn.close()

    pool = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return times, statuses


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deliveries", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--broker", default="redis://127.0.0.1:6379/2")
    args = ap.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "CELERY_BROKER_URL": args.broker,
        "SECRET_KEY": "webhook-burst-secret-key-that-is-long-enough-to-pass-checks",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    source = manage(env, SETUP)

    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    import django

    django.setup()
    from integrations import mapping, signatures
    from integrations.models import Kind

    def signed(numbers) -> list[tuple[bytes, dict]]:
        """Sign now: a sender's retry keeps its webhook-id but carries a fresh timestamp and signature."""
        found = []
        for n in numbers:
            body = mapping.sample_body(Kind.STANDARD, n=n)
            headers = signatures.sign(kind=Kind.STANDARD, secret=source["secret"], body=body, event_id=f"msg_burst_{n}")
            found.append((body, headers))
        return found

    requests = signed(range(args.deliveries))
    report = []
    path = f"/hooks/{source['public_id']}/"

    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", str(args.web_workers)]
        + ["--no-control-socket", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    worker = None
    try:
        time.sleep(3)
        send_all(path, requests[:5], 1)  # warm the workers' connections (these five are re-sent below)
        times, statuses = send_all(path, requests, args.threads)
        ok = sum(1 for s in statuses if 200 <= s < 300)
        report.append(
            f"{args.deliveries} deliveries from {args.threads} threads, gunicorn with {args.web_workers} workers"
        )
        report.append(
            f"answered 2xx: {ok}/{len(statuses)}   median {statistics.median(times):.1f} ms   p95 {p95(times):.1f} ms"
        )
        print(*report, sep="\n", flush=True)

        celery = str(Path(sys.executable).with_name("celery"))
        started = time.perf_counter()
        worker = subprocess.Popen(
            [celery, "-A", "config", "worker", "-Q", "io,celery", "-c", "2", "--loglevel=WARNING"]
            + ["-n", "burst@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
        )
        counts = manage(env, COUNT)
        while counts["outcomes"].get("received", 0) and time.perf_counter() - started < 600:
            time.sleep(2)
            counts = manage(env, COUNT)
        report.append(
            f"worker done in {time.perf_counter() - started:.0f} s: {counts['issues']} issues; {counts['outcomes']}"
        )
        print(report[-1], flush=True)

        half = signed(range(args.deliveries // 2))
        times, statuses = send_all(path, half, args.threads)
        time.sleep(3)
        counts = manage(env, COUNT)
        report.append(
            f"re-sent {len(half)}: answered 2xx {sum(1 for s in statuses if 200 <= s < 300)}, "
            f"median {statistics.median(times):.1f} ms; issues now {counts['issues']}; {counts['outcomes']}"
        )
        print("\n".join(["", "Summary:", *report]), flush=True)
        return 0 if counts["issues"] == args.deliveries else 1
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
