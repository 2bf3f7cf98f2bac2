"""Leave and covers: who is away, what the planner proposes, and who stands in for some days of a term."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from advocacy.permissions import Actor, acting_person, require_manager
from core.edge import validate_sensible_date

from .. import boundaries, notices, planner
from ..models import Cover, Leave, Term
from ..notices import Managers, fmt, tell_managers
from ..selectors import eligible_member_ids, leaves_overlapping, ledger_counts
from .common import check_eligible, check_no_leave

User = get_user_model()

LEAVE_ORDER = "The last day of leave cannot be before the first day."
COVER_OUTSIDE = "A cover must lie inside the term (%(first)s to %(last)s)."
COVER_OVERLAP = "This cover overlaps another cover of the same term."
COVER_SELF = "The term's own advocate cannot cover for themself."
COVER_PAST = "This term is over; it cannot get a cover."


def propose_replacement(*, term: Term, away: AbstractBaseUser) -> AbstractBaseUser | None:
    """Return who the planner would pick for `term` instead of `away` (None if nobody can)."""
    people = [p for p in eligible_member_ids(term.program) if p != away.pk]
    leave: dict[int, list[tuple[date, date]]] = {}
    for lv in leaves_overlapping(user_ids=people, first=term.start_date, last=term.last_day):
        leave.setdefault(lv.user_id, []).append((lv.first_day, lv.last_day))
    picks = planner.plan(
        planner.PlanInput(
            slots=[planner.Slot(term.start_date, term.end_date)],
            people=people,
            ledger=ledger_counts(term.program, people, {term.pk}),
            leave=leave,
            allow_back_to_back=True,
        )
    )
    return User.objects.filter(pk=picks[0].advocate).first() if picks and picks[0].advocate else None


@transaction.atomic
def record_leave(*, user: AbstractBaseUser, first_day: date, last_day: date, note: str = "") -> Leave:
    """Record a person's absence; warn managers of every term of theirs it touches, with a proposal."""
    validate_sensible_date(first_day)
    validate_sensible_date(last_day)
    if last_day < first_day:
        raise ValidationError(LEAVE_ORDER, code="order")
    leave = Leave(user=user, first_day=first_day, last_day=last_day, note=note.strip())
    leave.full_clean()
    leave.save()
    warn_leave_conflicts(leave=leave)
    return leave


def proposes_take_over(*, term: Term, first_day: date, last_day: date) -> bool:
    """Return whether an absence from `first_day` to `last_day` (inclusive) calls for taking the term over.

    The days counted are those of the absence inside the term, both ends
    included; from half of the term's days on, someone else takes the term
    instead of covering those days.
    """
    days = (min(last_day, term.last_day) - max(first_day, term.start_date)).days + 1
    return days * 2 >= (term.end_date - term.start_date).days


@dataclass(frozen=True)
class LeaveProposal:
    """What the planner proposes for one leave inside one term: who, for which days, cover or take over."""

    leave: Leave
    person: AbstractBaseUser | None
    first_day: date
    last_day: date
    take_over: bool


def leave_proposals(*, term: Term, leaves: list[Leave]) -> list[LeaveProposal]:
    """Return, for each leave of the term's advocate inside `term`, who would cover or take over."""
    if not leaves:
        return []
    replacement = propose_replacement(term=term, away=term.advocate)
    proposals = []
    for leave in leaves:
        first, last = max(leave.first_day, term.start_date), min(leave.last_day, term.last_day)
        proposals.append(
            LeaveProposal(
                leave=leave,
                person=replacement,
                first_day=first,
                last_day=last,
                take_over=proposes_take_over(term=term, first_day=first, last_day=last),
            )
        )
    return proposals


def warn_leave_conflicts(*, leave: Leave, within: list[int] | None = None, managers: Managers | None = None) -> int:
    """Tell managers about each current or future term of the person that the leave overlaps.

    Each (leave, term, advocate, manager) is told once, however often this runs.
    """
    terms = Term.objects.filter(
        advocate=leave.user,
        status__in=[Term.Status.PLANNED, Term.Status.ACTIVE],
        start_date__lte=leave.last_day,
        end_date__gt=leave.first_day,
    ).select_related("program")
    if within is not None:
        terms = terms.filter(pk__in=within)
    managers = managers or Managers()
    sent = 0
    for term in terms:
        notice = notices.leave_conflict(
            leave,
            term,
            replacement=propose_replacement(term=term, away=leave.user),
            take_over=proposes_take_over(term=term, first_day=leave.first_day, last_day=leave.last_day),
        )
        sent += tell_managers(
            notice,
            program=term.program,
            key=f"leave:{leave.pk}:term:{term.pk}:{term.advocate_id}",
            managers=managers,
        )
    return sent


@transaction.atomic
def delete_leave(*, leave: Leave, user: AbstractBaseUser) -> None:
    if leave.user_id != user.pk:
        raise PermissionDenied("You can only remove your own leave.")
    leave.delete()


def check_can_arrange_cover(*, term: Term, actor: Actor) -> None:
    """Refuse (403) unless `actor` is the term's advocate or manages its program."""
    if actor.pk is None or actor.pk != term.advocate_id:
        require_manager(program=term.program, actor=actor)


@transaction.atomic
def add_cover(
    *,
    term: Term,
    person: AbstractBaseUser,
    first_day: date,
    last_day: date,
    actor: Actor,
    reason: str = "",
) -> Cover:
    """Let `person` be the advocate from `first_day` to `last_day` inside `term`; tell both."""
    term = Term.objects.select_for_update(of=("self",)).select_related("program", "advocate").get(pk=term.pk)
    program = term.program
    check_can_arrange_cover(term=term, actor=actor)
    if term.status == Term.Status.COMPLETED:
        raise ValidationError(COVER_PAST, code="past")
    if person.pk == term.advocate_id:
        raise ValidationError(COVER_SELF, code="self")
    if last_day < first_day:
        raise ValidationError(LEAVE_ORDER, code="order")
    if first_day < term.start_date or last_day > term.last_day:
        raise ValidationError(
            COVER_OUTSIDE, params={"first": fmt(term.start_date), "last": fmt(term.last_day)}, code="outside"
        )
    check_eligible(program, person)
    check_no_leave(person, first_day, last_day + timedelta(days=1))
    starts_at = max(boundaries.boundary(program=program, day=first_day), term.starts_at)
    ends_at = min(boundaries.boundary(program=program, day=last_day + timedelta(days=1)), term.ends_at)
    if Cover.objects.filter(term=term, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ValidationError(COVER_OVERLAP, code="overlap")
    cover = Cover(
        term=term,
        person=person,
        first_day=first_day,
        last_day=last_day,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        created_by=acting_person(actor),
    )
    cover.full_clean()
    cover.save()
    notices.send(notices.cover_assigned(cover), user=person, program=program, key=f"cover:{cover.pk}:person")
    if term.advocate and actor.pk != term.advocate_id:
        notices.send(notices.cover_added(cover), user=term.advocate, program=program, key=f"cover:{cover.pk}:advocate")
    return cover


@transaction.atomic
def remove_cover(*, cover: Cover, actor: Actor) -> None:
    check_can_arrange_cover(term=cover.term, actor=actor)
    cover.delete()
