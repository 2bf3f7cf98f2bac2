"""Load test: N signed-in users over the main pages against gunicorn on PostgreSQL.

Run with `make bench-load` (or `.venv/bin/python bench/load.py --users 50 --seconds 60`).
It creates a fresh PostgreSQL database `baton_load`, loads the demo data plus
one account per simulated user, starts gunicorn with the production settings
on 127.0.0.1:8400, drives it with locust for the given time, and prints
requests/s, p50/p95/p99 latency and errors. Traffic goes to localhost only
and stops by itself.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import gevent  # noqa: F401  (locust needs gevent's monkey-patching first)
from locust import FastHttpUser, between, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
PORT = 8400
DB = "baton_load"
PASSWORD = "baton-demo"


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def prepare(env: dict, users: int) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    py = sys.executable
    run([py, "manage.py", "migrate", "-v", "0"], env)
    run([py, "manage.py", "demo", "--quiet-logins"], env)
    run([py, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    script = (
        "import os\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        "from advocacy.models import Membership, Program\n"
        "U = get_user_model(); pw = make_password(os.environ['LOAD_PASSWORD'])\n"
        "programs = list(Program.objects.all())\n"
        "for i in range(int(os.environ['LOAD_USERS'])):\n"
        "    u, _ = U.objects.get_or_create(username=f'load{i}', defaults={'password': pw, 'first_name': f'Load {i}'})\n"
        "    for p in programs: Membership.objects.get_or_create(program=p, user=u)\n"
    )
    env = {**env, "LOAD_USERS": str(users), "LOAD_PASSWORD": PASSWORD}
    run([py, "manage.py", "shell", "-c", script], env)


class SignedInUser(FastHttpUser):
    wait_time = between(0.5, 1.5)
    host = f"http://127.0.0.1:{PORT}"
    counter = 0

    def on_start(self):
        SignedInUser.counter += 1
        username = f"load{SignedInUser.counter - 1}"
        self.client.get("/accounts/login/", name="login page")
        token = next(c.value for c in self.client.cookiejar if c.name == "csrftoken")
        self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
        )

    @task(3)
    def program_page(self):
        self.client.get(f"/programs/{random.choice(['support-desk', 'web-shop'])}/", name="program page")

    @task(2)
    def my_programs(self):
        self.client.get("/programs/", name="my programs")

    @task(1)
    def role(self):
        self.client.get("/programs/support-desk/role/", name="role page")

    @task(1)
    def thanks(self):
        self.client.get("/programs/support-desk/thanks/", name="thanks")

    @task(3)
    def issue_log(self):
        self.client.get("/issues/", name="hot-issue log")

    @task(1)
    def schedule(self):
        self.client.get("/programs/support-desk/schedule/", name="schedule")

    @task(1)
    def health(self):
        self.client.get("/programs/support-desk/health/", name="program health")

    @task(1)
    def my_page(self):
        self.client.get("/me/", name="my page")

    @task(1)
    def notifications(self):
        self.client.get("/me/notifications/", name="notifications")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    args = ap.parse_args()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
        "SECRET_KEY": "load-test-secret-key-that-is-long-enough-to-pass-checks",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    print(f"Preparing database {DB} with {args.users} users…", flush=True)
    prepare(env, args.users)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)
        environment = Environment(user_classes=[SignedInUser])
        runner = environment.create_local_runner()
        runner.start(args.users, spawn_rate=args.users)
        # Signing in hashes 50 passwords at once; measure the steady state after it.
        while (
            sum(1 for u in runner.user_greenlets) < args.users
            or environment.stats.get("sign in", "POST").num_requests < args.users
        ):
            time.sleep(0.5)
        time.sleep(2)
        environment.stats.reset_all()
        time.sleep(args.seconds)
        runner.quit()
        total = environment.stats.total
        print(f"\n{args.users} users for {args.seconds}s against gunicorn ({args.workers} workers) on PostgreSQL")
        print(f"{'page':<16}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for name, entry in sorted(environment.stats.entries.items()):
            print(
                f"{name[0]:<16}{entry.num_requests:>10}{entry.get_response_time_percentile(0.5):>9.0f}"
                f"{entry.get_response_time_percentile(0.95):>9.0f}{entry.get_response_time_percentile(0.99):>9.0f}"
                f"{entry.num_failures:>8}"
            )
        print(
            f"{'TOTAL':<16}{total.num_requests:>10}{total.get_response_time_percentile(0.5):>9.0f}"
            f"{total.get_response_time_percentile(0.95):>9.0f}{total.get_response_time_percentile(0.99):>9.0f}"
            f"{total.num_failures:>8}"
        )
        print(f"requests/s: {total.num_requests / args.seconds:.1f}   errors: {total.num_failures}")
        return 0 if total.num_failures == 0 else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
