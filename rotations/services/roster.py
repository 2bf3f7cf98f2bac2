"""Roster changes: someone joins, leaves or stops being eligible; planned terms are reviewed, never silently moved."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Membership
from advocacy.permissions import Actor, acting_person, require_manager

from .. import notices
from ..models import LedgerEntry, RosterReview, Term
from ..notices import tell_managers
from ..selectors import eligible_member_ids, ledger_counts

REVIEW_DONE = "This roster change was already dealt with."
REVIEW_NEWCOMER = "A newcomer's terms were never theirs: keep them as they are, or replan to include them."
REVIEW_UNKNOWN_ACTION = "Choose to keep the terms, open them, or replan them."
REVIEW_ACTIONS = ("keep", "unassign", "replan")


def review_roster_change(*, membership: Membership, change: str, actor: Actor) -> RosterReview | None:
    """React to a roster change without touching saved terms.

    A newcomer gets a ledger baseline level with the others (so they are not
    owed every past term). Someone who leaves or stops being eligible while
    holding future terms, or whose account is deactivated, gets a roster
    review the managers resolve; reactivating the account closes that review.
    """
    program = membership.program
    open_reviews = RosterReview.objects.filter(program=program, user=membership.user, resolved_at__isnull=True)
    if change == "added":
        people = [p for p in eligible_member_ids(program) if p != membership.user_id]
        counts = ledger_counts(program, people, set())
        LedgerEntry.objects.get_or_create(
            program=program, user=membership.user, defaults={"baseline": min(counts.values(), default=0)}
        )
    if change == "reactivated":
        # Their account is open again: the review their deactivation opened is moot (their terms
        # were never moved); if they are eligible, go on as for a change that lets them serve.
        open_reviews.filter(change=RosterReview.Change.INACTIVE).update(resolved_at=timezone.now(), resolution="moot")
        if not membership.is_eligible:
            return None
        change = "changed"
    if change in ("added", "changed") and membership.is_eligible:
        # Someone (again) able to serve: an earlier review about them is moot; offer to replan
        # the planned terms to include them, without changing anything yet.
        open_reviews.exclude(change=RosterReview.Change.JOINED).update(resolved_at=timezone.now(), resolution="moot")
        kind = RosterReview.Change.JOINED
        affected = list(Term.objects.filter(program=program, status=Term.Status.PLANNED, pinned=False))
        if change == "changed" and membership.user_id in set(
            Term.objects.filter(program=program, status=Term.Status.PLANNED).values_list("advocate_id", flat=True)
        ):
            return None  # already serving in the plan: nothing to propose
    elif change == "removed":
        kind = RosterReview.Change.REMOVED
        affected = list(Term.objects.filter(program=program, advocate=membership.user, status=Term.Status.PLANNED))
    elif change == "deactivated":
        # Their account is closed: the terms they still hold need someone else; the managers decide.
        kind = RosterReview.Change.INACTIVE
        open_reviews.exclude(change=RosterReview.Change.INACTIVE).update(resolved_at=timezone.now(), resolution="moot")
        affected = list(Term.objects.filter(program=program, advocate=membership.user, status=Term.Status.PLANNED))
    elif change == "changed" and not membership.is_eligible:
        kind = RosterReview.Change.INELIGIBLE
        affected = list(Term.objects.filter(program=program, advocate=membership.user, status=Term.Status.PLANNED))
    else:
        return None
    if not affected:
        return None
    if open_reviews.exists():
        return None
    review = RosterReview.objects.create(program=program, user=membership.user, change=kind)
    review.terms.set(affected)
    tell_managers(
        notices.roster_review(review, affected=len(affected), joined=kind == RosterReview.Change.JOINED),
        program=program,
        key=f"roster:{review.pk}",
        skip=[membership.user_id] if kind in (RosterReview.Change.REMOVED, RosterReview.Change.INACTIVE) else [],
    )
    return review


@transaction.atomic
def resolve_roster_review(*, review: RosterReview, actor: Actor, action: str) -> list[int]:
    """Deal with a roster review; return the ids of the terms opened for replanning.

    "keep" leaves the affected terms as they are. "unassign" opens the terms the
    person still holds. "replan" unassigns them too (so the planner can fill
    them), except for a newcomer's review, whose terms were never theirs: it is
    kept and the planner proposes a plan including them. A newcomer's review
    cannot be unassigned.
    """
    if action not in REVIEW_ACTIONS:
        raise ValidationError(REVIEW_UNKNOWN_ACTION, code="unknown_action")
    review = RosterReview.objects.select_for_update().get(pk=review.pk)
    require_manager(program=review.program, actor=actor)
    if review.resolved_at:
        raise ValidationError(REVIEW_DONE, code="done")
    joined = review.change == RosterReview.Change.JOINED
    if joined and action == "unassign":
        raise ValidationError(REVIEW_NEWCOMER, code="newcomer")
    resolution = "keep" if action == "keep" or joined else "unassign"
    unassigned: list[int] = []
    if resolution == "unassign":
        for term in review.terms.select_for_update().filter(status=Term.Status.PLANNED, advocate=review.user):
            term.advocate = None
            term.pinned = False
            term.save(update_fields=["advocate", "pinned", "updated_at"])
            unassigned.append(term.pk)
    review.resolved_at = timezone.now()
    review.resolved_by = acting_person(actor)
    review.resolution = resolution
    review.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return unassigned
