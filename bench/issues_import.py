"""Time the CSV import of survey results: a 200,000-row file, checked and written as the worker does it.

  createdb -h 127.0.0.1 -U postgres baton_bench_import
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench_import DJANGO_SETTINGS_MODULE=config.settings.local DEBUG=0
  .venv/bin/python manage.py migrate
  .venv/bin/python bench/issues_import.py --rows 200000

It creates a bench program with a manager (replacing the data of an earlier
run), generates a CSV whose scores are spread so that about half the rows
score below the import threshold and become hot issues, and runs the import
job's function directly (no broker, no worker). It prints rows per second, the
total, and how long checking the rows and writing the issues took.
"""

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from advocacy.models import Membership, Program  # noqa: E402
from issues.importing import run_import_job  # noqa: E402
from issues.models import Customer, HotIssue, ImportJob, IssueEvent  # noqa: E402

SLUG = "bench-import"
WORDS = "rude slow cold late dirty broken wrong lost noisy missing".split()
PLACES = "Airport,Main St,Harbour,Old Town,Station".split(",")
# 1 and 2 are below the default threshold of 3: half the rows become issues.
SCORES = [1, 2, 3, 4, 5, 1, 2, 1, 4, 5]


class Timings(logging.Handler):
    """Keep the figures the import logs when it finishes."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.record = None

    def emit(self, record):
        if hasattr(record, "check_seconds"):
            self.record = record


def make_csv(rows: int, *, wide: bool, seed: int) -> str:
    rng = random.Random(seed)
    if wide:
        lines = ["date,name,email,score,comment,location"]
        for i in range(rows):
            lines.append(
                f"2026-03-{1 + i % 28:02d},Person {i},p{i}@example.com,{rng.choice(SCORES)},"
                f"{rng.choice(WORDS).capitalize()} and {rng.choice(WORDS)},{rng.choice(PLACES)}"
            )
    else:
        lines = ["score,comment"]
        lines += [f"{rng.choice(SCORES)},{rng.choice(WORDS).capitalize()} {i}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def reset_program():
    """Return the bench program and its manager, without the issues an earlier run imported."""
    User = get_user_model()
    manager, _ = User.objects.get_or_create(username="bench-import-manager", defaults={"first_name": "Bench"})
    program, _ = Program.objects.get_or_create(slug=SLUG, defaults={"name": "Bench import"})
    Membership.objects.get_or_create(program=program, user=manager, defaults={"role": Membership.Role.MANAGER})
    tables = {m: connection.ops.quote_name(m._meta.db_table) for m in (HotIssue, IssueEvent, Customer, ImportJob)}
    history = connection.ops.quote_name(HotIssue.history.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {tables[IssueEvent]} WHERE issue_id IN (SELECT id FROM {tables[HotIssue]} WHERE program_id = %s)",
            [program.pk],
        )
        for table in (history, tables[HotIssue], tables[Customer], tables[ImportJob]):
            cursor.execute(f"DELETE FROM {table} WHERE program_id = %s", [program.pk])
        # Start from compact tables and indexes, as a fresh database would.
        for table in (tables[IssueEvent], history, tables[HotIssue], tables[Customer]):
            cursor.execute(f"VACUUM FULL ANALYZE {table}")
    return program, manager


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--wide", action="store_true", help="add date, name, e-mail and location columns")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL bench database (see the docstring).")

    program, manager = reset_program()
    content = make_csv(args.rows, wide=args.wide, seed=args.seed)
    job = ImportJob.objects.create(
        program=program, kind=ImportJob.Kind.SURVEY, filename="bench.csv", content=content, created_by=manager
    )
    print(f"file: {args.rows:,} rows, {len(content.encode()) / 1e6:.1f} MB", flush=True)

    timings = Timings()
    logger = logging.getLogger("issues.importing")
    logger.addHandler(timings)
    logger.setLevel(logging.INFO)
    started = time.perf_counter()
    job = run_import_job(job_id=job.pk)
    total = time.perf_counter() - started
    logger.removeHandler(timings)

    if job.state != ImportJob.State.DONE:
        sys.exit(f"import {job.state}: {job.errors[:3]}")
    print(f"state: {job.state}, {job.total_rows:,} rows, {job.created_issues:,} hot issues")
    print(f"total: {total:.1f} s, {job.total_rows / total:,.0f} rows/s")
    if timings.record is not None:
        r = timings.record
        print(f"check: {r.check_seconds:.1f} s ({job.total_rows / r.check_seconds:,.0f} rows/s)")
        print(f"write: {r.write_seconds:.1f} s ({job.created_issues / max(r.write_seconds, 1e-9):,.0f} issues/s)")


if __name__ == "__main__":
    main()
