"""Terms: create one, give it to someone by hand, planning rules, and moving boundaries after a zone change."""

from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import Actor, require_manager
from advocacy.selectors import display_name
from core.edge import validate_sensible_date

from .. import boundaries, notices
from ..models import Cover, RotationSettings, Term
from ..notices import fmt
from .common import OVERLAP, check_eligible, check_no_leave, check_no_overlap, queue_program_reminders

NOT_PLANNED = "Only future terms can be changed. The current term can only be handed over with “Hand over now”."
SAME_ADVOCATE = "%(name)s is already the advocate of this term."
TERM_IN_PAST = "A term cannot start in the past (%(day)s). Choose a first day from today on."
TERM_ORDER = "The term must end after it starts."


@transaction.atomic
def create_term(
    *,
    program: Program,
    start_date: date,
    end_date: date | None = None,
    advocate: AbstractBaseUser | None = None,
    pinned: bool = False,
) -> Term:
    """Create a planned term; its end and UTC instants follow the program's length and zone."""
    validate_sensible_date(start_date)
    validate_sensible_date(end_date)
    end_date = end_date or boundaries.term_end_date(program=program, start_date=start_date)
    term = Term(
        program=program,
        advocate=advocate,
        start_date=start_date,
        end_date=end_date,
        starts_at=boundaries.boundary(program=program, day=start_date),
        ends_at=boundaries.boundary(program=program, day=end_date),
        pinned=pinned,
    )
    term.full_clean()
    check_no_overlap(program=program, starts_at=term.starts_at, ends_at=term.ends_at)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError as error:  # the exclusion constraint, when two writers race
        if "term_no_overlap" in str(error):
            raise ValidationError(OVERLAP, params={"start": fmt(start_date), "end": fmt(end_date)}) from error
        raise
    return term


@transaction.atomic
def add_term(
    *,
    program: Program,
    actor: Actor,
    start_date: date,
    end_date: date,
    advocate: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Term:
    """Create a term by hand for a coverage gap, from today on, and tell its advocate."""
    require_manager(program=program, actor=actor)
    validate_sensible_date(start_date)
    validate_sensible_date(end_date)
    now = now or timezone.now()
    if start_date < boundaries.local_date(program=program, at=now):
        raise ValidationError(TERM_IN_PAST, params={"day": fmt(start_date)}, code="past")
    if end_date <= start_date:
        raise ValidationError(TERM_ORDER, code="order")
    if advocate is not None:
        check_eligible(program, advocate)
        check_no_leave(advocate, start_date, end_date)
    term = create_term(
        program=program, start_date=start_date, end_date=end_date, advocate=advocate, pinned=advocate is not None
    )
    _tell_term_moved(term=term, previous=None, key=f"add:{term.pk}")
    queue_program_reminders(program=program)
    return term


@transaction.atomic
def assign_term(*, term: Term, advocate: AbstractBaseUser | None, actor: Actor) -> Term:
    """Give a future term to `advocate` (or leave it open), by hand; tell both people."""
    require_manager(program=term.program, actor=actor)
    term = Term.objects.select_for_update(of=("self",)).select_related("program", "advocate").get(pk=term.pk)
    if term.status != Term.Status.PLANNED:
        raise ValidationError(NOT_PLANNED, code="not_planned")
    if advocate is not None:
        if advocate.pk == term.advocate_id:
            raise ValidationError(SAME_ADVOCATE, params={"name": display_name(advocate)}, code="same")
        check_eligible(term.program, advocate)
        check_no_leave(advocate, term.start_date, term.end_date)
    previous = term.advocate
    term.advocate = advocate
    term.pinned = advocate is not None
    term.full_clean()
    term.save()
    _tell_term_moved(term=term, previous=previous, key=f"assign:{term.pk}:{timezone.now().timestamp()}")
    queue_program_reminders(program=term.program)
    return term


def _tell_term_moved(*, term: Term, previous: AbstractBaseUser | None, key: str) -> None:
    if term.advocate is not None:
        notices.send(
            notices.term_assigned(term), user=term.advocate, program=term.program, key=f"{key}:to:{term.advocate.pk}"
        )
    if previous is not None and previous.pk != term.advocate_id:
        notices.send(
            notices.term_taken_away(term), user=previous, program=term.program, key=f"{key}:from:{previous.pk}"
        )


@transaction.atomic
def save_rotation_settings(
    *,
    program: Program,
    actor: Actor,
    allow_back_to_back: bool,
    max_terms_per_year: int,
    auto_approve_swaps: bool,
    require_note_to_hand_over_early: bool = False,
) -> RotationSettings:
    require_manager(program=program, actor=actor)
    found, _ = RotationSettings.objects.select_for_update().get_or_create(program=program)
    found.allow_back_to_back = allow_back_to_back
    found.max_terms_per_year = max_terms_per_year
    found.auto_approve_swaps = auto_approve_swaps
    found.require_note_to_hand_over_early = require_note_to_hand_over_early
    found.full_clean()
    found.save()
    return found


@transaction.atomic
def reschedule_program_terms(*, program: Program, now: datetime | None = None) -> int:
    """Recompute the UTC instants of terms and covers still ahead after a program's zone or handoff time changed.

    Local dates stay as they are (saved terms are never reshuffled); only
    boundaries that have not passed yet move. Returns how many terms moved.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS term_no_overlap DEFERRED")
    moved = 0
    for term in Term.objects.select_for_update().filter(program=program, ends_at__gt=now):
        starts_at = boundaries.boundary(program=program, day=term.start_date)
        ends_at = boundaries.boundary(program=program, day=term.end_date)
        changed = []
        if term.status == Term.Status.PLANNED and starts_at != term.starts_at:
            term.starts_at = starts_at
            changed.append("starts_at")
        if ends_at != term.ends_at and ends_at > now:
            term.ends_at = ends_at
            changed.append("ends_at")
        if changed:
            term.time_zone, term.handoff_time = program.time_zone, program.handoff_time
            term.save(update_fields=[*changed, "time_zone", "handoff_time", "updated_at"])
            moved += 1
    for cover in (
        Cover.objects.select_for_update(of=("self",))
        .select_related("term")
        .filter(term__program=program, ends_at__gt=now)
    ):
        cover.starts_at = max(boundaries.boundary(program=program, day=cover.first_day), cover.term.starts_at)
        cover.ends_at = min(
            boundaries.boundary(program=program, day=cover.last_day + timedelta(days=1)), cover.term.ends_at
        )
        cover.save(update_fields=["starts_at", "ends_at", "updated_at"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS term_no_overlap IMMEDIATE")
    return moved
