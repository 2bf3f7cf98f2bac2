"""Fill a PostgreSQL database with hot issues fast, for the log benchmark.

  createdb -h 127.0.0.1 -U postgres baton_bench
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/baton_bench DJANGO_SETTINGS_MODULE=config.settings.local
  .venv/bin/python manage.py migrate
  .venv/bin/python bench/issues_fill.py --issues 1000000 --programs 50

For the log's "a page costs what a page costs" figures, one user (`benchwide`)
sees every program's open issues and another (`benchsmall`) a program of its own
with exactly `--small-open` open issues:
  bench/issues_fill.py --issues 100000 --programs 14 --open-share 0.35 --small-open 100    (~35,000 visible)
  bench/issues_fill.py --issues 1000000 --programs 14 --open-share 0.035 --small-open 100  (~35,000 visible)
  bench/issues_fill.py --issues 100000 --programs 14 --open-share 0.0035 --small-open 100  (~340: the same programs)

Rows are streamed with COPY into an unlogged staging table and moved with one
INSERT … SELECT that computes the search vectors, in creation order (as a real log's issues
arrive: ids and table pages follow the creation time); secondary indexes are dropped
before and rebuilt after the load. Existing bench data is replaced.
"""

import argparse
import io
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from advocacy.models import Membership, Program  # noqa: E402
from issues import background, services  # noqa: E402
from issues.models import DEFAULT_TARGET_HOURS, Department, HotIssue  # noqa: E402

BENCH_PASSWORD = "bench-password"
FIRST = "Ana Ben Clara David Emma Farid Greta Hugo Ines Jonas Kira Liam Mona Nils Olga Paul Rosa Sami Tara Uwe".split()
LAST = (
    "Albers Brandt Carter Dietz Eriksen Fischer Garcia Hansen Ivanova Jensen Keller Lopez Meyer Novak Olsen "
    "Peters Quinn Romero Schmidt Tanaka Umar Vogel Weber Xu Yilmaz Zimmer"
).split()
PROBLEMS = [
    ("Charged twice for {what}", "I was charged twice for {what}. Please refund the second payment."),
    ("{what} arrived broken", "The {what} arrived broken and nobody answers my e-mails."),
    ("Waited {n} days for a callback", "I asked for a callback about my {what} {n} days ago. Still nothing."),
    ("Technician missed the appointment", "I took a day off for the {what} installation and nobody came."),
    ("Wrong invoice for {what}", "The invoice for my {what} shows the wrong amount and the wrong address."),
    ("Rude answer on the hotline", "The agent hung up on me when I asked about my {what}."),
    ("Cancelled without notice", "My {what} contract was cancelled without any notice."),
    ("Refund still missing", "You promised a refund for the {what} three weeks ago."),
]
THINGS = "router subscription parcel sofa laptop phone plan modem voucher delivery".split()
ISSUE_COLS = [
    "program_id", "customer_id", "title", "words", "source", "source_url", "level", "public", "status",
    "owner_id", "department_id", "created_by_id", "created_at", "first_outreach_due_at", "first_outreach_at",
    "last_contact_at", "next_attempt_due_at", "resolved_at", "resolution", "satisfaction", "transfer_count",
    "runaround", "tracking_token",
]  # fmt: skip
SOURCES = ["staff", "customer_form", "phone", "email", "social", "review", "web_mention", "mystery_shop", "survey"]


def tsv_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n").replace("\r", " ")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=1_000_000)
    ap.add_argument("--programs", type=int, default=50)
    ap.add_argument("--open-share", type=float, default=0.25, help="share of issues still open")
    ap.add_argument("--small-open", type=int, default=100, help="open issues of the one program `benchsmall` sees")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    assert connection.vendor == "postgresql", "The benchmark needs PostgreSQL (set DATABASE_URL)."
    rng = random.Random(args.seed)
    started = time.perf_counter()
    User = get_user_model()

    with transaction.atomic():
        Program.objects.filter(slug__startswith="bench-").delete()
        User.objects.filter(username__startswith="bench").delete()
        password = make_password(BENCH_PASSWORD)
        users = User.objects.bulk_create(
            [
                User(username=f"bench{i}", first_name=rng.choice(FIRST), last_name=rng.choice(LAST), password=password)
                for i in range(args.programs * 8)
            ]
        )
        programs = Program.objects.bulk_create(
            [Program(name=f"Bench program {i:02d}", slug=f"bench-{i:02d}") for i in range(args.programs)]
        )
        small = Program.objects.create(name="Bench small program", slug="bench-small")
        wide = User.objects.create(username="benchwide", first_name="Wanda", last_name="Wide", password=password)
        small_user = User.objects.create(username="benchsmall", first_name="Sam", last_name="Small", password=password)
        members, departments = {}, {}
        rows = []
        for p_index, program in enumerate(programs):
            team = users[p_index * 8 : (p_index + 1) * 8]
            members[program.pk] = [u.pk for u in team]
            rows += [
                Membership(program=program, user=u, role="manager" if i == 0 else "member") for i, u in enumerate(team)
            ]
        # bench0 (the first program's manager) is also a member of the second program.
        rows.append(Membership(program=programs[1], user=users[0], role="member"))
        # benchwide sees every program's issues (the big case); benchsmall only its small program's.
        rows += [Membership(program=p, user=wide, role="member") for p in programs]
        rows.append(Membership(program=small, user=small_user, role="manager"))
        members[small.pk] = [small_user.pk]
        Membership.objects.bulk_create(rows)
        depts = Department.objects.bulk_create(
            [Department(program=p, name=n) for p in programs for n in ("Billing", "Delivery", "Tech", "Accounts")]
        )
        depts += Department.objects.bulk_create(
            [Department(program=small, name=n) for n in ("Billing", "Delivery", "Tech", "Accounts")]
        )
        for d in depts:
            departments.setdefault(d.program_id, []).append(d.pk)
    print(f"people and programs: {time.perf_counter() - started:.1f} s")

    with connection.cursor() as cur:
        # Remember the index definitions once, so that a re-run after a failed load still rebuilds them.
        cur.execute("CREATE TABLE IF NOT EXISTS bench_index_defs (name text PRIMARY KEY, definition text)")
        cur.execute(
            "INSERT INTO bench_index_defs SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'issues_hotissue' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint) ON CONFLICT DO NOTHING"
        )
        cur.execute("SELECT name, definition FROM bench_index_defs")
        index_defs = cur.fetchall()
        for name, _ in index_defs:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
        cur.execute("ALTER TABLE issues_hotissue DROP CONSTRAINT IF EXISTS issues_hotissue_tracking_token_key")
        cur.execute("SELECT coalesce(max(id), 0) FROM issues_customer")
        customer_id = cur.fetchone()[0]
        cur.execute("DROP TABLE IF EXISTS bench_issue_stage")
        cur.execute(
            f"CREATE UNLOGGED TABLE bench_issue_stage AS SELECT {', '.join(ISSUE_COLS)} FROM issues_hotissue WITH NO DATA"
        )

    now = datetime.now(UTC)
    span = timedelta(days=730).total_seconds()
    issue_cols = ISSUE_COLS
    batch = 100_000
    done = 0
    program_ids = [p.pk for p in programs]
    # The small program: exactly --small-open open issues and three times as many closed ones.
    small_plan = [True] * args.small_open + [False] * (3 * args.small_open)
    total_rows = args.issues + len(small_plan)
    while done < total_rows:
        n = min(batch, total_rows - done)
        issues_buf, customers_buf = io.StringIO(), io.StringIO()
        for _ in range(n):
            if done < args.issues:
                program_id = program_ids[done % len(program_ids)]
                # Most issues are old and closed; the open ones are recent.
                is_open = rng.random() < args.open_share
            else:
                program_id = small.pk
                is_open = small_plan[done - args.issues]
            done += 1
            age = rng.random() * (span / 20 if is_open else span)
            created = now - timedelta(seconds=age)
            level = rng.choices([1, 2, 3, 4, 5], weights=[30, 30, 22, 12, 6])[0]
            due = created + timedelta(hours=DEFAULT_TARGET_HOURS[level])
            what = rng.choice(THINGS)
            title_t, words_t = rng.choice(PROBLEMS)
            title = title_t.format(what=what, n=rng.randint(2, 20))
            words = words_t.format(what=what, n=rng.randint(2, 20))
            cust = ""
            if rng.random() < 0.6:
                customer_id += 1
                cust = str(customer_id)
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                customers_buf.write(
                    f"{customer_id}\t{program_id}\t{name}\t{name.split()[0].lower()}@example.com\t\t\t{now.isoformat()}\n"
                )
            contacted = (not is_open) or rng.random() < 0.5
            first_out = (
                created + timedelta(hours=rng.random() * DEFAULT_TARGET_HOURS[level] * 1.5) if contacted else None
            )
            if first_out and first_out > now:
                first_out = now
            status = (
                (rng.choice(["contacted", "in_progress"]) if is_open and contacted else "new")
                if is_open
                else rng.choice(["resolved"] * 9 + ["unreachable"])
            )
            resolved = (first_out + timedelta(hours=rng.random() * 72)) if not is_open else None
            transfers = rng.choices([0, 1, 2, 3, 4], weights=[70, 15, 8, 5, 2])[0]
            row = [
                program_id, cust or "\\N", title, words, rng.choice(SOURCES), "", level,
                "t" if rng.random() < 0.12 else "f", status, rng.choice(members[program_id]),
                rng.choice(departments[program_id]) if rng.random() < 0.7 else "\\N", "\\N", created.isoformat(),
                due.isoformat(), first_out.isoformat() if first_out else "\\N",
                first_out.isoformat() if first_out else "\\N", "\\N", resolved.isoformat() if resolved else "\\N",
                "Resolved." if resolved else "", rng.randint(1, 5) if resolved and rng.random() < 0.4 else "\\N",
                transfers, "t" if transfers >= 3 else "f", secrets.token_urlsafe(24),
            ]  # fmt: skip
            issues_buf.write("\t".join(tsv_escape(str(v)) if v != "\\N" else v for v in row) + "\n")
        with connection.cursor() as cur:
            customers_buf.seek(0)
            cur.copy_expert(
                "COPY issues_customer (id, program_id, name, email, phone, company, created_at) FROM STDIN",
                customers_buf,
            )
            issues_buf.seek(0)
            cur.copy_expert(f"COPY bench_issue_stage ({', '.join(issue_cols)}) FROM STDIN", issues_buf)
        print(f"  staged {done:,} issues: {time.perf_counter() - started:.1f} s", flush=True)

    with connection.cursor() as cur:
        # The open-issue counts (issues.OpenIssueCount) are kept by a trigger: off for the bulk
        # load, then recounted from scratch in one statement.
        cur.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'issues_count_open'")
        counted = cur.fetchone() is not None
        if counted:
            cur.execute("ALTER TABLE issues_hotissue DISABLE TRIGGER issues_count_open")
        # Columns the fill does not write but may not be NULL take their model default
        # (Django keeps defaults in Python, not in the table).
        fixed = {
            f.column: f.get_default()
            for f in HotIssue._meta.concrete_fields
            if f.column not in issue_cols and f.column != "search_vector" and not f.null and not f.primary_key
        }
        cols = ", ".join([*issue_cols, *fixed])
        # In the order they were created, as a real log's issues arrive: ids and the table's
        # pages follow the creation time (the recent, open issues sit together at its end).
        cur.execute(
            f"""INSERT INTO issues_hotissue ({cols}, search_vector)
            SELECT {", ".join(["s." + c for c in issue_cols] + ["%s"] * len(fixed))},
                   setweight(to_tsvector('english', s.title), 'A')
                   || setweight(to_tsvector('english', coalesce(c.name, '') || ' ' || coalesce(c.email, '')), 'A')
                   || setweight(to_tsvector('english', s.words), 'B')
            FROM bench_issue_stage s LEFT JOIN issues_customer c ON c.id = s.customer_id
            ORDER BY s.created_at""",
            list(fixed.values()),
        )
        cur.execute("DROP TABLE bench_issue_stage")
        # The customer flags the log filters on: about one issue in twelve is a repeat, and a
        # customer with a level-5 issue is at risk.
        cur.execute("UPDATE issues_hotissue SET is_repeat = TRUE WHERE customer_id IS NOT NULL AND id % 12 = 0")
        cur.execute(
            "UPDATE issues_customer c SET at_risk = TRUE WHERE EXISTS "
            "(SELECT 1 FROM issues_hotissue h WHERE h.customer_id = c.id AND h.level = 5)"
        )
        # The issues past their target marked for the kept overdue counts, by the minute's sweep.
        background.count_past_due()
        if counted:
            cur.execute("ALTER TABLE issues_hotissue ENABLE TRIGGER issues_count_open")
            cur.execute("SELECT issues_recount_open()")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('issues_customer', 'id'), (SELECT max(id) FROM issues_customer))"
        )
        print(f"moved into issues_hotissue with search vectors: {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            "ALTER TABLE issues_hotissue ADD CONSTRAINT issues_hotissue_tracking_token_key UNIQUE (tracking_token)"
        )
        for _name, definition in index_defs:
            cur.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        print(f"indexes rebuilt: {time.perf_counter() - started:.1f} s", flush=True)
        # VACUUM sets the visibility map, so the covering index answers with index-only scans.
        cur.execute("VACUUM ANALYZE issues_hotissue")
        cur.execute("ANALYZE issues_customer")

    # One issue with 50 timeline events for the detail page.
    manager = User.objects.get(username="bench0")
    issue = services.create_issue(
        program=programs[0], actor=manager, title="Bench detail issue", words="Fifty events.", level=4
    )
    for i in range(24):
        services.log_outreach(issue=issue, actor=manager, channel="phone", outcome="no_answer", note=f"try {i}")
    for i in range(25):
        services.transfer_issue(
            issue=issue, actor=manager, to_department=Department.objects.get(pk=departments[programs[0].pk][i % 4]),
            reason=f"bounce {i}",
        )  # fmt: skip
    print(f"detail issue {issue.pk} has {issue.events.count()} events")
    total = HotIssue.objects.count()
    print(f"done: {total:,} issues in {len(programs)} programs in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
