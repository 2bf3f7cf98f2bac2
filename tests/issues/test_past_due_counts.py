"""The kept overdue counts: a sweep marks the issues past their target, every write keeps the mark true,
and the log's counts equal a count of the issues themselves before, between and after sweeps."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from advocacy.models import Membership
from issues import background, selectors, services
from issues.models import OPEN_Q, OPEN_STATUSES, HotIssue
from tests.factories import MembershipFactory, closing
from tests.issues.test_log_speed import kept, recount

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"),
]
OPEN = [s.value for s in OPEN_STATUSES]


def assert_counts_right(program, manager, departments):
    """The kept counts (with the issues past due since the sweep) equal the issues counted, now and as
    of moments before and after it."""
    issues = HotIssue.objects.filter(OPEN_Q, program=program)
    scopes = [
        ({}, issues),
        ({"owner_id": manager.pk}, issues.filter(owner=manager)),
        ({"department_id": departments[0].pk}, issues.filter(department=departments[0])),
    ]
    present = timezone.now()
    for now in (present, present - timedelta(hours=20), present + timedelta(hours=20)):
        for scope, qs in scopes:
            got = selectors.open_level_counts(program_ids=[program.pk], statuses=OPEN, now=now, **scope)
            assert got == selectors.level_counts(qs, now=now), (scope, now - present)
        every = selectors.open_level_counts(program_ids=None, statuses=OPEN, now=now)
        everything = selectors.level_counts(HotIssue.objects.filter(OPEN_Q), now=now)
        assert {level: c["overdue"] for level, c in every.items()} == {
            level: c["overdue"] for level, c in everything.items()
        }
    assert kept() == recount()


def test_the_sweep_marks_the_overdue_once_and_every_write_keeps_the_mark_true(program, manager, member, departments):
    rng = random.Random(3)
    now = timezone.now()
    made = []
    for n in range(24):
        issue = services.create_issue(
            program=program,
            actor=manager,
            title=f"Issue {n}",
            level=1 + n % 5,
            owner=rng.choice([manager, member]),
            department=rng.choice([None, *departments]),
        )
        # Two thirds past their target (by an hour to two days), the rest not yet due.
        due = now - timedelta(hours=rng.randint(1, 48)) if n % 3 else now + timedelta(hours=rng.randint(1, 48))
        HotIssue.objects.filter(pk=issue.pk).update(first_outreach_due_at=due)
        made.append(issue.pk)
    assert_counts_right(program, manager, departments)  # nothing marked: every overdue issue is read

    marked = background.count_past_due()
    assert marked == 16
    assert HotIssue.objects.filter(past_due_counted=True).count() == 16
    assert background.count_past_due() == 0, "a second run marks nothing"
    assert_counts_right(program, manager, departments)

    # Contacted, closed, given a later target, moved: each write takes the mark off or keeps it true.
    marked_pks = list(HotIssue.objects.filter(past_due_counted=True).values_list("pk", flat=True))
    contacted, resolved, later, reassigned, transferred, relevelled = marked_pks[:6]
    services.log_outreach(issue=HotIssue.objects.get(pk=contacted), actor=manager, channel="phone", outcome="spoke")
    issue = HotIssue.objects.get(pk=resolved)
    services.resolve(issue=issue, actor=manager, resolution="Sorted", **closing(issue))
    HotIssue.objects.filter(pk=later).update(first_outreach_due_at=now + timedelta(days=1))
    issue = HotIssue.objects.get(pk=reassigned)
    services.reassign(issue=issue, actor=manager, owner=member if issue.owner_id == manager.pk else manager)
    issue = HotIssue.objects.get(pk=transferred)
    to = departments[0] if issue.department_id == departments[1].pk else departments[1]
    services.transfer_issue(issue=issue, actor=manager, reason="Not ours", to_department=to)
    HotIssue.objects.filter(pk=relevelled).update(level=5)
    for pk in (contacted, resolved, later):
        assert not HotIssue.objects.get(pk=pk).past_due_counted
    assert HotIssue.objects.get(pk=reassigned).past_due_counted  # still overdue: the mark stays
    assert_counts_right(program, manager, departments)

    # A model saved whole with a stale mark, a reopened issue, one that passes its target now: the
    # counts read them until the next sweep marks them.
    stale = HotIssue.objects.get(pk=reassigned)
    HotIssue.objects.filter(pk=stale.pk).update(past_due_counted=False)
    stale.title = "Saved with the mark it had"
    stale.save()
    services.reopen(issue=HotIssue.objects.get(pk=resolved), actor=manager, reason="Came back")
    HotIssue.objects.filter(pk=made[0]).update(first_outreach_due_at=now - timedelta(minutes=5))
    assert_counts_right(program, manager, departments)
    background.count_past_due()
    assert_counts_right(program, manager, departments)
    assert (
        not HotIssue.objects.filter(
            OPEN_Q, first_outreach_at__isnull=True, first_outreach_due_at__lt=now - timedelta(minutes=2)
        )
        .exclude(past_due_counted=True)
        .exists()
    ), "every issue overdue by more than the margin is marked"


def test_a_mark_is_never_set_on_an_issue_not_overdue(program, manager):
    issue = services.create_issue(program=program, actor=manager, title="Fresh", level=3)
    HotIssue.objects.filter(pk=issue.pk).update(past_due_counted=True)  # a write that claims it
    assert not HotIssue.objects.get(pk=issue.pk).past_due_counted, "not yet due: the trigger refuses the mark"
    assert kept() == recount()


def test_the_sweep_runs_every_minute():
    from django.conf import settings

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "issues.tasks.count_past_due_issues")
    assert entry["schedule"] == 60.0


def test_the_counts_read_no_issue_already_counted_past_due(program, other_program, manager, statements_run):
    """With every overdue issue marked, the counts read no issue at all, for any programs, owner or
    department (each a plan made for any values, as the log's pages run it)."""
    MembershipFactory(program=other_program, user=manager, role=Membership.Role.MANAGER)
    now = timezone.now()
    for n in range(40):
        issue = services.create_issue(
            program=(program, other_program)[n % 2], actor=manager, title=f"Late {n}", level=1 + n % 5
        )
        HotIssue.objects.filter(pk=issue.pk).update(first_outreach_due_at=now - timedelta(hours=1 + n))
    assert background.count_past_due() == 40
    run = statements_run
    for scope in ({}, {"owner_id": manager.pk}, {"department_id": 1}):
        selectors.open_level_counts(program_ids=[program.pk, other_program.pk], statuses=OPEN, **scope)

    def issues_read(node) -> int:
        own = node["Actual Rows"] * node["Actual Loops"] if node.get("Relation Name") == "issues_hotissue" else 0
        return own + sum(issues_read(child) for child in node.get("Plans", ()))

    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        for i, (sql, params) in enumerate(run):
            numbered, _ = selectors.prepared._numbered(sql)
            cursor.execute(f"PREPARE counts_{i} AS {numbered}")
            cursor.execute(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE counts_{i}({', '.join(['%s'] * len(params))})", params
            )
            assert issues_read(cursor.fetchone()[0][0]["Plan"]) == 0, sql
            cursor.execute(f"DEALLOCATE counts_{i}")
        cursor.execute("RESET plan_cache_mode")
