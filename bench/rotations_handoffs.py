"""Benchmark the handoff: 1,000 programs handing off in the same minute, 200 open issues each.

Each handoff runs every real participant of settings.HANDOFF_PARTICIPANTS: the
issues app moves the outgoing advocate's open hot issues to the incoming one
(with a timeline event and a history row each) inside the handoff's
transaction, and insights queues the term report after commit. It
prints the total time, the handoffs per second, and the queries of one
handoff measured with 20 and with 200 open issues (they must not grow with
the number of issues).

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton .venv/bin/python bench/rotations_handoffs.py
"""

import time
from datetime import date

from _rotations_db import bench_database

PROGRAMS, ISSUES = 1000, 200


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import OuterRef, Subquery
    from django.test.utils import CaptureQueriesContext

    from advocacy.models import Program
    from issues.models import HotIssue, Status
    from rotations import boundaries, services
    from rotations.models import Handoff, Term

    User = get_user_model()

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
        created = boundaries.boundary(program=programs[0], day=date(2026, 9, 1))
        HotIssue.objects.bulk_create(
            (
                HotIssue(
                    program=program,
                    owner=users[2 * i],
                    title=f"Issue {k}",
                    words="The customer's own words.",
                    level=1 + k % 5,
                    status=Status.NEW,
                    created_at=created,
                    first_outreach_due_at=created,
                )
                for i, program in enumerate(programs)
                for k in range(issues)
            ),
            batch_size=5000,
        )
        return programs

    boundary = boundaries.boundary(program=Program(time_zone="Europe/Berlin"), day=date(2026, 10, 1))
    now = boundary.replace(second=30)

    # Queries of one handoff, with few and with many open issues.
    for issues in (20, 200):
        (program,) = make_programs(1, issues, f"probe{issues}")
        with CaptureQueriesContext(connection) as q:
            services.perform_due_handoffs(program_id=program.pk, now=now)
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
    moved = HotIssue.objects.filter(
        program__in=programs,
        owner_id=Subquery(Term.objects.filter(program=OuterRef("program"), status="active").values("advocate_id")),
    ).count()
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
