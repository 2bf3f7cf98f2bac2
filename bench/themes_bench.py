"""Time a theme's page with 10,000 issues in the theme (and its before/after counts shipped).

  createdb -h 127.0.0.1 -U postgres baton_bench
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python manage.py migrate
  .venv/bin/python bench/themes_bench.py [--issues 10000] [--runs 30]

Builds (once, in a program of its own, "themes-bench") a theme whose fix has
shipped, with `--issues` closed issues of its root cause received over the 16
weeks around the ship date, all in the theme. Requests go through Django's
full stack in-process as the program's manager. Prints the median and p95
server time and the query count of the theme page, a deep page of its
issues and the theme list, interleaved with the floor page (bench/floor.py: a
signed-in page doing one indexed SELECT into a tiny template) measured in the
same run ("x floor").
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
from django.urls import clear_url_caches  # noqa: E402
from django.utils import timezone  # noqa: E402

from advocacy.models import Membership, Program  # noqa: E402
from issues.models import Customer, HotIssue, RootCause, Status  # noqa: E402
from issues.services import seed_default_root_causes  # noqa: E402
from themes.models import FixStatus, Theme, ThemeIssue  # noqa: E402
from themes.services import create_theme, move_fix  # noqa: E402

SLUG = "themes-bench"


def p95(series: list[float]) -> float:
    series = sorted(series)
    return series[min(len(series) - 1, int(round(0.95 * len(series))) - 1)]


@transaction.atomic
def build(n: int) -> tuple[Theme, object]:
    manager, _ = get_user_model().objects.get_or_create(username="benchmanager", defaults={"first_name": "Bea"})
    program, _ = Program.objects.get_or_create(
        slug=SLUG, defaults={"name": "Themes bench", "time_zone": "Europe/Berlin"}
    )
    Membership.objects.get_or_create(program=program, user=manager, defaults={"role": Membership.Role.MANAGER})
    seed_default_root_causes(program=program)
    cause = RootCause.objects.get(program=program, name="Billing error")
    theme = Theme.objects.filter(program=program).first()
    if theme is not None and theme.links.count() == n:
        return theme, manager
    Theme.objects.filter(program=program).delete()
    HotIssue.objects.filter(program=program).delete()
    theme = create_theme(
        program=program, actor=manager, title="Charged twice", root_cause=cause, owner_member=manager, fix="One key."
    )
    for status in (FixStatus.AGREED, FixStatus.IN_PROGRESS, FixStatus.SHIPPED):
        theme = move_fix(theme=theme, actor=manager, to_status=status)
    rng = random.Random(7)
    ship = theme.shipped_at
    customers = Customer.objects.bulk_create(
        Customer(program=program, name=f"Customer {i}", email=f"c{i}@example.com") for i in range(n // 2)
    )
    issues = []
    for i in range(n):
        received = ship + timedelta(days=rng.uniform(-56, 56))
        issues.append(
            HotIssue(
                program=program,
                customer=rng.choice(customers),
                title=f"Charged twice for order {i}",
                level=rng.randint(1, 5),
                public=rng.random() < 0.1,
                status=Status.RESOLVED,
                owner=manager,
                created_at=received,
                first_outreach_due_at=received + timedelta(hours=24),
                resolved_at=received + timedelta(days=2),
                resolution="Refunded.",
                root_cause=cause,
                lasting_fix_needed=True,
            )
        )
    HotIssue.objects.bulk_create(issues, batch_size=2000)
    now = timezone.now()
    ThemeIssue.objects.bulk_create(
        (
            ThemeIssue(theme=theme, issue=issue, added_by=manager, added_at=now - timedelta(seconds=i))
            for i, issue in enumerate(issues)
        ),
        batch_size=2000,
    )
    return theme, manager


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    assert connection.vendor == "postgresql", "The benchmark needs PostgreSQL (set DATABASE_URL)."
    settings.ALLOWED_HOSTS = ["*"]
    theme, manager = build(args.issues)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE issues_hotissue")
        cur.execute("VACUUM ANALYZE themes_themeissue")
    client = Client()
    client.force_login(manager)
    url = theme.get_absolute_url()
    print(
        f"{theme.links.count():,} issues in the theme; {HotIssue.objects.count():,} issues in all; {args.runs} runs each"
    )
    settings.ROOT_URLCONF = "bench.floor"  # the project's URLs and the floor page (see bench/floor.py)
    clear_url_caches()
    cases = [
        ("floor", lambda: client.get("/bench/floor/")),
        ("theme page", lambda: client.get(url)),
        ("theme page, issues page 200", lambda: client.get(url, {"page": "200"})),
        ("theme list", lambda: client.get(f"/programs/{SLUG}/themes/")),
    ]
    for name, run in cases:
        assert run().status_code == 200, name
    # Runs go round the pages in turn, so a burst of load on a shared machine touches every page alike.
    times = {name: [] for name, _ in cases}
    for _ in range(args.runs):
        for name, run in cases:
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1000)
    floor = statistics.median(times["floor"])
    for name, run in cases:
        with CaptureQueriesContext(connection) as queries:
            run()
        median = statistics.median(times[name])
        print(
            f"  {name:30} median {median:6.1f} ms   p95 {p95(times[name]):6.1f} ms   {median / floor:5.1f} x floor"
            f"   {len(queries)} queries"
        )


if __name__ == "__main__":
    main()
