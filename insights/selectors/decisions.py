"""Reads for decision records: a program's list, the brief's decisions ahead, and counts per term."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from advocacy.models import Program
from rotations.models import Term

from ..models import Decision


def decisions_for_program(*, program: Program, status: str | None = None) -> QuerySet[Decision]:
    rows = Decision.objects.filter(program=program).select_related(
        "program", "proposed_by", "customer_side_by", "outcome_by"
    )
    if status:
        rows = rows.filter(status=status)
    return rows


def decision_for_program(*, program: Program, pk: int) -> Decision:
    """The program's decision `pk`; another program's id is a 404, never a leak."""
    return get_object_or_404(decisions_for_program(program=program), pk=pk)


def decisions_ahead(*, program: Program, limit: int = 5) -> list[Decision]:
    """Open decisions, soonest first, for the brief the advocate takes into the meeting."""
    return list(decisions_for_program(program=program, status=Decision.Status.OPEN).order_by("decide_on", "pk")[:limit])


@dataclass(frozen=True)
class TermDecisions:
    term: Term
    taken: int
    with_customer_side: int


def decisions_per_term(*, program: Program, terms: list[Term]) -> list[TermDecisions]:
    """For each term, the decisions taken in it and how many had the customer's side written first.

    A decision belongs to the term its date falls in; a withdrawn one was not
    taken. One query, whatever the number of terms.
    """
    if not terms:
        return []
    first = min(t.start_date for t in terms)
    last = max(t.last_day for t in terms)
    rows = list(
        Decision.objects.filter(
            program=program, status=Decision.Status.DECIDED, decide_on__gte=first, decide_on__lte=last
        ).values_list("decide_on", "customer_side_at", "outcome_at")
    )
    result = []
    for term in terms:
        inside = [r for r in rows if term.start_date <= r[0] <= term.last_day]
        written_first = sum(
            1 for _, side_at, outcome_at in inside if side_at and (not outcome_at or side_at <= outcome_at)
        )
        result.append(TermDecisions(term=term, taken=len(inside), with_customer_side=written_first))
    return result
