"""What rotations does when advocacy acts (listed in settings: PROGRAM_CHANGED_PARTICIPANTS,
MEMBERSHIP_CHANGED_PARTICIPANTS). Each runs inside advocacy's transaction and returns what it did."""

from advocacy.hooks import MembershipChange, ProgramChange

from . import services
from .models import RosterReview


def reschedule_after_program_change(change: ProgramChange) -> int:
    """Program-changed participant: move the boundaries still ahead when the zone or handoff time changed.

    Returns how many terms moved (0 when the boundaries did not move).
    """
    if not change.boundaries_moved:
        return 0
    return services.reschedule_program_terms(program=change.program)


def review_roster_change(change: MembershipChange) -> RosterReview | None:
    """Membership-changed participant: ledger baseline for a newcomer, a review of affected planned terms."""
    return services.review_roster_change(membership=change.membership, change=change.change, actor=change.actor)
