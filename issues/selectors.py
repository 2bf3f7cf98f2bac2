"""Reads for hot issues: the log in priority order, counts, the timeline, panels.

Every function does its joins once, so a page costs the same number of
queries at 100 issues and at 1,000,000.
"""

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.contrib.postgres.search import SearchQuery
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership, Notification, Profile, Program
from advocacy.permissions import visible_program_ids, visible_programs, visible_programs_sql
from advocacy.selectors import activate_zone_for, display_name, display_name_of, remember_own_time_zone
from core import prepared
from core.when import format_moment
from rotations.models import Handoff
from rotations.selectors import advocate_history, current_incoming_handoffs

from .models import (
    CLOSED_STATUSES,
    OPEN_Q,
    OPEN_STATUSES,
    Customer,
    CustomerMerge,
    Department,
    FilterListsVersion,
    HotIssue,
    ImportJob,
    IssueEvent,
    Level,
    Mention,
    MentionFeed,
    OpenIssueCount,
    RecoveryCheck,
    RootCause,
    Status,
    email_key,
    overdue_q,
    phone_key,
)

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
    "came_back_at",
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


# Stand-ins compiled into a branch, replaced by each branch's values; a second pair
# tells them apart from a filter value or cursor field that happens to be equal.
_STAND_INS = ((9_070_707_070_707, 32_171), (9_080_808_080_808, 32_172))

# The parts of a (level, overdue-or-not) segment that a cursor starts in: "late_after",
# the overdue rows after it; "rest_after", the others after it with its runaround and
# public flags; "rest_private", those with its runaround flag and not public;
# "rest_plain", those not runaround. Each is one index range; PART_KEYS maps a part
# to the segment whose order it has.
PART_KEYS = {"late": "late", "late_after": "late", "rest": "rest", "rest_after": "rest"}
PART_KEYS |= {"rest_private": "rest", "rest_plain": "rest"}
# Read backwards, for the page before a cursor (_parts_before): whole segments ("late~", "rest~"),
# the cursor's own segment before it ("late_before", "rest_before"), the rows with its runaround
# flag and public ("rest_public") and the runarounds ("rest_runaround"), nearest first.
REVERSED_PARTS = {"late~": "late", "rest~": "rest", "late_before": "late", "rest_before": "rest"}
REVERSED_PARTS |= {"rest_public": "rest", "rest_runaround": "rest"}
PART_KEYS |= REVERSED_PARTS
SEGMENT_SQL_KEYS_BACKWARDS = {
    "late": "first_outreach_due_at DESC, runaround, public, created_at DESC, id DESC",
    "rest": "runaround, public, created_at DESC, id DESC",
}


def _segment_keys(part: str) -> str:
    """The ORDER BY of a part: its segment's order, or that order backwards for a part read backwards."""
    keys = SEGMENT_SQL_KEYS_BACKWARDS if part in REVERSED_PARTS else SEGMENT_SQL_KEYS
    return keys[PART_KEYS[part]]


def _part_q(part: str, now: datetime, after: "LogCursor | None") -> tuple[Q, bool]:
    """Return (condition, negate) selecting one part of a segment (see PART_KEYS)."""
    if part == "late":
        return _late(now), False
    if part == "rest":
        return _late(now), True
    if part == "late_after":
        tail = Q(runaround__lt=after.runaround) | Q(runaround=after.runaround) & (
            Q(public__lt=after.public)
            | Q(public=after.public)
            & (Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.pk))
        )
        # The bound on the due time lets the scan start at the cursor.
        later = Q(first_outreach_due_at__gt=after.due) | Q(first_outreach_due_at=after.due) & tail
        return _late(now) & Q(first_outreach_due_at__gte=after.due) & later, False
    rest = ~_late(now)
    if part == "rest_after":
        later = Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.pk)
        same = Q(runaround=after.runaround, public=after.public, created_at__gte=after.created_at)
        return rest & same & later, False
    if part == "rest_private":
        return rest & Q(runaround=after.runaround, public=False), False
    return rest & Q(runaround=False), False  # rest_plain


def _branch_template(qs, *, part: str, now: datetime, after=None) -> tuple[str, list, int, int]:
    """Compile one segment scan once (program and level as stand-ins): SQL, params and their positions."""
    compiled = []
    for program_stand_in, level_stand_in in _STAND_INS:
        condition, negate = _part_q(part, now, after)
        branch = qs.filter(program_id=program_stand_in, level=level_stand_in)
        branch = branch.exclude(condition) if negate else branch.filter(condition)
        branch = branch.order_by(*SEGMENT_KEYS[PART_KEYS[part]]).values_list(
            "id", "first_outreach_due_at", "runaround", "public", "created_at"
        )
        sql, params = branch.query.sql_with_params()
        compiled.append((sql, list(params)))
        at_program = [i for i, v in enumerate(params) if v == program_stand_in]
        at_level = [i for i, v in enumerate(params) if v == level_stand_in]
        if len(at_program) == 1 and len(at_level) == 1:
            return f"({sql} LIMIT %s)", list(params), at_program[0], at_level[0]
    # Some value equals a stand-in: the stand-ins are where the two compilations differ.
    (sql, first), (_, second) = compiled
    (a1, l1), (a2, l2) = _STAND_INS
    at_program = [i for i, (x, y) in enumerate(zip(first, second, strict=True)) if x == a1 and y == a2]
    at_level = [i for i, (x, y) in enumerate(zip(first, second, strict=True)) if x == l1 and y == l2]
    if len(at_program) != 1 or len(at_level) != 1:
        raise ValueError("Cannot build the log's scans for these filters.")
    return f"({sql} LIMIT %s)", first, at_program[0], at_level[0]


# Every program at once (the company log): counts and scans keyed by this instead of a program,
# read from the indexes without a program column (hot_issue_open_*_all).
EVERY_PROGRAM = 0


@dataclass(frozen=True)
class LogScope:
    """The filters the kept counts answer, as the log's scans apply them (see issues.views.log):
    open statuses, at most one owner or one department, overdue or not. `program_ids` None: every program.
    """

    program_ids: list[int] | None
    statuses: list[str]
    owner_id: int | None = None
    department_id: int | None = None
    overdue: bool | None = None


_LATE_SQL = "first_outreach_at IS NULL AND first_outreach_due_at < %s"


def _scope_filters(scope: LogScope, now: datetime, *, late_sql: str = _LATE_SQL) -> tuple[list[str], list]:
    """The conditions of a scope's statuses, owner, department and overdue filter, with their params
    (`late_sql`: how the overdue filter is written, see _scope_branch)."""
    # The open statuses as the partial indexes name them (written in, for a prepared statement's
    # plan to use them), then the chosen ones.
    where, params = [f"{OPEN_SQL} AND status = ANY(%s)"], [list(scope.statuses)]
    if scope.owner_id is not None:
        where.append("owner_id = %s")
        params.append(int(scope.owner_id))
    if scope.department_id is not None:
        where.append("department_id = %s")
        params.append(int(scope.department_id))
    if scope.overdue is not None:
        where.append(f"({late_sql})" if scope.overdue else f"NOT ({late_sql})")
        params.append(now)
    return where, params


# The overdue condition with `now` outside the index range (for a scan from a cursor, see _scope_branch).
_LATE_FROM_CURSOR_SQL = "first_outreach_at IS NULL AND (first_outreach_due_at < %s) IS TRUE"


def _scope_branch(scope: LogScope, *, part: str, now: datetime, after=None) -> tuple[str, list, int | None, int]:
    """One segment scan for `scope`, written out (as _branch_template gives for a queryset), so a page
    compiles no queryset: SQL, params, and the positions of the program (None: every program) and level."""
    where, params = [], []
    at_program = None
    if scope.program_ids is not None:
        where.append("program_id = %s")
        params.append(0)
        at_program = 0
    where.append("level = %s")
    at_level = len(params)
    params.append(0)
    # From a cursor the index range is the cursor's side of its due time alone: with `now` as its
    # other end, a plan made for any values takes the pair for a range of a row or two and may
    # read an index without the program in it (the every-program one) instead.
    from_cursor = part in ("late_after", "late_before")
    filters, filter_params = _scope_filters(scope, now, late_sql=_LATE_FROM_CURSOR_SQL if from_cursor else _LATE_SQL)
    where += filters
    params += filter_params
    if from_cursor:
        where.append(_LATE_FROM_CURSOR_SQL)
        params.append(now)
    elif PART_KEYS[part] == "late":
        where.append(_LATE_SQL)
        params.append(now)
    else:
        where.append(f"NOT ({_LATE_SQL})")
        params.append(now)
    if part == "late_after":
        where.append(
            "first_outreach_due_at >= %s AND (first_outreach_due_at > %s OR first_outreach_due_at = %s AND "
            "(runaround < %s OR runaround = %s AND (public < %s OR public = %s AND "
            "(created_at > %s OR created_at = %s AND id > %s))))"
        )
        params += [after.due] * 3 + [after.runaround] * 2 + [after.public] * 2 + [after.created_at] * 2 + [after.pk]
    elif part == "rest_after":
        where.append(
            "runaround = %s AND public = %s AND created_at >= %s AND (created_at > %s OR created_at = %s AND id > %s)"
        )
        params += [after.runaround, after.public] + [after.created_at] * 3 + [after.pk]
    elif part == "rest_private":
        where.append("runaround = %s AND public = FALSE")
        params.append(after.runaround)
    elif part == "rest_plain":
        where.append("runaround = FALSE")
    elif part == "late_before":
        where.append(
            "first_outreach_due_at <= %s AND (first_outreach_due_at < %s OR first_outreach_due_at = %s AND "
            "(runaround > %s OR runaround = %s AND (public > %s OR public = %s AND "
            "(created_at < %s OR created_at = %s AND id < %s))))"
        )
        params += [after.due] * 3 + [after.runaround] * 2 + [after.public] * 2 + [after.created_at] * 2 + [after.pk]
    elif part == "rest_before":
        where.append(
            "runaround = %s AND public = %s AND created_at <= %s AND (created_at < %s OR created_at = %s AND id < %s)"
        )
        params += [after.runaround, after.public] + [after.created_at] * 3 + [after.pk]
    elif part == "rest_public":
        where.append("runaround = %s AND public = TRUE")
        params.append(after.runaround)
    elif part == "rest_runaround":
        where.append("runaround = TRUE")
    sql = (
        "(SELECT id, first_outreach_due_at, runaround, public, created_at "  # noqa: S608 — constants
        f"FROM {HotIssue._meta.db_table} WHERE {' AND '.join(where)} "
        f"ORDER BY {_segment_keys(part)} LIMIT %s)"
    )
    return sql, params, at_program, at_level


# At most this many programs' scans written out in one statement (_segment_sql's `merged`): each is
# a plan node every run starts, and its parameters are written into every run.
_MERGED_PROGRAMS = 32


def _segment_sql(
    template, *, program_ids, level: int, part: str, start: int, stop: int, caps=None, ranked=True, merged=False
):
    """SQL for rows [start, stop) of one (level, overdue-or-not) segment: a scan per program, merged.

    One scan, planned once, run for each program (a LATERAL join over the
    programs), each stopping after `stop` rows. `caps` ({program: rows it has
    in the segment}, from the kept counts) leaves out the programs with none
    and lets each scan stop at its last row. With `ranked`, each row carries its
    rank in the segment (rn), for a caller that must cut the segments' rows to a page.

    With `merged` (a statement planned once, see prepared.fetch_all) a window
    deep in the segment of up to _MERGED_PROGRAMS programs reads a scan per
    program written out, merged in order (a Merge Append): about `stop` index
    entries in all, where the join reads up to `stop` from each program and
    sorts them (4,200 entries at page 1000 of 14 programs' 35,000 issues: 1.2 ms
    against 0.4). Planned for each run, the written-out scans cost 3 ms to plan,
    so they are only for a statement planned once.
    """
    branch_sql, branch_params, at_program, at_level = template
    rank = "row_number() OVER (ORDER BY {keys})" if ranked else "0"
    programs = []
    for program_id in program_ids:
        cap = stop if caps is None else min(stop, caps.get(program_id, 0))
        if cap > 0:
            programs.append((int(program_id), int(cap)))
    if not programs:
        return None, []
    keys = _segment_keys(part)
    window = [int(stop - start), int(start)]  # LIMIT, OFFSET
    if at_program is None:  # every program: one scan of the index without a program column
        params = [level if i == at_level else value for i, value in enumerate(branch_params)]
        params.append(programs[0][1])
        sql = (
            f"SELECT id, {rank.format(keys=keys)} AS rn FROM {branch_sql} AS u "  # noqa: S608 — compiled
            f"ORDER BY {keys} LIMIT %s OFFSET %s"
        )
        return sql, [*params, *window]
    # The branch's program and its LIMIT become the joined program's columns (programs and rows
    # as two arrays, so the statement's text is the same for any programs); with one program
    # they are parameters of the scan (a LATERAL join costs the planner more than the scan costs to run).
    if len(programs) == 1:
        scan, params = _fill_branch(template, program=programs[0][0], limit=programs[0][1], level=level)
        source = f"{scan} AS u"
    elif merged and start > 0 and len(programs) <= _MERGED_PROGRAMS:
        scans, params = [], []
        for program_id, cap in programs:
            scan, scan_params = _fill_branch(template, program=program_id, limit=cap, level=level)
            scans.append(scan)
            params += scan_params
        source = f"({' UNION ALL '.join(scans)}) AS u"
    else:
        scan, params = _fill_branch(template, program="p.pid", limit="p.cap", level=level)
        source = f"unnest(%s::bigint[], %s::int[]) AS p(pid, cap) CROSS JOIN LATERAL {scan} AS u"
        params = [[pid for pid, _ in programs], [cap for _, cap in programs], *params]
    sql = (
        f"SELECT id, {rank.format(keys=keys)} AS rn FROM {source} "  # noqa: S608 — compiled querysets and constants
        f"ORDER BY {keys} LIMIT %s OFFSET %s"
    )
    return sql, [*params, *window]


def _levels_sql(template, *, program_id: int, windows: list[tuple[int, int, int, int]]) -> tuple[str, list]:
    """SQL for rows [start, stop) of several levels' segments of one part, all of one program's issues:
    the part's scan, planned once, run per level (a LATERAL join over (level, offset, rows))."""
    scan, params = _fill_branch(template, program=int(program_id), limit="l.lim OFFSET l.off", level="l.lvl")
    sql = (
        "SELECT u.id, 0 AS rn FROM unnest(%s::int[], %s::int[], %s::int[]) AS l(lvl, off, lim) "  # noqa: S608 — compiled
        f"CROSS JOIN LATERAL {scan} AS u"
    )
    levels = [int(level) for _, level, _, _ in windows]
    offsets = [int(start) for _, _, start, _ in windows]
    rows = [int(stop - start) for _, _, start, stop in windows]
    return sql, [levels, offsets, rows, *params]


def _fill_branch(template, *, program: str | int, limit: str | int, level: str | int) -> tuple[str, list]:
    """Fill a segment scan's program, LIMIT and level in: each a column of a joined list (str, SQL) or
    a value (int, a parameter). Returns the scan's SQL and its params."""
    branch_sql, branch_params, at_program, at_level = template
    pieces = branch_sql.split("%s")
    sql_parts, params = [pieces[0]], []
    for i, piece in enumerate(pieces[1:]):
        value = program if i == at_program else limit if i == len(branch_params) else level if i == at_level else None
        if isinstance(value, str):
            sql_parts.append(value)
        else:
            sql_parts.append("%s")
            params.append(branch_params[i] if value is None else int(value))
        sql_parts.append(piece)
    return "".join(sql_parts), params


def priority_sql(
    qs: QuerySet[HotIssue],
    *,
    program_ids: list[int],
    counts: "LevelCounts | None",
    offset: int,
    limit: int,
    now: datetime,
    after: "LogCursor | None" = None,
    scope: LogScope | None = None,
    before: "LogCursor | None" = None,
    ordered: bool = True,
) -> tuple[str, list] | None:
    """Return SQL and params selecting the ids of rows [offset, offset + limit) of `qs` (open issues,
    filtered) in PRIORITY_ORDER, or None when the window is empty. PostgreSQL only.

    With `counts` (level_counts of exactly `qs`), only the segments the window
    covers are read, each from its own index position; without them every
    segment is read up to the window's end (fine for a top five). With `after`
    (and counts) the window is the `limit` rows after that cursor instead, and
    no scan reads more than `limit` rows however deep the page. With `before`
    (counts and `scope`) it is the `limit` rows before that cursor, read
    backwards from it (in no order: the caller sorts a page). Not `ordered`, the
    ids come in no order (for a caller that sorts the rows it fetches); then, with
    `scope`, a window nearer its segment's end than its start is read backwards
    from that end, so a page by its number reads at most half a segment before it.
    """
    end = offset + limit
    parts, position = [], 0
    # Read from the counts, the segments' windows add up to exactly the page: for a caller that
    # sorts it, no rank is needed. Read from a cursor, each part may hold up to a page and is cut here.
    exact = counts is not None and not ordered
    if before is not None and counts is not None and scope is not None:
        parts, after = _parts_before(before, counts, limit), before
        if not parts:
            return None
    elif after is not None and counts is not None:
        parts = _parts_after(after, counts, limit)
    exact = exact and not parts
    for level in LEVELS_DOWN if not parts else ():
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
            if stop > start and exact and scope is not None and size - stop < start:
                # Nearer the segment's end: read backwards from there (the caller sorts the rows).
                parts.append((level, f"{part}~", size - stop, size - start))
            elif stop > start:
                parts.append((level, part, start, stop))
    if not parts or not program_ids:
        return None
    sqls, params = [], []
    if scope is not None:  # the scans written out for the kept-count filters: no queryset to compile
        templates = {part: _scope_branch(scope, part=part, now=now, after=after) for part in {p[1] for p in parts}}
        if scope.program_ids is None:
            program_ids = [EVERY_PROGRAM]
    else:
        templates = {part: _branch_template(qs, part=part, now=now, after=after) for part in {p[1] for p in parts}}
    # A page read from the counts whose segments each hold one program's issues (one program shown, or
    # the others have none there) reads each part's levels with one scan run per level: a scan per
    # segment cost the planner more than the scans cost to run (a small program's page spans many).
    one_program: dict[tuple[str, int], list[tuple[int, int, int, int]]] = {}
    for seg, (level, part, start, stop) in enumerate(parts):
        caps = None
        if counts is not None:
            caps = {}
            for (program_id, at_level), c in counts.per_program.items():
                if at_level == level:
                    caps[program_id] = c["overdue"] if PART_KEYS[part] == "late" else c["n"] - c["overdue"]
        if exact and templates[part][2] is not None:
            shown = [p for p in program_ids if min(stop, caps.get(p, 0)) > 0]
            if len(shown) == 1:
                one_program.setdefault((part, int(shown[0])), []).append((seg, level, start, stop))
                continue
        sql, seg_params = _segment_sql(
            templates[part],
            program_ids=program_ids,
            level=level,
            part=part,
            start=start,
            stop=stop,
            caps=caps,
            ranked=not exact,
            merged=scope is not None and prepared.enabled(),
        )
        if sql is None:
            continue
        sqls.append(f"(SELECT id, {seg} AS seg, rn FROM ({sql}) AS s{seg})")  # noqa: S608
        params.extend(seg_params)
    for (part, program_id), windows in one_program.items():
        if len(windows) == 1:  # one level: its scan written in (a join of one row costs more)
            seg, level, start, stop = windows[0]
            sql, seg_params = _segment_sql(
                templates[part], program_ids=[program_id], level=level, part=part, start=start, stop=stop, ranked=False
            )
        else:
            seg = windows[0][0]
            sql, seg_params = _levels_sql(templates[part], program_id=program_id, windows=windows)
        sqls.append(f"(SELECT id, {seg} AS seg, rn FROM ({sql}) AS s{seg})")  # noqa: S608
        params.extend(seg_params)
    if not sqls:
        return None
    if exact:
        return f"SELECT id FROM ({' UNION ALL '.join(sqls)}) AS page", params  # noqa: S608
    sql = f"SELECT id FROM ({' UNION ALL '.join(sqls)}) AS page ORDER BY seg, rn LIMIT %s"  # noqa: S608
    params.append(int(limit))
    if counts is None:
        sql += " OFFSET %s"
        params.append(int(offset))
    return sql, params


def _parts_after(after: "LogCursor", counts: "LevelCounts", limit: int) -> list[tuple[int, str, int, int]]:
    """The parts of segments that hold the `limit` rows after `after`, in order, as (level, part, 0, stop).

    The cursor's own segment is read from the cursor (one, two or three index
    ranges); whole segments follow until they alone hold `limit` rows.
    """
    if after.late:
        order = [(after.level, "late_after"), (after.level, "rest")]
    else:
        order = [(after.level, "rest_after")]
        if after.public:
            order.append((after.level, "rest_private"))
        if after.runaround:
            order.append((after.level, "rest_plain"))
    order += [(level, part) for level in LEVELS_DOWN if level < after.level for part in ("late", "rest")]
    parts, covered = [], 0
    for level, part in order:
        late = counts[level]["overdue"]
        size = late if PART_KEYS[part] == "late" else counts[level]["n"] - late
        if size <= 0:
            continue
        parts.append((level, part, 0, min(limit, size)))
        if part in ("late", "rest"):
            covered += size
            if covered >= limit:
                break
    return parts


def _parts_before(before: "LogCursor", counts: "LevelCounts", limit: int) -> list[tuple[int, str, int, int]]:
    """The parts of segments that hold the `limit` rows before `before`, nearest first, each read
    backwards, as (level, part, 0, stop): _parts_after in the other direction."""
    if before.late:
        order = [(before.level, "late_before")]
    else:
        order = [(before.level, "rest_before")]
        if not before.public:
            order.append((before.level, "rest_public"))
        if not before.runaround:
            order.append((before.level, "rest_runaround"))
        order.append((before.level, "late~"))
    order += [(level, part) for level in reversed(LEVELS_DOWN) if level > before.level for part in ("rest~", "late~")]
    parts, covered = [], 0
    for level, part in order:
        late = counts[level]["overdue"]
        size = late if PART_KEYS[part] == "late" else counts[level]["n"] - late
        if size <= 0:
            continue
        parts.append((level, part, 0, min(limit, size)))
        if part in ("late~", "rest~"):
            covered += size
            if covered >= limit:
                break
    return parts


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"([1-5])([lr])([01])([01])\.(\d{1,17})?\.(\d{1,17})\.(\d{1,18})")
_CURSOR_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _from_micros(text: str) -> datetime | None:
    at = _EPOCH + timedelta(microseconds=int(text))
    return at if _CURSOR_RANGE[0] <= at < _CURSOR_RANGE[1] else None


@dataclass(frozen=True)
class LogCursor:
    """Where a page of the log ends: the priority key of its last row (see priority_key).

    The next page is read from there (keyset pagination), so a deep page costs
    what the first one costs. In the address it is a short text (`after=`),
    checked strictly when read back: anything else is refused (decode gives None).
    """

    level: int
    late: bool
    due: datetime | None
    runaround: bool
    public: bool
    created_at: datetime
    pk: int

    @classmethod
    def of(cls, row, now: datetime) -> "LogCursor":
        late = row.overdue_by(now) is not None
        return cls(
            level=int(row.level),
            late=late,
            due=row.first_outreach_due_at if late else None,
            runaround=bool(row.runaround),
            public=bool(row.public),
            created_at=row.created_at,
            pk=int(row.pk),
        )

    def encode(self) -> str:
        due = str(_micros(self.due)) if self.due is not None else ""
        flags = f"{'l' if self.late else 'r'}{int(self.runaround)}{int(self.public)}"
        return f"{self.level}{flags}.{due}.{_micros(self.created_at)}.{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> "LogCursor | None":
        match = _CURSOR.fullmatch(text or "")
        if match is None:
            return None
        level, part, runaround, public, due, created, pk = match.groups()
        late = part == "l"
        due_at = _from_micros(due) if due else None
        created_at = _from_micros(created)
        if created_at is None or late != (due_at is not None) or int(pk) > 2**63 - 1:
            return None
        return cls(int(level), late, due_at, runaround == "1", public == "1", created_at, int(pk))


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

    One query (priority_sql); on other databases, with_priority's ORDER BY.
    """
    if connection.vendor != "postgresql":
        return list(with_priority(qs, now=now).values_list("id", flat=True)[offset : offset + limit])
    found = priority_sql(qs, program_ids=program_ids, counts=counts, offset=offset, limit=limit, now=now)
    if found is None:
        return []
    return [row[0] for row in prepared.fetch_all(*found)]


def priority_key(row, now: datetime) -> tuple:
    """PRIORITY_ORDER as a Python sort key, for rows fetched by id (a model instance or a LogRow).

    Sorting a fetched page by it gives exactly the order the database gave its ids.
    """
    late = row.overdue_by(now) is not None
    return (
        -row.level,
        0 if late else 1,
        row.first_outreach_due_at if late else now,
        not row.runaround,
        not row.public,
        row.created_at,
        row.pk,
    )


# What a log row shows (issues/rows.py), fetched as plain values in one query: no
# model instances for a page of 25 rows and their program, customer, owner and department.
LOG_ROW_VALUES = (
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
    "came_back_at",
    "program__name",
    "department_id",
    "department__name",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "customer_id",
    "customer__name",
    "customer__email",
    "customer__phone",
    "customer__company",
    # The customer's page and flags (issues.services.customers keeps both columns).
    "program__slug",
    "is_repeat",
    "customer__at_risk",
)


class LogRow:
    """One log row as plain values (what issues.rows.render_row shows), with the model's overdue rule."""

    __slots__ = (
        "pk",
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
        "came_back_at",
        "program_name",
        "department_id",
        "department_name",
        "owner_name",
        "customer_label",
        "customer_id",
        "program_slug",
        "is_repeat",
        "customer_at_risk",
    )

    overdue_by = HotIssue.overdue_by  # the one definition of overdue, on these fields
    is_overdue_at = HotIssue.is_overdue_at

    def __init__(self, values: tuple):
        (
            self.pk,
            self.title,
            self.level,
            self.public,
            self.status,
            self.source,
            self.created_at,
            self.first_outreach_due_at,
            self.first_outreach_at,
            self.next_attempt_due_at,
            self.runaround,
            self.transfer_count,
            self.came_back_at,
            self.program_name,
            self.department_id,
            self.department_name,
            first_name,
            last_name,
            username,
            self.customer_id,
            name,
            email,
            phone,
            company,
            self.program_slug,
            self.is_repeat,
            self.customer_at_risk,
        ) = values
        self.owner_name = display_name_of(first_name, last_name, username)
        if self.customer_id is None:
            self.customer_label = None
        else:
            label = Customer.label(name, email, phone)
            self.customer_label = f"{label}, {company}" if company else label

    @property
    def id(self) -> int:
        return self.pk

    def get_absolute_url(self) -> str:
        return HotIssue(pk=self.pk).get_absolute_url()

    def get_level_display(self) -> str:
        return str(Level(self.level).label)

    def get_status_display(self) -> str:
        return str(Status(self.status).label)


OPEN_VALUES_ORDERED = tuple(s.value for s in OPEN_STATUSES)
# The open statuses as SQL, as the partial indexes' predicates name them: a condition the planner
# must see to use those indexes, so written into a statement, never a parameter of it.
OPEN_SQL = "status IN ({})".format(", ".join(f"'{value}'" for value in OPEN_VALUES_ORDERED))  # our own constants


def _row_sql(*, with_program: bool) -> str:
    """The fetch of LOG_ROW_VALUES by id, written out (PostgreSQL): the owner, department and customer
    joined; the program's name joined too, unless the caller knows it (then its id in its place).

    Each join costs the planner more than it costs to run; a page reads 25 rows.
    """
    t = {
        "issue": HotIssue._meta.db_table,
        "program": Program._meta.db_table,
        "department": Department._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "customer": Customer._meta.db_table,
    }
    program = "p.name" if with_program else "h.program_id"
    slug = "p.slug" if with_program else "h.program_id"
    join = f" JOIN {t['program']} p ON p.id = h.program_id" if with_program else ""
    return (
        "SELECT h.id, h.title, h.level, h.public, h.status, h.source, h.created_at, "  # noqa: S608 — table names
        "h.first_outreach_due_at, h.first_outreach_at, h.next_attempt_due_at, h.runaround, h.transfer_count, "
        f"h.came_back_at, {program}, h.department_id, d.name, u.first_name, u.last_name, u.username, "
        f"h.customer_id, c.name, c.email, c.phone, c.company, {slug}, h.is_repeat, c.at_risk "
        f"FROM {t['issue']} h JOIN {t['user']} u ON u.id = h.owner_id{join} "
        f"LEFT JOIN {t['department']} d ON d.id = h.department_id "
        f"LEFT JOIN {t['customer']} c ON c.id = h.customer_id "
        "WHERE h.id IN "
    )


_ROW_SQL = {True: _row_sql(with_program=True), False: _row_sql(with_program=False)}
_NAME_AT, _SLUG_AT = LOG_ROW_VALUES.index("program__name"), LOG_ROW_VALUES.index("program__slug")


def _log_row_values(
    ids_sql: str,
    ids_params: list,
    *,
    program_names: dict[int, tuple[str, str]] | None = None,
    planned_once: bool = False,
) -> list[LogRow]:
    """Fetch the LogRows whose ids `ids_sql` selects (any order), in one query written once.

    `program_names` ({program id: (name, slug)}, every program the ids may be of) saves joining the programs.
    `planned_once` where `ids_sql` is written out for its indexes (see prepared.fetch_all).
    On PostgreSQL the driver returns every value as the row shows it (aware
    datetimes); elsewhere the ORM's converters are needed, so the query is the ORM's.
    """
    if connection.vendor != "postgresql":
        rows = HotIssue.objects.filter(pk__in=RawSQL(ids_sql, ids_params)).order_by()  # noqa: S611 — compiled SQL
        return [LogRow(values) for values in rows.values_list(*LOG_ROW_VALUES)]
    found = prepared.fetch_all(f"{_ROW_SQL[program_names is None]}({ids_sql})", ids_params, planned_once=planned_once)
    if program_names is None:
        return [LogRow(values) for values in found]
    rows = []
    for values in found:
        # Without the join, both program columns hold the program's id.
        values = list(values)
        values[_NAME_AT], values[_SLUG_AT] = program_names.get(values[_NAME_AT], ("", ""))
        rows.append(LogRow(values))
    return rows


class LazyLogRows:
    """The log's rows in priority order, fetched lazily a slice at a time (what the paginator slices).

    One query: the page's ids (priority_sql: index range scans that stop after
    the page, when `program_ids` and `counts` are given; with_priority's ORDER BY
    otherwise) as a subquery of the fetch of those 25 rows with their joins,
    sorted here by priority_key. With `values`, rows are LogRows (plain values,
    what the log shows); otherwise model instances.
    """

    def __init__(
        self,
        qs: QuerySet[HotIssue],
        *,
        now: datetime | None = None,
        program_ids: list[int] | None = None,
        counts: "LevelCounts | None" = None,
        values: bool = False,
        after: "LogCursor | None" = None,
        scope: LogScope | None = None,
        program_names: dict[int, tuple[str, str]] | None = None,
        before: "LogCursor | None" = None,
    ):
        self.qs = qs
        self.now = now or timezone.now()
        self.program_ids = program_ids
        self.counts = counts
        self.values = values
        self.after = after
        # The kept-count filters written out: no queryset to compile for the scans; program_ids
        # None in the scope reads every program from the indexes without a program column.
        self.scope = scope
        if scope is not None:
            self.program_ids = scope.program_ids if scope.program_ids is not None else [EVERY_PROGRAM]
        self.program_names = program_names
        self.before = before  # a page is read backwards from it (with a scope), when `after` is not given

    @property
    def written_out(self) -> bool:
        """Whether the page's ids are read by scans written out for their indexes (the kept-count
        filters' scope) whose statement needs one plan whatever the values.

        Pages read from a cursor too: planning one for its own values cost 3-4 ms at 14 programs,
        more than reading it (_scope_branch keeps the plan made for any cursor on the right index).
        """
        return self.scope is not None

    @property
    def keyset(self) -> bool:
        """Whether pages are read by index scans (and so can be read from a LogCursor)."""
        return self.counts is not None and self.program_ids is not None and connection.vendor == "postgresql"

    def count(self) -> int:  # the paginator is told the count; this is a fallback
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def _ids_sql(self, window: slice) -> tuple[str, list] | None:
        start = window.start or 0
        if self.keyset:
            return priority_sql(
                self.qs,
                program_ids=self.program_ids,
                counts=self.counts,
                offset=start,
                limit=window.stop - start,
                now=self.now,
                after=self.after if start > 0 else None,
                scope=self.scope,
                before=self.before if start > 0 and self.after is None else None,
                ordered=False,  # __getitem__ sorts the rows
            )
        if window.stop is not None and window.stop <= start:
            return None
        ids = with_priority(self.qs, now=self.now).values_list("id", flat=True)[window]
        sql, params = ids.query.sql_with_params()
        return sql, list(params)

    def __getitem__(self, window: slice) -> list:
        found = self._ids_sql(window)
        if found is None:
            return []
        if self.values:
            rows = _log_row_values(*found, program_names=self.program_names, planned_once=self.written_out)
        else:  # no ORDER BY: the sort below gives it
            rows = list(log_rows(HotIssue.objects.filter(pk__in=RawSQL(*found)).order_by()))  # noqa: S611 — compiled above
        rows.sort(key=lambda row: priority_key(row, self.now))
        return rows


def programs_for(*, user: AbstractBaseUser) -> QuerySet[Program]:
    """Return the programs whose issues `user` sees (and may log issues in), by name."""
    return visible_programs(user=user).order_by("name")


class LogProgram(NamedTuple):
    """A program as the log shows and filters by it (a model instance costs more to build, times 200)."""

    pk: int
    name: str
    slug: str
    time_zone: str

    def __str__(self) -> str:
        return self.name


@dataclass
class LogLookups:
    """What the log looks up besides its issues, read in one statement (log_lookups).

    `programs` by name (only what the filter bar shows); `people` (pk, name) and
    `departments` (pk as text, name), for the owner and department filters, of
    every listed program or only of the one `lists_for` names; the user's own
    time zone, unread notifications, and whether a handoff waits for them.
    `made_from_lists`: what a caller makes from the two lists (their options,
    say), kept with them for as long as they are kept.
    """

    programs: list[LogProgram]
    people: list[tuple[int, str]]
    departments: list[tuple[str, str]]
    own_zone: str
    unread_notifications: int
    handoff_waiting: bool
    every_program: bool = False
    made_from_lists: dict = field(default_factory=dict)


# A person's owner and department lists as last read, with the FilterListsVersion they were read
# at: {(person, superuser, every program, lists_for): (version, people, departments, made from
# them)}, at most _KEPT_LISTS people per process, the oldest dropped first.
_kept_lists: dict[tuple, tuple[int, list, list, dict]] = {}
_KEPT_LISTS = 1000


def log_lookups(*, user: AbstractBaseUser, every_program: bool = False, lists_for: str | None = None) -> LogLookups:
    """Read the log's programs (the user's, or `every_program` for the company log), its filter lists,
    and the page's per-person lookups, in one query.

    A page of the log costs a few statements whatever it shows; each is a round
    trip and an ORM compile, so these small reads (five before) are one UNION
    ALL. With `every_program` the owner and department lists are of the program
    whose slug is `lists_for` only (none without one): 200 programs' people are
    no filter anyone reads. On PostgreSQL the lists come only when the database's
    FilterListsVersion differs from the one they were kept at (the same statement
    says which it is); otherwise the kept ones serve.
    """
    if every_program:
        visible_sql, visible_params = f"SELECT id FROM {Program._meta.db_table}", []  # noqa: S608 — a table name
    else:
        visible_sql, visible_params = visible_programs_sql(user=user)
    listed = "prog"
    list_params: list = []
    if every_program:
        listed, list_params = "prog WHERE slug = %s", [lists_for or ""]
    tables = {
        "program": Program._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "membership": Membership._meta.db_table,
        "department": Department._meta.db_table,
        "notification": Notification._meta.db_table,
        "profile": Profile._meta.db_table,
        "handoff": Handoff._meta.db_table,
        "version": FilterListsVersion._meta.db_table,
    }
    key = (user.pk, bool(getattr(user, "is_superuser", False)), every_program, lists_for or "")
    kept = _kept_lists.get(key) if connection.vendor == "postgresql" else None
    # Rows: (kind, number, sort, a, b, c). 0: a program (id, name, slug, zone); 1: a person
    # (id, first, last, username); 2: a department (id, name); 3: unread count, own zone, handoff
    # waiting, lists version. The lists only when that version is not the kept one (-1: none kept).
    # The departments join the program table, not `prog`: the plan kept for any user expects one
    # program in `prog` and joined it by a loop over every department per program.
    sql = f"""
        WITH prog AS (SELECT id, name, slug, time_zone FROM {tables["program"]} WHERE id IN ({visible_sql})),
        lists_version AS (SELECT COALESCE((SELECT n FROM {tables["version"]} WHERE id = 1), 0) AS n)
        SELECT 0, id, name, name, slug, time_zone FROM prog
        UNION ALL
        SELECT 1, u.id, u.first_name, u.first_name, u.last_name, u.username FROM {tables["user"]} u
        WHERE u.id IN (SELECT m.user_id FROM {tables["membership"]} m WHERE m.program_id IN (SELECT id FROM {listed}))
        AND (SELECT n FROM lists_version) <> %s
        UNION ALL
        SELECT 2, d.id, p.name, d.name, NULL, NULL FROM {tables["department"]} d
        JOIN {tables["program"]} p ON p.id = d.program_id WHERE d.program_id IN (SELECT id FROM {listed})
        AND (SELECT n FROM lists_version) <> %s
        UNION ALL
        SELECT 3,
            (SELECT COUNT(*) FROM {tables["notification"]} WHERE user_id = %s AND read_at IS NULL), NULL,
            (SELECT time_zone FROM {tables["profile"]} WHERE user_id = %s),
            CASE WHEN EXISTS (SELECT 1 FROM {tables["handoff"]}
                WHERE incoming_advocate_id = %s AND acknowledged_at IS NULL) THEN '1' ELSE '0' END,
            CAST((SELECT n FROM lists_version) AS TEXT)
        ORDER BY 1, 3, 4, 6
    """  # noqa: S608 — table names and compiled querysets; values are parameters
    kept_version = kept[0] if kept else -1
    params = [*visible_params, *list_params, kept_version, *list_params, kept_version, user.pk, user.pk, user.pk]
    rows = prepared.fetch_all(sql, params, planned_once=True)
    found = LogLookups(
        programs=[],
        people=[],
        departments=[],
        own_zone="",
        unread_notifications=0,
        handoff_waiting=False,
        every_program=every_program,
    )
    version = 0
    for kind, number, _, a, b, c in rows:
        if kind == 0:
            found.programs.append(LogProgram(pk=number, name=a, slug=b, time_zone=c))
        elif kind == 1:
            found.people.append((number, display_name_of(a or "", b or "", c or "")))
        elif kind == 2:
            found.departments.append((str(number), a))
        else:
            found.unread_notifications, found.own_zone, found.handoff_waiting = int(number or 0), a or "", b == "1"
            version = int(c or 0)
    if kept and version == kept_version:
        found.people, found.departments, found.made_from_lists = kept[1], kept[2], kept[3]
    elif version > 0 and connection.vendor == "postgresql":  # 0: no version row (yet), nothing kept
        _kept_lists.pop(key, None)
        if len(_kept_lists) >= _KEPT_LISTS:
            with suppress(StopIteration, RuntimeError):  # the oldest (another thread may be dropping it too)
                _kept_lists.pop(next(iter(_kept_lists)), None)
        _kept_lists[key] = (version, found.people, found.departments, found.made_from_lists)
    remember_own_time_zone(user, found.own_zone)
    return found


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


def log_row(*, pk: int, now: datetime | None = None) -> LogRow:
    """Return one issue as a log row shows it (for re-rendering that row after an action)."""
    return LazyLogRows(HotIssue.objects.filter(pk=pk), now=now, values=True)[0:1][0]


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
    return _counts_by_level(rows)


def _counts_by_level(rows) -> dict[int, dict[str, int]]:
    """{level: {"n", "overdue"}} from (level, n, overdue) rows, every level present."""
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
    program_ids: list[int] | None,
    statuses: list[str],
    owner_id: int | None = None,
    department_id: int | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
) -> LevelCounts | None:
    """level_counts of the open issues of these programs and statuses (of one owner or one department),
    from the counts the database keeps (OpenIssueCount), or None where it keeps none (not PostgreSQL).

    Overdue = those the counts keep as past due (marked by a sweep a minute after
    their target, issues.background.count_past_due) and those past due since,
    read from the index of the unmarked ones by due time: a minute's worth,
    whatever the number of open issues. With
    `overdue` (the log's overdue filter) the counts are those of the filtered log.
    `program_ids` None: every program, counted per level only (keyed by EVERY_PROGRAM).
    """
    if connection.vendor != "postgresql":
        return None
    if owner_id is not None and department_id is not None:
        return None
    now = now or timezone.now()
    if owner_id is not None:
        kind, ref, narrow = OpenIssueCount.Kind.OWNER, [int(owner_id)], "owner_id"
    elif department_id is not None:
        kind, ref, narrow = OpenIssueCount.Kind.DEPARTMENT, [int(department_id)], "department_id"
    else:
        kind, ref, narrow = OpenIssueCount.Kind.ALL, [], ""
    statuses = [str(status) for status in statuses]
    if program_ids is None and not ref:
        return _every_program_counts(statuses=statuses, now=now, overdue=overdue)
    if program_ids is None:
        program_ids = list(Program.objects.values_list("pk", flat=True))
    programs = [int(p) for p in program_ids]
    if not programs or not statuses:
        return LevelCounts({})
    by_ref = " AND ref = %s" if ref else ""
    by_narrow = f" AND {narrow} = %s" if ref else ""
    # One statement, written out and prepared (it runs on every log page): the kept counts, then
    # the issues past due since the sweep, read by due time alone (hot_issue_due_uncounted), then
    # narrowed to the programs, owner or department (OFFSET 0 keeps the two apart): they are few, and
    # a plan made for any values would otherwise read a program's, owner's or department's index
    # for every issue of theirs past due, marked or not. Counted as of an earlier `now`, the marked
    # ones not yet due then are taken off (hot_issue_due_counted; none for the present).
    sql = (
        f"SELECT program_id, level, SUM(n), SUM(late) FROM ({_KEPT_COUNT_ROWS} "  # noqa: S608 — constants
        f"WHERE program_id = ANY(%s) AND status = ANY(%s) AND kind = %s{by_ref} "
        f"UNION ALL SELECT program_id, level, 0, SUM(sign) FROM ({_PAST_DUE_SINCE_SQL}) AS since "
        f"WHERE program_id = ANY(%s){by_narrow} GROUP BY program_id, level) AS counted GROUP BY program_id, level"
    )
    params = [programs, statuses, int(kind), *ref, statuses, now, statuses, now, programs, *ref]
    return _level_counts_of(prepared.fetch_all(sql, params, planned_once=True), overdue=overdue)


@dataclass(frozen=True)
class FlagScope:
    """A LogScope with the repeat or the at-risk flag chosen (None: either way), read by written-out SQL.

    The kept counts know no flags, so these pages count and sort the flagged
    issues themselves, as the FilterSet's querysets would (a test compares the
    two), without compiling them: the flags pick few issues, found through
    their own indexes (hot_issue_open_repeat; customer_at_risk, then
    hot_issue_customer). The at-risk customers read are those of the scope's
    programs: an issue's customer is of the issue's program.
    """

    scope: LogScope
    repeat: bool | None = None
    at_risk: bool | None = None


def _flagged_where(flags: FlagScope, now: datetime) -> tuple[str, list]:
    filters, filter_params = _scope_filters(flags.scope, now)
    where = ["program_id = ANY(%s)", *filters]
    params: list = [[int(p) for p in flags.scope.program_ids], *filter_params]
    if flags.repeat is not None:
        where.append("is_repeat" if flags.repeat else "NOT is_repeat")
    if flags.at_risk is not None:
        # The at-risk customers first (one index-only read, as an array), then their issues by the
        # customer index: a subquery here let the planner hash-join every open issue instead. As
        # the FilterSet's exclude, an issue without a customer is never at risk.
        at_risk = (
            f"customer_id IS NOT NULL AND customer_id = ANY(ARRAY(SELECT id FROM {Customer._meta.db_table} "  # noqa: S608
            "WHERE at_risk AND program_id = ANY(%s)))"
        )
        where.append(f"({at_risk})" if flags.at_risk else f"NOT ({at_risk})")
        params.append([int(p) for p in flags.scope.program_ids])
    return " AND ".join(where), params


def flagged_level_counts(flags: FlagScope, *, now: datetime | None = None) -> dict[int, dict[str, int]]:
    """level_counts of a flagged log (FlagScope), in one statement written out. PostgreSQL only."""
    now = now or timezone.now()
    where, params = _flagged_where(flags, now)
    sql = (
        f"SELECT level, COUNT(*), COUNT(*) FILTER (WHERE {_LATE_SQL}) "  # noqa: S608 — constants
        f"FROM {HotIssue._meta.db_table} WHERE {where} GROUP BY level"
    )
    return _counts_by_level(prepared.fetch_all(sql, [now, *params], planned_once=True))


class FlaggedLogRows(LazyLogRows):
    """The rows of a flagged log (FlagScope) a page at a time: its issues sorted by PRIORITY_ORDER in SQL
    written out (what with_priority's ORDER BY gives), then fetched as LogRows. PostgreSQL only."""

    def __init__(self, flags: FlagScope, *, levels: set[int], now: datetime, program_names=None):
        super().__init__(HotIssue.objects.none(), now=now, values=True, program_names=program_names)
        self.flags, self.levels = flags, sorted(int(level) for level in levels)

    @property
    def written_out(self) -> bool:
        return True

    def _ids_sql(self, window: slice) -> tuple[str, list] | None:
        start = window.start or 0
        if window.stop is not None and window.stop <= start:
            return None
        where, params = _flagged_where(self.flags, self.now)
        if self.levels:
            where += " AND level = ANY(%s)"
            params.append(list(self.levels))
        sql = (
            f"SELECT id FROM {HotIssue._meta.db_table} WHERE {where} "  # noqa: S608 — constants
            f"ORDER BY level DESC, ({_LATE_SQL}) DESC, CASE WHEN {_LATE_SQL} THEN first_outreach_due_at END, "
            "runaround DESC, public DESC, created_at, id LIMIT %s OFFSET %s"
        )
        return sql, [*params, self.now, self.now, window.stop - start, start]


def _every_program_counts(*, statuses: list[str], now: datetime, overdue: bool | None) -> LevelCounts:
    """open_level_counts over every program (the company log), keyed by EVERY_PROGRAM: the kept counts
    summed per level, with the issues past due since the sweep's last run (hot_issue_due_uncounted)."""
    sql = (
        f"SELECT {EVERY_PROGRAM}, level, SUM(n), SUM(late) FROM ({_KEPT_COUNT_ROWS} "  # noqa: S608 — constants
        "WHERE kind = %s AND status = ANY(%s) "
        f"UNION ALL SELECT 0, level, 0, SUM(sign) FROM ({_PAST_DUE_SINCE_SQL}) AS since GROUP BY level) AS counted "
        "GROUP BY level"
    )
    params = [int(OpenIssueCount.Kind.ALL), statuses, statuses, now, statuses, now]
    return _level_counts_of(prepared.fetch_all(sql, params, planned_once=True), overdue=overdue)


# The kept counts' rows as (program, level, open, kept past due), for open_level_counts to sum per
# program and level with the issues past due since the last sweep (as (program, level, 0, count)).
_KEPT_COUNT_ROWS = (
    "SELECT program_id, level, n, CASE WHEN past_due THEN n ELSE 0 END AS late FROM issues_openissuecount"
)
# What the kept past-due counts miss as of `now` (statuses and now, twice): +1 for each issue past due
# not yet marked so (since the sweep), -1 for each marked one not yet due then (an earlier `now`),
# each by due time alone, fenced (OFFSET 0) from the caller's narrowing (see open_level_counts).
_PAST_DUE_SINCE_SQL = (
    "SELECT program_id, level, owner_id, department_id, 1 AS sign FROM issues_hotissue "  # noqa: S608 — constants
    f"WHERE {OPEN_SQL} AND status = ANY(%s) AND first_outreach_at IS NULL AND NOT past_due_counted "
    "AND first_outreach_due_at < %s "
    "UNION ALL SELECT program_id, level, owner_id, department_id, -1 FROM issues_hotissue "
    f"WHERE {OPEN_SQL} AND status = ANY(%s) AND first_outreach_at IS NULL AND past_due_counted "
    "AND first_outreach_due_at >= %s OFFSET 0"
)


def _level_counts_of(rows, *, overdue: bool | None) -> LevelCounts:
    """LevelCounts from (program, level, open, overdue) rows, one per program and level."""
    per_program = {(program_id, level): {"n": int(n), "overdue": int(late)} for program_id, level, n, late in rows}
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
    The person's own zone, else the program's, becomes the request's (what is typed and shown).
    """
    qs = (
        HotIssue.objects.select_related("program", "customer", "department", "root_cause")
        .defer("search_vector")
        .filter(pk=pk, program__in=visible_programs(user=user).values("pk"))
    )
    issue = next(iter(qs), None)  # not .first(): its ORDER BY only adds planning time
    if issue is None:
        raise Http404("No such issue.")
    activate_zone_for(user, otherwise=issue.program.time_zone)
    people_ids = {issue.owner_id, issue.created_by_id, issue.resolved_by_id} - {None}
    people = get_user_model().objects.in_bulk(people_ids)
    for name in ("owner", "created_by", "resolved_by"):
        person_id = getattr(issue, f"{name}_id")
        if person_id in people:
            HotIssue._meta.get_field(name).set_cached_value(issue, people[person_id])
    return issue


def issue_for_company(*, pk: int) -> HotIssue:
    """Return any program's issue `pk` with what the company's read-only page shows (404 otherwise).

    The caller checks that the person is a customer-experience lead. The page
    shows the customer as the company log does (Customer.label and company), so
    the customer's own e-mail and phone are read only for that label.
    """
    issue = next(
        iter(
            HotIssue.objects.select_related("program", "customer", "department", "owner", "created_by")
            .defer("search_vector", "tracking_token")
            .filter(pk=pk)
        ),
        None,
    )
    if issue is None:
        raise Http404("No such issue.")
    return issue


def timeline(*, issue: HotIssue) -> QuerySet[IssueEvent]:
    return IssueEvent.objects.filter(issue=issue).select_related("actor").order_by("at", "id")


# ---------------------------------------------------------------- customers: one customer, one timeline

CUSTOMER_TIMELINE_PER_PAGE = 25
CUSTOMERS_PER_PAGE = 30


def customer_of(*, program: Program, pk: int) -> Customer:
    """Return the program's customer `pk`, merged or not (404 otherwise)."""
    return get_object_or_404(Customer.objects.select_related("merged_into"), pk=pk, program=program)


_CUSTOMER_COLUMNS = [f.attname for f in Customer._meta.concrete_fields]


def _customer_page_sql() -> str:
    """customer_page's query written out (PostgreSQL): the customer's row, then SUMMARY_COLUMNS."""
    t = {
        "customer": Customer._meta.db_table,
        "issue": HotIssue._meta.db_table,
        "event": IssueEvent._meta.db_table,
        "merge": CustomerMerge._meta.db_table,
    }
    columns = ", ".join(f"c.{connection.ops.quote_name(name)}" for name in _CUSTOMER_COLUMNS)
    open_list = ", ".join(f"'{value}'" for value in OPEN_VALUES_ORDERED)  # our own constants
    return (
        # Counting h.customer_id (not h.id) lets the aggregate read the index hot_issue_customer alone.
        f"SELECT {columns}, count(h.customer_id), count(h.customer_id) FILTER (WHERE h.status IN ({open_list})), "  # noqa: S608
        "count(h.customer_id) FILTER (WHERE h.is_repeat), min(h.created_at), max(h.created_at), "
        f"(SELECT count(*) FROM {t['event']} e WHERE e.customer_id = c.id), "
        f"EXISTS (SELECT 1 FROM {t['merge']} m WHERE m.kept_id = c.id) "
        f"FROM {t['customer']} c LEFT JOIN {t['issue']} h ON h.customer_id = c.id "
        "WHERE c.id = %s AND c.program_id = %s GROUP BY c.id"
    )


_CUSTOMER_PAGE_SQL = _customer_page_sql()
SUMMARY_COLUMNS = ("total", "open", "repeats", "first", "last", "events", "has_merges")


def customer_page(*, program: Program, pk: int) -> tuple[Customer, dict]:
    """Return the program's customer `pk` (merged or not; 404 otherwise) and what its page counts, in one query.

    The counts (SUMMARY_COLUMNS): issues (all, open, repeats), the first and
    last issue's date (one aggregate over the index hot_issue_customer, which
    holds them all), timeline events (a count over their customer's index, see
    IssueEvent.customer), and whether records were merged into it. Written out
    on PostgreSQL, where compiling it cost more than running it; the ORM's
    elsewhere (its converters read SQLite's text dates).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CUSTOMER_PAGE_SQL, [pk, program.pk])
            row = cursor.fetchone()
        if row is None:
            raise Http404("No customer matches the given query.")
        n = len(_CUSTOMER_COLUMNS)
        customer = Customer.from_db(connection.alias, _CUSTOMER_COLUMNS, row[:n])
        return customer, dict(zip(SUMMARY_COLUMNS, row[n:], strict=True))
    events = IssueEvent.objects.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(n=Count("*"))
    qs = Customer.objects.filter(pk=pk, program=program).annotate(
        n_issues=Count("issues__id"),
        n_open=Count("issues__id", filter=Q(issues__status__in=OPEN_VALUES_ORDERED)),
        n_repeats=Count("issues__id", filter=Q(issues__is_repeat=True)),
        first_issue_at=Min("issues__created_at"),
        last_issue_at=Max("issues__created_at"),
        n_events=Coalesce(Subquery(events.values("n")), 0),
        has_merges=Exists(CustomerMerge.objects.filter(kept=OuterRef("pk"))),
    )
    customer = get_object_or_404(qs)
    values = ("n_issues", "n_open", "n_repeats", "first_issue_at", "last_issue_at", "n_events", "has_merges")
    return customer, {key: getattr(customer, name) for key, name in zip(SUMMARY_COLUMNS, values, strict=True)}


@dataclass(slots=True)
class OpenIssueRow:
    """One of the customer's open issues as their page lists it, its texts written once here (see TimelineEntry)."""

    pk: int
    title: str
    level: int
    status_label: str
    is_repeat: bool
    created_at: datetime
    ago: str
    url: str


def customer_open_issues(*, customer: Customer, limit: int = 10) -> list[OpenIssueRow]:
    """Return the customer's open issues, worst and oldest first, with what their list shows."""
    rows = (
        HotIssue.objects.filter(OPEN_Q, customer=customer)
        .order_by("-level", "created_at", "id")
        .values_list("id", "title", "level", "status", "is_repeat", "created_at")[:limit]
    )
    prefix = reverse("issues:detail", kwargs={"pk": 1}).removesuffix("1/")
    return [
        OpenIssueRow(
            pk=pk,
            title=title,
            level=level,
            status_label=Status(status).label,
            is_repeat=is_repeat,
            created_at=created_at,
            ago=naturaltime(created_at),
            url=f"{prefix}{pk}/",
        )
        for pk, title, level, status, is_repeat, created_at in rows
    ]


@dataclass(slots=True)
class TimelineEntry:
    """One event of one of the customer's issues, as the page shows it, with who was the program's advocate then.

    Built from plain values, its texts written once here (the page shows a
    page of them; a template lookup per value would cost several times more).
    """

    pk: int
    kind: str
    at: datetime
    summary: str
    detail: str
    issue_id: int
    issue_title: str
    actor_name: str
    when: str
    advocate: AbstractBaseUser | None = None
    advocate_name: str = ""
    issue_url: str = ""


TIMELINE_VALUES = (
    "id",
    "kind",
    "at",
    "summary",
    "detail",
    "issue_id",
    "issue__title",
    "actor_id",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
)


def _timeline_sql() -> str:
    """A page of a customer's timeline (TIMELINE_VALUES) written out (PostgreSQL): one range of the
    index issue_event_customer_timeline, each event's issue and person joined."""
    t = {"event": IssueEvent._meta.db_table, "issue": HotIssue._meta.db_table, "user": get_user_model()._meta.db_table}
    return (
        "SELECT e.id, e.kind, e.at, e.summary, e.detail, e.issue_id, h.title, "  # noqa: S608 — table names
        "e.actor_id, u.first_name, u.last_name, u.username "
        f"FROM {t['event']} e JOIN {t['issue']} h ON h.id = e.issue_id LEFT JOIN {t['user']} u ON u.id = e.actor_id "
        "WHERE e.customer_id = %s ORDER BY e.at DESC, e.id DESC LIMIT %s OFFSET %s"
    )


_TIMELINE_SQL = _timeline_sql()


class _TimelineRows:
    """A customer's timeline as TIMELINE_VALUES rows, newest first, that a Paginator slices (PostgreSQL)."""

    def __init__(self, customer_id: int):
        self.customer_id = customer_id

    def count(self) -> int:
        return IssueEvent.objects.filter(customer_id=self.customer_id).count()

    def __getitem__(self, part: slice) -> list[tuple]:
        if part.stop <= part.start:
            return []
        with connection.cursor() as cursor:
            cursor.execute(_TIMELINE_SQL, [self.customer_id, part.stop - part.start, part.start])
            return cursor.fetchall()


class _CountedPaginator(Paginator):
    """A paginator told its count (already read with the page's other counts), so it runs no COUNT(*)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count


def customer_timeline(*, customer: Customer, page: str | int | None = 1, count: int | None = None):
    """Return a page (newest first) of every event of every issue of the customer, as TimelineEntries.

    Outreach, transfers, satisfaction answers, merges, and whatever else an
    issue's timeline records (every IssueEvent kind), found by the customer
    each event carries (IssueEvent.customer). A fixed number of queries,
    whatever the number of issues and events: the count (none when given, as
    customer_page reads it), the page (one index range, with each event's
    issue and person), and the program's terms and covers around the page
    (rotations.selectors.AdvocateHistory: one query on PostgreSQL), which say
    who was the advocate at each event's moment.
    """
    if connection.vendor == "postgresql":
        events = _TimelineRows(customer.pk)  # compiling the ORM's query cost more than running it
    else:
        events = IssueEvent.objects.filter(customer=customer).order_by("-at", "-id").values_list(*TIMELINE_VALUES)
    if count is None:
        paginator = Paginator(events, CUSTOMER_TIMELINE_PER_PAGE)
    else:
        paginator = _CountedPaginator(events, CUSTOMER_TIMELINE_PER_PAGE, count)
    found = paginator.get_page(page)
    rows = list(found.object_list)
    entries = []
    if rows:
        history = advocate_history(program_id=customer.program_id, first=rows[-1][2], last=rows[0][2])
        prefix = reverse("issues:detail", kwargs={"pk": 1}).removesuffix("1/")
        for pk, kind, at, summary, detail, issue_id, title, actor_id, first, last, username in rows:
            advocate = history.at(at)
            entries.append(
                TimelineEntry(
                    pk=pk,
                    kind=kind,
                    at=at,
                    summary=summary,
                    detail=detail,
                    issue_id=issue_id,
                    issue_title=f"#{issue_id} {title}",
                    actor_name=display_name_of(first, last, username) if actor_id else "",
                    when=format_moment(at),
                    advocate=advocate,
                    advocate_name=display_name(advocate) if advocate else "none",
                    issue_url=f"{prefix}{issue_id}/",
                )
            )
    found.object_list = entries
    return found


def customer_merges(*, customer: Customer) -> list[CustomerMerge]:
    """Return the records merged into this customer, newest first, with who merged them."""
    return list(CustomerMerge.objects.filter(kept=customer).select_related("by"))


def customers_of(*, program: Program, text: str = "") -> QuerySet[Customer]:
    """Return the program's customers (not those merged into another), by name; `text` narrows by
    name, company, e-mail or phone."""
    qs = Customer.objects.filter(program=program, merged_into__isnull=True)
    text = " ".join((text or "").split())
    if text:
        digits = phone_key(text)
        q = Q(name__icontains=text) | Q(company__icontains=text) | Q(email_key__contains=email_key(text))
        if digits:
            q |= Q(phone_key__contains=digits.lstrip("+"))
        qs = qs.filter(q)
    return qs.order_by("name", "id")


def issue_counts_of(*, customer_ids: list[int]) -> dict[int, dict]:
    """Return {customer id: {"n", "open", "last"}} for a page of customers, in one query."""
    rows = (
        HotIssue.objects.filter(customer_id__in=customer_ids)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"), open=Count("id", filter=OPEN_Q), last=Max("created_at"))
    )
    return {row["customer_id"]: row for row in rows}


def merge_preview(*, kept: Customer, merged: Customer) -> dict:
    """Return what merging `merged` into `kept` would move and fill in (two queries)."""
    issues = HotIssue.objects.filter(customer=merged).aggregate(n=Count("id"), open=Count("id", filter=OPEN_Q))
    events = IssueEvent.objects.filter(customer=merged).count()
    labels = {"name": "Name", "company": "Company", "email": "E-mail", "phone": "Phone"}
    filled = [(label, getattr(merged, f)) for f, label in labels.items() if not getattr(kept, f) and getattr(merged, f)]
    return {"issues": issues["n"], "open": issues["open"], "events": events, "filled": filled}


def merge_candidates(*, customer: Customer, limit: int = 10) -> list[Customer]:
    """Return other customers of the program who may be the same person: the same name or company name."""
    q = Q()
    if customer.name:
        q |= Q(name__iexact=customer.name)
    if customer.company:
        q |= Q(company__iexact=customer.company)
    if not q:
        return []
    return list(
        Customer.objects.filter(q, program_id=customer.program_id, merged_into__isnull=True)
        .exclude(pk=customer.pk)
        .order_by("name", "id")[:limit]
    )


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


def root_causes_with_issue_counts(*, program: Program) -> QuerySet[RootCause]:
    """Return the program's root causes in their order, each with how many issues were closed with it
    (at their last close: an issue that came back or was reopened keeps its cause)."""
    return RootCause.objects.filter(program=program).annotate(issue_count=Count("issues")).order_by("position", "id")


def root_cause_of(*, program: Program, pk: int) -> RootCause:
    """Return the program's root cause `pk` (404 otherwise)."""
    return get_object_or_404(RootCause, pk=pk, program=program)


def closed_by_root_cause(*, program: Program, start: datetime, end: datetime) -> list[dict]:
    """Return how many issues closed in [start, end) had each root cause, most first.

    Issues closed before root causes were asked count as "not recorded" (name None).
    """
    rows = (
        HotIssue.objects.filter(
            program=program, status__in=[s.value for s in CLOSED_STATUSES], resolved_at__gte=start, resolved_at__lt=end
        )
        .values("root_cause_id", "root_cause__name")
        .annotate(n=Count("id"))
        .order_by("-n", "root_cause__name")
    )
    return [{"name": row["root_cause__name"], "n": row["n"]} for row in rows]


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


def recovery_checks(*, issue: HotIssue) -> list[RecoveryCheck]:
    """Return the questions asked again after the issue's resolutions, oldest first (one query)."""
    return list(RecoveryCheck.objects.filter(issue=issue).order_by("asked_at", "id"))
