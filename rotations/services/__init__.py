"""Writes for rotations, one module per section, re-exported here.

    terms      create and assign terms, planning rules, boundaries after a zone change
    planning   preview and save the planner's proposal
    handoffs   the baton passes (with the handoff hook's participants), notes, acknowledgement
    leave      leave, what the planner proposes for it, covers
    swaps      offering, accepting, approving and declining swaps
    roster     roster changes and their reviews
    calendar   calendar feed addresses

Every function is one business action: keyword-only arguments, validation
with messages a person understands (module constants that tests reuse), all
writes in one transaction, notifications sent on commit. All notice wording
is in rotations.notices; reads are in rotations.selectors.
"""

from .calendar import calendar_token, reset_calendar_token
from .common import (
    NOT_ELIGIBLE,
    ON_LEAVE,
    OVERLAP,
    check_eligible,
    check_no_leave,
    check_no_overlap,
    queue_program_reminders,
)
from .handoffs import (
    ALREADY_ACKNOWLEDGED,
    NOT_CURRENT,
    NOT_INCOMING,
    NOT_THE_ADVOCATE,
    NOTE_REQUIRED,
    acknowledge_handoff,
    hand_over_now,
    perform_due_handoffs,
    run_due_handoffs,
    save_declaration,
    write_handoff_note,
)
from .leave import (
    COVER_OUTSIDE,
    COVER_OVERLAP,
    COVER_PAST,
    COVER_SELF,
    LEAVE_ORDER,
    LeaveProposal,
    add_cover,
    check_can_arrange_cover,
    delete_leave,
    leave_proposals,
    propose_replacement,
    proposes_take_over,
    record_leave,
    remove_cover,
    warn_leave_conflicts,
)
from .planning import MAX_PLAN, PLAN_CHANGED, PLAN_COUNT, PlanPreview, PlanRow, preview_plan, save_plan
from .roster import (
    REVIEW_ACTIONS,
    REVIEW_DONE,
    REVIEW_NEWCOMER,
    REVIEW_UNKNOWN_ACTION,
    resolve_roster_review,
    review_roster_change,
)
from .swaps import (
    SWAP_NOT_ACCEPTED,
    SWAP_NOT_FOR_YOU,
    SWAP_NOT_OPEN,
    SWAP_NOT_YOURS,
    SWAP_OWN_TERM,
    SWAP_PENDING,
    SWAP_SELF,
    SWAP_STALE,
    SWAP_TARGET_TERM,
    accept_swap,
    approve_swap,
    cancel_swap,
    check_can_offer,
    decline_swap,
    request_swap,
)
from .terms import (
    NOT_PLANNED,
    SAME_ADVOCATE,
    assign_term,
    create_term,
    reschedule_program_terms,
    save_rotation_settings,
)

__all__ = [
    "ALREADY_ACKNOWLEDGED",
    "COVER_OUTSIDE",
    "COVER_OVERLAP",
    "COVER_PAST",
    "COVER_SELF",
    "LEAVE_ORDER",
    "LeaveProposal",
    "MAX_PLAN",
    "NOT_CURRENT",
    "NOT_ELIGIBLE",
    "NOT_INCOMING",
    "NOT_PLANNED",
    "NOT_THE_ADVOCATE",
    "NOTE_REQUIRED",
    "ON_LEAVE",
    "OVERLAP",
    "PLAN_CHANGED",
    "PLAN_COUNT",
    "PlanPreview",
    "PlanRow",
    "REVIEW_ACTIONS",
    "REVIEW_DONE",
    "REVIEW_NEWCOMER",
    "REVIEW_UNKNOWN_ACTION",
    "SAME_ADVOCATE",
    "SWAP_NOT_ACCEPTED",
    "SWAP_NOT_FOR_YOU",
    "SWAP_NOT_OPEN",
    "SWAP_NOT_YOURS",
    "SWAP_OWN_TERM",
    "SWAP_PENDING",
    "SWAP_SELF",
    "SWAP_STALE",
    "SWAP_TARGET_TERM",
    "accept_swap",
    "acknowledge_handoff",
    "add_cover",
    "approve_swap",
    "assign_term",
    "calendar_token",
    "cancel_swap",
    "check_can_arrange_cover",
    "check_can_offer",
    "check_eligible",
    "check_no_leave",
    "check_no_overlap",
    "create_term",
    "decline_swap",
    "delete_leave",
    "hand_over_now",
    "leave_proposals",
    "perform_due_handoffs",
    "preview_plan",
    "propose_replacement",
    "proposes_take_over",
    "queue_program_reminders",
    "record_leave",
    "remove_cover",
    "request_swap",
    "reschedule_program_terms",
    "reset_calendar_token",
    "resolve_roster_review",
    "review_roster_change",
    "run_due_handoffs",
    "save_declaration",
    "save_plan",
    "save_rotation_settings",
    "warn_leave_conflicts",
    "write_handoff_note",
]
