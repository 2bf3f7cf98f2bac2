"""Checks and steps several sections of the rotations services share."""

from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from advocacy.models import Program
from advocacy.selectors import display_name
from core.outbox import enqueue

from ..models import SwapRequest, Term
from ..notices import fmt
from ..selectors import eligible_member_ids, leaves_overlapping

OVERLAP = "This term would overlap the term from %(start)s to %(end)s. Terms of one program cannot overlap."
NOT_ELIGIBLE = "%(name)s is not an eligible member of this program."
ON_LEAVE = "%(name)s is on leave during this term (%(first)s to %(last)s)."


def check_eligible(program: Program, user: AbstractBaseUser) -> None:
    """Raise NOT_ELIGIBLE unless `user` is an eligible, active member of the program."""
    if user.pk not in eligible_member_ids(program):
        raise ValidationError(NOT_ELIGIBLE, params={"name": display_name(user)}, code="not_eligible")


def check_no_leave(user: AbstractBaseUser, first: date, end_exclusive: date) -> None:
    """Raise ON_LEAVE if `user` has leave on any day from `first` up to (not including) `end_exclusive`."""
    leave = leaves_overlapping(user_ids=[user.pk], first=first, last=end_exclusive - timedelta(days=1)).first()
    if leave:
        raise ValidationError(
            ON_LEAVE,
            params={"name": display_name(user), "first": fmt(leave.first_day), "last": fmt(leave.last_day)},
            code="on_leave",
        )


def check_no_overlap(
    *, program: Program, starts_at: datetime, ends_at: datetime, exclude_pk: int | None = None
) -> None:
    """Raise OVERLAP if [starts_at, ends_at) meets another term of the program."""
    clash = (
        Term.objects.filter(program=program, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .exclude(pk=exclude_pk)
        .order_by("starts_at")
        .first()
    )
    if clash:
        raise ValidationError(
            OVERLAP, params={"start": fmt(clash.start_date), "end": fmt(clash.last_day)}, code="overlap"
        )


def locked_swap(swap: SwapRequest) -> SwapRequest:
    """Return the swap request re-read and locked (its row only), with its terms and program."""
    return (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related("term__program", "target_term", "requested_by", "accepted_by")
        .get(pk=swap.pk)
    )


def queue_program_reminders(*, program: Program) -> None:
    """Queue a reminder run for the program (through the outbox, so a dead broker loses nothing)."""
    enqueue("rotations.tasks.send_program_reminders", args=[program.pk])
