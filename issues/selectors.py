"""Reads for hot issues: the log in priority order, counts, the timeline, panels.

Every function does its joins once, so a page costs the same number of
queries at 100 issues and at 1,000,000.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Avg, BooleanField, Case, Count, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import visible_program_ids, visible_programs
from advocacy.selectors import display_name
from core.zones import activate_zone
from rotations.selectors import current_incoming_handoffs

from .models import OPEN_Q, Department, HotIssue, ImportJob, IssueEvent, Mention, MentionFeed, overdue_q

# What a log row shows (issues/rows.py): fetching only these keeps each of the
# page's 25 rows (and its four joined objects) small to build.
LOG_ROW_FIELDS = (
    "id",
    "title",
    "level",
    "public",
    "status",
    "source",
    "created_at",
    "first_outreach_due_at",
    "first_outreach_at",
    "next_attempt_due_at",
    "runaround",
    "transfer_count",
    "program__name",
    "program__slug",
    "customer__name",
    "customer__email",
    "customer__phone",
    "customer__company",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
    "department__name",
)
PRIORITY_ORDER = ("-overdue", "-runaround", "-level", "-public", "created_at", "id")


def with_priority(qs: QuerySet[HotIssue], *, now: datetime | None = None) -> QuerySet[HotIssue]:
    """Annotate `overdue` and order by the log's priority: overdue, runaround, level, public, oldest."""
    now = now or timezone.now()
    return qs.annotate(
        overdue=Case(When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField())
    ).order_by(*PRIORITY_ORDER)


def log_rows(qs: QuerySet[HotIssue]) -> QuerySet[HotIssue]:
    """Fetch what a log row shows (and only that), in one query."""
    return qs.select_related("program", "customer", "owner", "department").only(*LOG_ROW_FIELDS)


class LazyLogRows:
    """The log's rows in priority order, fetched lazily a slice at a time (what the paginator slices).

    Step 1 takes the page's ids in priority order from the covering partial
    index (an index-only scan and a small top-N sort); step 2 fetches those 25
    rows with their joins. Both cost the same at 100 and 1,000,000 issues.
    """

    def __init__(self, qs: QuerySet[HotIssue], *, now: datetime | None = None):
        self.qs = qs
        self.now = now or timezone.now()

    def count(self) -> int:  # the paginator is told the count; this is a fallback
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[HotIssue]:
        ordered = with_priority(self.qs, now=self.now)
        ids = list(ordered.values_list("id", flat=True)[window])
        if not ids:
            return []
        rows = log_rows(HotIssue.objects.filter(pk__in=ids)).in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]


def programs_for(*, user: AbstractBaseUser) -> QuerySet[Program]:
    """Return the programs whose issues `user` sees (and may log issues in), by name."""
    return visible_programs(user=user).order_by("name")


def log_programs(*, user: AbstractBaseUser) -> list[Program]:
    """Return the programs whose issues `user` sees in the log, by name (only what the filter bar shows)."""
    return list(programs_for(user=user).only("pk", "name", "slug", "time_zone"))


def log_issues(*, program_ids: list[int]) -> tuple[QuerySet[HotIssue], QuerySet[Program]]:
    """Return the issues the log filters, and the programs its program filter offers."""
    issues = HotIssue.objects.filter(program_id__in=program_ids)
    programs = Program.objects.filter(pk__in=program_ids).order_by("name")
    return issues, programs


def log_people(*, program_ids: list[int]) -> list[tuple[int, str]]:
    """Return (pk, name) of everyone in these programs, for the log's owner filter."""
    return [
        (u.pk, display_name(u))
        for u in get_user_model()
        .objects.filter(memberships__program_id__in=program_ids)
        .distinct()
        .only("pk", "first_name", "last_name", "username")
        .order_by("first_name", "username")
    ]


def log_departments(*, program_ids: list[int]) -> list[tuple[str, str]]:
    """Return (pk as text, name) of these programs' departments, for the log's department filter."""
    return [
        (str(pk), name) for pk, name in Department.objects.filter(program_id__in=program_ids).values_list("pk", "name")
    ]


def issue_for_tracking(*, token: str) -> HotIssue | None:
    """Return the issue behind a customer's tracking link with only what its page shows, or None."""
    return (
        HotIssue.objects.select_related("program", "owner")
        .only(
            "title",
            "status",
            "created_at",
            "last_contact_at",
            "resolved_at",
            "satisfaction",
            "tracking_token",
            "program__name",
            "program__slug",
            "program__time_zone",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
        .filter(tracking_token=token)
        .first()
    )


def log_row(*, pk: int, now: datetime | None = None) -> HotIssue:
    """Return one issue as a log row shows it (for re-rendering that row after an action)."""
    return LazyLogRows(HotIssue.objects.filter(pk=pk), now=now)[0:1][0]


def search(qs: QuerySet[HotIssue], text: str) -> QuerySet[HotIssue]:
    """Full-text search over title, the customer's words and the customer (LIKE on SQLite)."""
    text = (text or "").strip()
    if not text:
        return qs
    if connection.vendor == "postgresql":
        # One configuration for the whole document (names stem harmlessly), so
        # one tsquery serves title, words and customer alike.
        return qs.filter(search_vector=SearchQuery(text, search_type="websearch", config="english"))
    q = Q()
    for word in text.split():
        q &= (
            Q(title__icontains=word)
            | Q(words__icontains=word)
            | Q(customer__name__icontains=word)
            | Q(customer__company__icontains=word)
            | Q(customer__email__icontains=word)
        )
    return qs.filter(q)


def level_counts(qs: QuerySet[HotIssue], *, now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Return {level: {"n": count, "overdue": count}} for a filtered log in one GROUP BY query."""
    now = now or timezone.now()
    rows = qs.order_by().values_list("level").annotate(n=Count("id"), overdue=Count("id", filter=overdue_q(now)))
    counts = {level: {"n": 0, "overdue": 0} for level in range(5, 0, -1)}
    for level, n, overdue in rows:
        counts[level] = {"n": n, "overdue": overdue}
    return counts


def issue_for_user(*, user: AbstractBaseUser, pk: int) -> HotIssue:
    """Return an issue the user may see (404 otherwise), with what its page shows.

    Two queries: the issue with its program, customer and department (the
    access check is a subquery of it), then its three people in one. Joining
    auth_user three times costs PostgreSQL more to plan than both together.
    The program's time zone becomes the request's (what is typed and shown).
    """
    qs = (
        HotIssue.objects.select_related("program", "customer", "department")
        .defer("search_vector")
        .filter(pk=pk, program__in=visible_programs(user=user).values("pk"))
    )
    issue = next(iter(qs), None)  # not .first(): its ORDER BY only adds planning time
    if issue is None:
        raise Http404("No such issue.")
    activate_zone(issue.program.time_zone)
    people_ids = {issue.owner_id, issue.created_by_id, issue.resolved_by_id} - {None}
    people = get_user_model().objects.in_bulk(people_ids)
    for name in ("owner", "created_by", "resolved_by"):
        person_id = getattr(issue, f"{name}_id")
        if person_id in people:
            HotIssue._meta.get_field(name).set_cached_value(issue, people[person_id])
    return issue


def timeline(*, issue: HotIssue) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(issue=issue).select_related("actor").order_by("at", "id")


def program_issue_summary(*, program: Program, now: datetime | None = None) -> dict:
    """Return open counts per level, overdue and runaround counts for a program, in one query."""
    now = now or timezone.now()
    agg = {f"level_{n}": Count("id", filter=Q(level=n)) for n in range(1, 6)}
    row = HotIssue.objects.filter(OPEN_Q, program=program).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue_q(now)),
        runaround=Count("id", filter=Q(runaround=True)),
        **agg,
    )
    row["levels"] = [(n, row[f"level_{n}"]) for n in range(5, 0, -1)]
    return row


def feed_of(*, program: Program, pk: int) -> MentionFeed:
    """Return the program's feed `pk` (404 otherwise)."""
    return get_object_or_404(MentionFeed, pk=pk, program=program)


def mention_of(*, program: Program, pk: int) -> Mention:
    """Return the program's mention `pk` (404 otherwise)."""
    return get_object_or_404(Mention, pk=pk, program=program)


def departments_with_issue_counts(*, program: Program) -> QuerySet[Department]:
    """Return the program's departments, each with how many issues it has (`issue_count`)."""
    return Department.objects.filter(program=program).annotate(issue_count=Count("issues"))


def recent_imports(*, program: Program, limit: int = 10) -> QuerySet[ImportJob]:
    """Return the program's latest imports, without their file contents."""
    return ImportJob.objects.filter(program=program).defer("content")[:limit]


def import_for_user(*, user: AbstractBaseUser, pk: int) -> ImportJob:
    """Return an import of a program `user` sees (404 otherwise), without its file contents."""
    job = get_object_or_404(ImportJob.objects.select_related("program").defer("content"), pk=pk)
    if job.program_id not in visible_program_ids(user=user):
        raise Http404("No such import.")
    return job


def mentions_to_triage(*, program: Program) -> QuerySet[Mention]:
    return Mention.objects.filter(program=program, state=Mention.State.NEW).select_related("feed")


def feeds_of(*, program: Program) -> QuerySet[MentionFeed]:
    return MentionFeed.objects.filter(program=program).annotate(
        new_mentions=Count("mentions", filter=Q(mentions__state=Mention.State.NEW))
    )


def satisfaction_for_period(*, program: Program, start: datetime, end: datetime) -> dict:
    """Return how satisfied customers said they were after issues resolved in [start, end).

    Used for an advocate's term: the rotations app's Term gives the range.
    """
    row = HotIssue.objects.filter(
        program=program, resolved_at__gte=start, resolved_at__lt=end, satisfaction__isnull=False
    ).aggregate(answers=Count("id"), average=Avg("satisfaction"))
    row["average"] = round(row["average"], 1) if row["average"] is not None else None
    return row


def satisfaction_for_term(*, term) -> dict:
    """Return the satisfaction answers counted for one advocate's term."""
    return satisfaction_for_period(program=term.program, start=term.starts_at, end=term.ends_at)


HISTORY_HIDDEN = {"search_vector", "overdue_notified_at"}


def _shown(value, zone=None) -> str:
    """Write a history value the way a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value, zone):%d %b %Y %H:%M}"
    return str(value)


def change_history(*, issue: HotIssue) -> list[dict]:
    """Return every saved change of the issue, newest first, as readable field changes.

    Reads all history rows in one query and diffs neighbours in memory; owner
    and department ids are turned into names with one query each.
    """
    records = list(issue.history.select_related("history_user").order_by("history_date", "history_id"))
    user_ids, dept_ids = set(), set()
    for r in records:
        user_ids.update(filter(None, [r.owner_id, r.resolved_by_id]))
        if r.department_id:
            dept_ids.add(r.department_id)
    users = {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
    depts = dict(Department.objects.filter(pk__in=dept_ids).values_list("pk", "name"))
    names = {"owner": users, "resolved_by": users, "department": depts}
    out = []
    for older, newer in zip([None, *records], records, strict=False):
        changes = []
        if older is not None:
            delta = newer.diff_against(older, excluded_fields=HISTORY_HIDDEN | {"tracking_token"})
            for change in delta.changes:
                field = HotIssue._meta.get_field(change.field)
                lookup = names.get(change.field)
                old, new = change.old, change.new
                if lookup is not None:
                    old, new = lookup.get(old, old), lookup.get(new, new)
                elif getattr(field, "choices", None):
                    choices = dict(field.flatchoices)
                    old, new = choices.get(old, old), choices.get(new, new)
                zone = issue.program.zone
                changes.append({"field": field.verbose_name, "old": _shown(old, zone), "new": _shown(new, zone)})
        out.append(
            {
                "at": newer.history_date,
                "who": display_name(newer.history_user) if newer.history_user else "",
                "reason": newer.history_change_reason or ("Created" if newer.history_type == "+" else "Changed"),
                "changes": changes,
            }
        )
    return out[::-1]


# ---------------------------------------------------------------- issues that came with the baton

# The name issues' handoff participant (issues.receivers.on_handoff) reports its moved issues under.
HANDOFF_PARTICIPANT = "issues.open_issues"


def inherited_issues(*, user: AbstractBaseUser, at: datetime | None = None) -> dict[int, AbstractBaseUser | None]:
    """Return {issue id: the previous advocate} for the issues that passed to `user` when their current terms began.

    Read from what the issues participant recorded on each handoff (Handoff.effects): one query.
    """
    found: dict[int, AbstractBaseUser | None] = {}
    for handoff in current_incoming_handoffs(user=user, at=at):
        for effect in handoff.effect_list:
            if effect.participant == HANDOFF_PARTICIPANT:
                found.update(dict.fromkeys(effect.ids, handoff.outgoing_advocate))
    return found


def issues_moved_at(*, handoff, user: AbstractBaseUser) -> list[HotIssue]:
    """Return the issues the handoff moved (as its issues participant recorded them) that `user` may see."""
    ids = [i for effect in handoff.effect_list if effect.participant == HANDOFF_PARTICIPANT for i in effect.ids]
    if not ids:
        return []
    return list(
        HotIssue.objects.filter(pk__in=ids, program__in=visible_programs(user=user).values("pk"))
        .only("pk", "title", "level", "status")
        .order_by("-level", "pk")
    )
