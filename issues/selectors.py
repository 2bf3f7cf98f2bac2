"""Reads for hot issues: the log in priority order, counts, the timeline, panels.

Every function does its joins once, so a page costs the same number of
queries at 100 issues and at 1,000,000.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Avg, BooleanField, Case, Count, DateTimeField, F, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import visible_program_ids, visible_programs
from advocacy.selectors import display_name
from core.when import format_moment
from core.zones import activate_zone
from rotations.selectors import current_incoming_handoffs

from .models import OPEN_Q, Department, HotIssue, ImportJob, IssueEvent, Mention, MentionFeed, OpenIssueCount, overdue_q

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
# The log's order, the product's order: unhappiest customers first. By
# dissatisfaction level (5 -> 1); within a level the overdue issues first, the
# most overdue (earliest first-outreach target) first; then runarounds, then
# public ones, then the oldest (created_at, then id). Every list of issues "by
# priority" (the log, its CSV, the brief's top issues, My page) uses this one
# definition, through `with_priority` (or `priority_ids`, its index-driven twin).
PRIORITY_ORDER = ("-level", "-overdue", "overdue_since", "-runaround", "-public", "created_at", "id")
PRIORITY_IN_WORDS = (
    "Unhappiest customers first: by dissatisfaction, and within each level the most overdue, "
    "then runarounds, then public, then the oldest."
)


def with_priority(qs: QuerySet[HotIssue], *, now: datetime | None = None) -> QuerySet[HotIssue]:
    """Annotate `overdue` (and `overdue_since`, its due time) and order by PRIORITY_ORDER."""
    now = now or timezone.now()
    late = overdue_q(now)
    return qs.annotate(
        overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField()),
        overdue_since=Case(When(late, then=F("first_outreach_due_at")), default=None, output_field=DateTimeField()),
    ).order_by(*PRIORITY_ORDER)


def log_rows(qs: QuerySet[HotIssue]) -> QuerySet[HotIssue]:
    """Fetch what a log row shows (and only that), in one query."""
    return qs.select_related("program", "customer", "owner", "department").only(*LOG_ROW_FIELDS)


# The log as index range scans in its final order. Within a level the overdue
# issues come first, read from hot_issue_open_late in due-time order; then the
# rest, read from hot_issue_open_priority. One scan per program (each stops
# after the page), merged by a small sort of at most programs x page rows.
SEGMENT_KEYS = {
    "late": ("first_outreach_due_at", "-runaround", "-public", "created_at", "id"),
    "rest": ("-runaround", "-public", "created_at", "id"),
}
SEGMENT_SQL_KEYS = {
    "late": "first_outreach_due_at, runaround DESC, public DESC, created_at, id",
    "rest": "runaround DESC, public DESC, created_at, id",
}
LEVELS_DOWN = (5, 4, 3, 2, 1)


def _late(now: datetime) -> Q:
    return Q(first_outreach_at__isnull=True, first_outreach_due_at__lt=now)


_PROGRAM, _LEVEL = 9_070_707_070_707, 32_171  # stand-ins compiled into a branch, replaced by each branch's values


def _branch_template(qs, *, part: str, now: datetime) -> tuple[str, list, int, int]:
    """Compile one segment scan once (program and level as stand-ins): SQL, params and their positions."""
    branch = qs.filter(program_id=_PROGRAM, level=_LEVEL)
    branch = branch.filter(_late(now)) if part == "late" else branch.exclude(_late(now))
    branch = branch.order_by(*SEGMENT_KEYS[part]).values_list(
        "id", "first_outreach_due_at", "runaround", "public", "created_at"
    )
    sql, params = branch.query.sql_with_params()
    params = list(params)
    at_program = [i for i, v in enumerate(params) if v == _PROGRAM]
    at_level = [i for i, v in enumerate(params) if v == _LEVEL]
    if len(at_program) != 1 or len(at_level) != 1:  # a filter value equal to a stand-in: never in practice
        raise ValueError("Cannot build the log's scans for these filters.")
    return f"({sql} LIMIT %s)", params, at_program[0], at_level[0]


def _segment_sql(template, *, program_ids, level: int, part: str, start: int, stop: int, caps=None):
    """SQL for rows [start, stop) of one (level, overdue-or-not) segment: a scan per program, merged.

    One scan, planned once, run for each program (a LATERAL join over the
    programs), each stopping after `stop` rows. `caps` ({program: rows it has
    in the segment}, from the kept counts) leaves out the programs with none
    and lets each scan stop at its last row.
    """
    branch_sql, branch_params, at_program, at_level = template
    programs = []
    for program_id in program_ids:
        cap = stop if caps is None else min(stop, caps.get(program_id, 0))
        if cap > 0:
            programs.append((int(program_id), int(cap)))
    if not programs:
        return None, []
    # The branch's program and its LIMIT become the joined program's columns.
    pieces = branch_sql.split("%s")
    sql_parts, params = [pieces[0]], []
    for i, piece in enumerate(pieces[1:]):
        if i == at_program:
            sql_parts.append("p.pid")
        elif i == len(branch_params):  # the LIMIT
            sql_parts.append("p.cap")
        else:
            sql_parts.append("%s")
            params.append(level if i == at_level else branch_params[i])
        sql_parts.append(piece)
    values = ", ".join(f"({pid}, {cap})" for pid, cap in programs)
    keys = SEGMENT_SQL_KEYS[part]
    sql = (
        f"SELECT id, row_number() OVER (ORDER BY {keys}) AS rn "  # noqa: S608 — compiled querysets, ints and constants
        f"FROM (VALUES {values}) AS p(pid, cap) CROSS JOIN LATERAL {''.join(sql_parts)} AS u "
        f"ORDER BY {keys} LIMIT {int(stop - start)} OFFSET {int(start)}"
    )
    return sql, params


def priority_ids(
    qs: QuerySet[HotIssue],
    *,
    program_ids: list[int],
    counts: "LevelCounts | None",
    offset: int,
    limit: int,
    now: datetime,
) -> list[int]:
    """Return the ids of rows [offset, offset + limit) of `qs` (open issues, filtered) in PRIORITY_ORDER.

    With `counts` (level_counts of exactly `qs`), only the segments the window
    covers are read, each from its own index position; without them every
    segment is read up to the window's end (fine for a top five). One query
    either way; on other databases, with_priority's ORDER BY.
    """
    if connection.vendor != "postgresql":
        return list(with_priority(qs, now=now).values_list("id", flat=True)[offset : offset + limit])
    end = offset + limit
    parts, position = [], 0
    for level in LEVELS_DOWN:
        for part in ("late", "rest"):
            if counts is None:
                size = end
                start, stop = 0, end
            else:
                late = counts[level]["overdue"]
                size = late if part == "late" else counts[level]["n"] - late
                start, stop = max(offset - position, 0), min(end - position, size)
            if counts is not None:
                position += size
            if stop > start:
                parts.append((level, part, start, stop))
    if not parts or not program_ids:
        return []
    sqls, params = [], []
    templates = {part: _branch_template(qs, part=part, now=now) for part in {p[1] for p in parts}}
    for seg, (level, part, start, stop) in enumerate(parts):
        caps = None
        if counts is not None:
            caps = {}
            for (program_id, at_level), c in counts.per_program.items():
                if at_level == level:
                    caps[program_id] = c["overdue"] if part == "late" else c["n"] - c["overdue"]
        sql, seg_params = _segment_sql(
            templates[part], program_ids=program_ids, level=level, part=part, start=start, stop=stop, caps=caps
        )
        if sql is None:
            continue
        sqls.append(f"(SELECT id, {seg} AS seg, rn FROM ({sql}) AS s{seg})")  # noqa: S608
        params.extend(seg_params)
    if not sqls:
        return []
    sql = f"SELECT id FROM ({' UNION ALL '.join(sqls)}) AS page ORDER BY seg, rn LIMIT {int(limit)}"  # noqa: S608
    if counts is None:
        sql += f" OFFSET {int(offset)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class LazyLogRows:
    """The log's rows in priority order, fetched lazily a slice at a time (what the paginator slices).

    Step 1 takes the page's ids in priority order (priority_ids: index range
    scans that stop after the page, when `program_ids` and `counts` are given;
    with_priority's ORDER BY otherwise); step 2 fetches those 25 rows with
    their joins.
    """

    def __init__(
        self,
        qs: QuerySet[HotIssue],
        *,
        now: datetime | None = None,
        program_ids: list[int] | None = None,
        counts: "LevelCounts | None" = None,
    ):
        self.qs = qs
        self.now = now or timezone.now()
        self.program_ids = program_ids
        self.counts = counts

    def count(self) -> int:  # the paginator is told the count; this is a fallback
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[HotIssue]:
        if self.counts is not None and self.program_ids is not None:
            start = window.start or 0
            ids = priority_ids(
                self.qs,
                program_ids=self.program_ids,
                counts=self.counts,
                offset=start,
                limit=window.stop - start,
                now=self.now,
            )
        else:
            ids = list(with_priority(self.qs, now=self.now).values_list("id", flat=True)[window])
        if not ids:
            return []
        rows = log_rows(HotIssue.objects.filter(pk__in=ids).order_by()).in_bulk(ids)  # no ORDER BY: ids give it
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


class LevelCounts(dict):
    """{level: {"n", "overdue"}} as level_counts returns, plus the same per (program, level) in `per_program`."""

    def __init__(self, per_program: dict[tuple[int, int], dict[str, int]]):
        super().__init__({level: {"n": 0, "overdue": 0} for level in LEVELS_DOWN})
        self.per_program = per_program
        for (_, level), c in per_program.items():
            self[level]["n"] += c["n"]
            self[level]["overdue"] += c["overdue"]

    def only_levels(self, levels: set[int]) -> "LevelCounts":
        """The counts with the other levels left out (what a level filter shows)."""
        if not levels:
            return self
        return LevelCounts({key: c for key, c in self.per_program.items() if key[1] in levels})


def open_level_counts(
    *,
    program_ids: list[int],
    statuses: list[str],
    owner_id: int | None = None,
    department_id: int | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
) -> LevelCounts | None:
    """level_counts of the open issues of these programs and statuses (of one owner or one department),
    from the counts the database keeps (OpenIssueCount), or None where it keeps none (not PostgreSQL).

    Overdue = never contacted, less those not yet due: the latter are read from
    the due-time index and are few (issues younger than their target). With
    `overdue` (the log's overdue filter) the counts are those of the filtered log.
    """
    if connection.vendor != "postgresql":
        return None
    now = now or timezone.now()
    kept = OpenIssueCount.objects.filter(program_id__in=program_ids, status__in=statuses)
    not_due = HotIssue.objects.filter(
        OPEN_Q,
        program_id__in=program_ids,
        status__in=statuses,
        first_outreach_at__isnull=True,
        first_outreach_due_at__gte=now,
    )
    if owner_id is not None and department_id is not None:
        return None
    if owner_id is not None:
        kept = kept.filter(kind=OpenIssueCount.Kind.OWNER, ref=owner_id)
        not_due = not_due.filter(owner_id=owner_id)
    elif department_id is not None:
        kept = kept.filter(kind=OpenIssueCount.Kind.DEPARTMENT, ref=department_id)
        not_due = not_due.filter(department_id=department_id)
    else:
        kept = kept.filter(kind=OpenIssueCount.Kind.ALL)
    per_program: dict[tuple[int, int], dict[str, int]] = {}
    rows = kept.order_by().values_list("program_id", "level", "uncontacted").annotate(total=Sum("n"))
    for program_id, level, uncontacted, n in rows:
        c = per_program.setdefault((program_id, level), {"n": 0, "overdue": 0})
        c["n"] += n
        if uncontacted:
            c["overdue"] += n
    for program_id, level, n in not_due.order_by().values_list("program_id", "level").annotate(total=Count("id")):
        per_program.setdefault((program_id, level), {"n": 0, "overdue": 0})["overdue"] -= n
    if overdue is True:
        per_program = {key: {"n": c["overdue"], "overdue": c["overdue"]} for key, c in per_program.items()}
    elif overdue is False:
        per_program = {key: {"n": c["n"] - c["overdue"], "overdue": 0} for key, c in per_program.items()}
    return LevelCounts(per_program)


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


def feed_mention_counts(*, feed: MentionFeed) -> dict[str, int]:
    """Return how many of the feed's mentions wait for triage, became issues, or were dismissed."""
    counts = dict(feed.mentions.values_list("state").annotate(n=Count("id")).order_by())
    return {state: counts.get(state, 0) for state in Mention.State.values}


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
        return format_moment(value, zone)
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
