"""Benchmark the planner: 200 members x 120 terms.

Prints the pure planning time (median of several runs) and the time of the
full service path on PostgreSQL: preview (reads ledger, leave, history) and
save (writes 120 terms and tells everyone whose terms moved).

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton .venv/bin/python bench/rotations_planner.py
"""

import statistics
import time
from datetime import date, timedelta

from _rotations_db import bench_database

MEMBERS, TERMS = 200, 120


def pure() -> None:
    from rotations import boundaries, planner

    start = date(2027, 1, 1)
    slots = [planner.Slot(boundaries.add_months(start, i), boundaries.add_months(start, i + 1)) for i in range(TERMS)]
    people = list(range(1, MEMBERS + 1))
    leave = {p: [(start + timedelta(days=7 * p), start + timedelta(days=7 * p + 20))] for p in people[::5]}
    data = planner.PlanInput(slots=slots, people=people, leave=leave, max_per_year=2)
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        picks = planner.plan(data)
        runs.append(time.perf_counter() - t0)
    assert len(picks) == TERMS
    print(
        f"planner (pure, {MEMBERS} members x {TERMS} terms, 40 with leave): median {statistics.median(runs) * 1000:.1f} ms"
    )


def service() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from advocacy.models import Membership, Program
    from rotations import services

    User = get_user_model()
    program = Program.objects.create(name="Bench", slug="bench", time_zone="Europe/Berlin", term_months=1)
    users = User.objects.bulk_create([User(username=f"m{i}", email=f"m{i}@example.com") for i in range(MEMBERS)])
    Membership.objects.bulk_create([Membership(program=program, user=u) for u in users])
    manager = User.objects.create(username="boss", is_superuser=True)
    now = timezone.now()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        preview = services.preview_plan(program=program, count=min(TERMS, services.MAX_PLAN), now=now)
    t1 = time.perf_counter()
    print(
        f"preview_plan on PostgreSQL ({MEMBERS} members x {len(preview.rows)} terms): "
        f"{(t1 - t0) * 1000:.1f} ms, {len(q)} queries"
    )
    with CaptureQueriesContext(connection) as q:
        t0 = time.perf_counter()
        services.save_plan(
            program=program, actor=manager, count=len(preview.rows), fingerprint=preview.fingerprint, now=now
        )
        t1 = time.perf_counter()
    print(f"save_plan ({len(preview.rows)} new terms, notifications): {(t1 - t0) * 1000:.1f} ms, {len(q)} queries")
    # Replan the same window after ten people go on leave for the whole period.
    from rotations.models import Leave

    Leave.objects.bulk_create(
        [Leave(user=u, first_day=preview.rows[0].start_date, last_day=preview.rows[-1].end_date) for u in users[:10]]
    )
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as q:
        again = services.preview_plan(program=program, count=len(preview.rows), now=now)
        services.save_plan(
            program=program, actor=manager, count=len(again.rows), fingerprint=again.fingerprint, now=now
        )
    print(
        f"replan {len(again.rows)} saved terms after 10 people took leave ({again.change_count} changes): "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms, {len(q)} queries"
    )


if __name__ == "__main__":
    with bench_database("baton_bench_rotations_planner"):
        pure()
        service()
