"""Benchmark the handoff: 1,000 programs handing off in the same minute, 200 open issues each.

The issues app is built separately; this bench stands in for it with a minimal
`handoff_performed` receiver that moves a program's open issues (rows in a
bench-only table) to the incoming advocate with one UPDATE, as the issues app's
receiver is meant to. It prints the total time, the handoffs per second, and
the queries of one handoff measured with 20 and with 200 open issues (they
must not grow with the number of issues).

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton .venv/bin/python bench/rotations_handoffs.py
"""

import time
from datetime import date

from _rotations_db import bench_database

PROGRAMS, ISSUES = 1000, 200


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from advocacy.models import Program
    from rotations import boundaries, services
    from rotations.models import Handoff, Term
    from rotations.signals import handoff_performed

    User = get_user_model()
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_issue (id bigserial PRIMARY KEY, program_id bigint NOT NULL, "
            "owner_id bigint, status varchar(10) NOT NULL)"
        )
        cur.execute("CREATE INDEX bench_issue_open ON bench_issue (program_id) WHERE status = 'open'")

    def move_open_issues(program, incoming_advocate, **kwargs):
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE bench_issue SET owner_id = %s WHERE program_id = %s AND status = 'open'",
                [incoming_advocate.pk if incoming_advocate else None, program.pk],
            )

    handoff_performed.connect(move_open_issues, weak=False)

    def make_programs(n: int, issues: int, prefix: str):
        programs = Program.objects.bulk_create(
            [
                Program(name=f"{prefix} {i}", slug=f"{prefix}-{i}", time_zone="Europe/Berlin", term_months=3)
                for i in range(n)
            ]
        )
        users = User.objects.bulk_create(
            [User(username=f"{prefix}-u{i}", email=f"{prefix}{i}@example.com") for i in range(2 * n)]
        )
        terms = []
        for i, program in enumerate(programs):
            for j, start in enumerate((date(2026, 7, 1), date(2026, 10, 1))):
                end = boundaries.term_end_date(program=program, start_date=start)
                terms.append(
                    Term(
                        program=program,
                        advocate=users[2 * i + j],
                        start_date=start,
                        end_date=end,
                        starts_at=boundaries.boundary(program=program, day=start),
                        ends_at=boundaries.boundary(program=program, day=end),
                        status=Term.Status.ACTIVE if j == 0 else Term.Status.PLANNED,
                        time_zone=program.time_zone,
                        handoff_time=program.handoff_time,
                    )
                )
        Term.objects.bulk_create(terms)
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO bench_issue (program_id, owner_id, status) "
                "SELECT p.id, NULL, 'open' FROM advocacy_program p, generate_series(1, %s) "
                "WHERE p.slug LIKE %s",
                [issues, f"{prefix}-%"],
            )
        return programs

    boundary = boundaries.boundary(program=Program(time_zone="Europe/Berlin"), day=date(2026, 10, 1))
    now = boundary.replace(second=30)

    # Queries of one handoff, with few and with many open issues.
    for issues in (20, 200):
        (program,) = make_programs(1, issues, f"probe{issues}")
        with CaptureQueriesContext(connection) as q:
            services.handoffs_for_program(program_id=program.pk, now=now)
        print(f"queries for one handoff with {issues} open issues: {len(q)}")

    programs = make_programs(PROGRAMS, ISSUES, "p")
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    t0 = time.perf_counter()
    with connection.execute_wrapper(counter):
        performed = services.run_due_handoffs(now=now)
    elapsed = time.perf_counter() - t0
    assert performed == PROGRAMS, performed
    moved = 0
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM bench_issue i JOIN rotations_term t ON t.program_id = i.program_id "
            "AND t.status = 'active' AND t.advocate_id = i.owner_id WHERE i.program_id = ANY(%s)",
            [[p.pk for p in programs]],
        )
        moved = cur.fetchone()[0]
    print(
        f"{PROGRAMS} programs handing off in the same minute ({ISSUES} open issues each, "
        f"{moved} issues moved): {elapsed:.2f} s, {PROGRAMS / elapsed:.0f} handoffs/s, "
        f"{count[0]} queries ({count[0] / PROGRAMS:.1f} per handoff, e-mails on commit included)"
    )
    again = time.perf_counter()
    assert services.run_due_handoffs(now=now) == 0
    print(f"second run (nothing due, idempotent): {(time.perf_counter() - again) * 1000:.1f} ms")
    assert Handoff.objects.filter(program__in=programs).count() == PROGRAMS


if __name__ == "__main__":
    with bench_database("baton_bench_rotations_handoffs"):
        run()
