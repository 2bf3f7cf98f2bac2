"""Reads for term reports, recognition and "My page".

Champions are computed for a window of terms with two GROUP BY queries (one
over resolved issues, one over thanks notes), whatever the number of terms shown.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from advocacy.models import Program, ThanksNote
from advocacy.permissions import visible_program_ids
from issues.models import OPEN_Q, OPEN_VALUES, HotIssue, Status
from issues.selectors import LazyLogRows, LogRow, LogScope, open_level_counts
from rotations.models import Term

from .models import Recognition, TermReport

SATISFIED = 4  # "satisfied" on the 1–5 answer after resolution


def reports_for_program(*, program: Program) -> QuerySet[TermReport]:
    return TermReport.objects.filter(program=program).select_related("term", "advocate").order_by("-term__starts_at")


def report_for_program(*, program: Program, pk: int) -> TermReport:
    report = reports_for_program(program=program).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def recognitions_for_program(*, program: Program) -> QuerySet[Recognition]:
    return Recognition.objects.filter(program=program).select_related("recipient", "given_by", "term")


@dataclass
class TermChampions:
    term: Term
    satisfied: list = field(default_factory=list)  # [(user, count)], ties share the title
    thanked: list = field(default_factory=list)


def _top(rows: dict[int, dict[int, int]], term_id: int, users: dict) -> list:
    counts = rows.get(term_id, {})
    if not counts:
        return []
    best = max(counts.values())
    return [(users[uid], n) for uid, n in sorted(counts.items()) if n == best and uid in users]


def champions(*, program: Program, terms: list[Term]) -> list[TermChampions]:
    """Return each term's champions: most customers helped back to satisfied, most thanks received.

    "Helped back to satisfied": issues resolved during the term whose customer
    answered 4 or 5, counted for the person who owns them.
    """
    if not terms:
        return []
    lo, hi = min(t.starts_at for t in terms), max(t.ends_at for t in terms)
    ids = [t.pk for t in terms]

    def term_at(column: str) -> Subquery:
        return Subquery(
            Term.objects.filter(pk__in=ids, starts_at__lte=OuterRef(column), ends_at__gt=OuterRef(column)).values("pk")[
                :1
            ]
        )

    satisfied_rows = (
        HotIssue.objects.filter(
            program=program,
            status=Status.RESOLVED,
            satisfaction__gte=SATISFIED,
            resolved_at__gte=lo,
            resolved_at__lt=hi,
        )
        .annotate(term_id=term_at("resolved_at"))
        .values("term_id", "owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    thanks_rows = (
        ThanksNote.objects.filter(program=program, created_at__gte=lo, created_at__lt=hi)
        .annotate(term_id=term_at("created_at"))
        .values("term_id", "recipient_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    satisfied: dict[int, dict[int, int]] = {}
    thanked: dict[int, dict[int, int]] = {}
    for row in satisfied_rows:
        if row["term_id"]:
            satisfied.setdefault(row["term_id"], {})[row["owner_id"]] = row["n"]
    for row in thanks_rows:
        if row["term_id"]:
            thanked.setdefault(row["term_id"], {})[row["recipient_id"]] = row["n"]
    user_ids = {uid for rows in (satisfied, thanked) for counts in rows.values() for uid in counts}
    users = get_user_model().objects.in_bulk(user_ids)
    return [
        TermChampions(term=t, satisfied=_top(satisfied, t.pk, users), thanked=_top(thanked, t.pk, users)) for t in terms
    ]


def recent_terms(*, program: Program, limit: int = 4) -> list[Term]:
    """Return the program's current and latest completed terms, newest first."""
    return list(
        Term.objects.filter(program=program, status__in=[Term.Status.ACTIVE, Term.Status.COMPLETED])
        .select_related("advocate")
        .order_by("-starts_at")[:limit]
    )


# ---------------------------------------------------------------- my page


def my_open_issues(*, user: AbstractBaseUser, limit: int = 10) -> tuple[list[LogRow], int]:
    """Return the first open issues I own, in the log's priority order (as the log's rows), and how many
    I own in all."""
    program_ids = list(visible_program_ids(user=user))
    qs = HotIssue.objects.filter(OPEN_Q, owner=user, program_id__in=program_ids)
    scope = LogScope(program_ids=program_ids, statuses=list(OPEN_VALUES), owner_id=user.pk)
    counts = open_level_counts(**vars(scope))
    # With the kept counts (PostgreSQL) the log's own written-out scans read them, as the log's
    # owner filter does: compiling the queryset's scans cost more than reading the page.
    rows = LazyLogRows(
        qs, program_ids=program_ids, counts=counts, scope=scope if counts is not None else None, values=True
    )[0:limit]
    total = sum(c["n"] for c in counts.values()) if counts is not None else qs.count()
    return rows, total


def my_reports(*, user: AbstractBaseUser) -> QuerySet[TermReport]:
    """Return my term reports in the programs I still belong to, newest first."""
    return (
        TermReport.objects.filter(advocate=user, program__memberships__user=user)
        .select_related("term", "program")
        .order_by("-term__starts_at")
    )


def my_recognitions(*, user: AbstractBaseUser) -> QuerySet[Recognition]:
    return Recognition.objects.filter(recipient=user, program__memberships__user=user).select_related(
        "program", "given_by"
    )
