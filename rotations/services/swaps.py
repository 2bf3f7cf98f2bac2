"""Swaps: an advocate offers a future term, someone accepts, and a manager approves unless the program auto-approves."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.permissions import Actor, require_manager
from advocacy.selectors import display_name

from .. import notices
from ..models import SwapRequest, Term
from ..notices import Managers, tell_managers
from ..selectors import eligible_members, rotation_settings
from .common import check_eligible, check_no_leave, locked_swap

SWAP_OWN_TERM = "You can only offer your own future terms for a swap."
SWAP_TARGET_TERM = "Pick one of %(name)s's future terms in this program to trade."
SWAP_NOT_OPEN = "This swap request is no longer open."
SWAP_NOT_ACCEPTED = "This swap request is not waiting for a manager."
SWAP_NOT_FOR_YOU = "This swap request is addressed to someone else."
SWAP_NOT_YOURS = "Only the person who asked can withdraw the request."
SWAP_STALE = "The terms changed since the swap was requested; it can no longer be applied."
SWAP_PENDING = "There is already an open swap request for this term."
SWAP_SELF = "You cannot swap with yourself."


def check_can_offer(*, term: Term, requester: AbstractBaseUser) -> None:
    """Raise SWAP_OWN_TERM unless `requester` is the advocate of `term` and it is still to come."""
    if term.advocate_id != requester.pk or term.status != Term.Status.PLANNED:
        raise ValidationError(SWAP_OWN_TERM, code="own_term")


@transaction.atomic
def request_swap(
    *,
    term: Term,
    requester: AbstractBaseUser,
    target: AbstractBaseUser | None = None,
    target_term: Term | None = None,
    message: str = "",
) -> SwapRequest:
    """Offer one's own future term: to one person, to trade for their term, or to anyone eligible."""
    term = Term.objects.select_for_update(of=("self",)).select_related("program").get(pk=term.pk)
    check_can_offer(term=term, requester=requester)
    if SwapRequest.objects.filter(
        term=term, status__in=[SwapRequest.Status.OPEN, SwapRequest.Status.ACCEPTED]
    ).exists():
        raise ValidationError(SWAP_PENDING, code="pending")
    if target is not None:
        if target.pk == requester.pk:
            raise ValidationError(SWAP_SELF, code="self")
        check_eligible(term.program, target)
    if target_term is not None:
        if (
            target is None
            or target_term.advocate_id != target.pk
            or target_term.program_id != term.program_id
            or target_term.status != Term.Status.PLANNED
        ):
            raise ValidationError(
                SWAP_TARGET_TERM, params={"name": display_name(target) if target else "the other person"}
            )
    swap = SwapRequest(
        term=term, requested_by=requester, target=target, target_term=target_term, message=message.strip()
    )
    swap.full_clean()
    swap.save()
    recipients = [target] if target else [p for p in eligible_members(term.program) if p.pk != requester.pk]
    notice = notices.swap_requested(swap)
    for person in recipients:
        notices.send(notice, user=person, program=term.program, key=f"swap:{swap.pk}:asked:{person.pk}")
    return swap


@transaction.atomic
def accept_swap(*, swap: SwapRequest, user: AbstractBaseUser) -> SwapRequest:
    """Accept a swap; it takes effect now if the program auto-approves, else a manager decides."""
    swap = locked_swap(swap)
    program = swap.term.program
    if swap.status != SwapRequest.Status.OPEN:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    if swap.target_id and swap.target_id != user.pk:
        raise PermissionDenied(SWAP_NOT_FOR_YOU)
    if user.pk == swap.requested_by_id:
        raise ValidationError(SWAP_SELF, code="self")
    check_eligible(program, user)
    check_no_leave(user, swap.term.start_date, swap.term.end_date)
    if swap.target_term:
        check_no_leave(swap.requested_by, swap.target_term.start_date, swap.target_term.end_date)
    swap.accepted_by = user
    swap.accepted_at = timezone.now()
    if rotation_settings(program=program).auto_approve_swaps:
        return _apply_swap(swap=swap, decider=None)
    swap.status = SwapRequest.Status.ACCEPTED
    swap.save(update_fields=["accepted_by", "accepted_at", "status"])
    tell_managers(notices.swap_to_approve(swap), program=program, key=f"swap:{swap.pk}:approve")
    return swap


@transaction.atomic
def approve_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    swap = locked_swap(swap)
    require_manager(program=swap.term.program, actor=actor)
    if swap.status != SwapRequest.Status.ACCEPTED:
        raise ValidationError(SWAP_NOT_ACCEPTED, code="not_accepted")
    return _apply_swap(swap=swap, decider=actor)


def _apply_swap(*, swap: SwapRequest, decider: Actor) -> SwapRequest:
    ids = [swap.term_id] + ([swap.target_term_id] if swap.target_term_id else [])
    terms = {t.pk: t for t in Term.objects.select_for_update(of=("self",)).select_related("program").filter(pk__in=ids)}
    term = terms[swap.term_id]
    other = terms.get(swap.target_term_id) if swap.target_term_id else None
    if term.status != Term.Status.PLANNED or term.advocate_id != swap.requested_by_id:
        raise ValidationError(SWAP_STALE, code="stale")
    if other is not None and (other.status != Term.Status.PLANNED or other.advocate_id != swap.accepted_by_id):
        raise ValidationError(SWAP_STALE, code="stale")
    term.advocate_id = swap.accepted_by_id
    term.pinned = True
    term.save(update_fields=["advocate", "pinned", "updated_at"])
    if other is not None:
        other.advocate_id = swap.requested_by_id
        other.pinned = True
        other.save(update_fields=["advocate", "pinned", "updated_at"])
    swap.status = SwapRequest.Status.APPROVED
    swap.decided_by = decider
    swap.decided_at = timezone.now()
    swap.save()
    program = term.program
    people = {swap.requested_by_id: swap.requested_by, swap.accepted_by_id: swap.accepted_by}
    for manager in Managers().of(program):
        people.setdefault(manager.pk, manager)
    notice = notices.swap_done(swap, term, other)
    for person in people.values():
        notices.send(notice, user=person, program=program, key=f"swap:{swap.pk}:done:{person.pk}")
    return swap


@transaction.atomic
def decline_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    """A manager (or the addressee of an open request) turns a swap down."""
    swap = locked_swap(swap)
    if not swap.is_pending:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    addressee = swap.status == SwapRequest.Status.OPEN and swap.target_id == actor.pk
    if not addressee:
        require_manager(program=swap.term.program, actor=actor)
    swap.status = SwapRequest.Status.DECLINED
    swap.decided_by = actor
    swap.decided_at = timezone.now()
    swap.save(update_fields=["status", "decided_by", "decided_at"])
    notices.send(
        notices.swap_declined(swap, by=actor),
        user=swap.requested_by,
        program=swap.term.program,
        key=f"swap:{swap.pk}:declined",
    )
    return swap


@transaction.atomic
def cancel_swap(*, swap: SwapRequest, actor: AbstractBaseUser) -> SwapRequest:
    swap = locked_swap(swap)
    if swap.requested_by_id != actor.pk:
        raise PermissionDenied(SWAP_NOT_YOURS)
    if not swap.is_pending:
        raise ValidationError(SWAP_NOT_OPEN, code="not_open")
    swap.status = SwapRequest.Status.CANCELLED
    swap.decided_at = timezone.now()
    swap.save(update_fields=["status", "decided_at"])
    return swap
