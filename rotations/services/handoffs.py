"""Handoffs: the baton passes at a term boundary (or early, by a manager), exactly once.

Reading `_handoff` shows every effect of a handoff: term statuses, the
participants of the handoff hook (rotations.hooks), the Handoff row with what
they did, and the two notices.
"""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import Actor, require_manager
from advocacy.selectors import display_name, role_version_for_program

from .. import boundaries, notices
from ..hooks import HandoffContext, run_handoff_participants
from ..models import Cover, Handoff, Term
from ..selectors import due_program_ids, rotation_settings
from .common import check_eligible, check_no_overlap
from .terms import SAME_ADVOCATE

NOT_CURRENT = "Only the current term can be handed over now."
NOT_THE_ADVOCATE = "Only the term's advocate can do that."
NOT_INCOMING = "Only the incoming advocate can acknowledge the handoff."
ALREADY_ACKNOWLEDGED = "This handoff was already acknowledged."
NOTE_REQUIRED = (
    "This program asks for a handoff note before handing over early: write what the next advocate needs to know "
    "(open issues, promises, contacts) first."
)


def run_due_handoffs(*, now: datetime | None = None) -> int:
    """Perform every due handoff of every program, each program in its own transaction; return how many."""
    now = now or timezone.now()
    return sum(perform_due_handoffs(program_id=pid, now=now) for pid in due_program_ids(now=now))


def perform_due_handoffs(*, program_id: int, now: datetime | None = None) -> int:
    """Perform a program's due handoffs in order, all or nothing; return how many were performed.

    The program row is locked with SKIP LOCKED: a second worker running at the
    same moment skips the program instead of doing the work twice, and the
    state is re-read under the lock, so a repeated run finds nothing to do.
    """
    now = now or timezone.now()
    with transaction.atomic():
        program = Program.objects.select_for_update(skip_locked=True).filter(pk=program_id).first()
        if program is None:
            return 0
        return _perform_due(program=program, now=now)


def _perform_due(*, program: Program, now: datetime) -> int:
    terms = list(
        Term.objects.select_for_update(of=("self",))
        .filter(program=program)
        .filter(Q(status=Term.Status.ACTIVE) | Q(status=Term.Status.PLANNED, starts_at__lte=now))
        .select_related("advocate")
        .order_by("starts_at")
    )
    active = next((t for t in terms if t.status == Term.Status.ACTIVE), None)
    due = [t for t in terms if t.status == Term.Status.PLANNED]
    performed = 0
    role_version = None
    for incoming in due:
        if role_version is None:
            role_version = role_version_for_program(program=program)
        _handoff(
            program=program,
            outgoing=active,
            incoming=incoming,
            at=incoming.starts_at,
            now=now,
            role_version=role_version,
        )
        active = incoming
        performed += 1
    if active is not None and active.ends_at <= now:
        active.status = Term.Status.COMPLETED
        active.save(update_fields=["status", "updated_at"])
    return performed


def _handoff(*, program, outgoing, incoming, at, now, role_version, early: bool = False) -> Handoff:
    """Pass the baton from `outgoing` to `incoming`: every effect of a handoff is here, in order.

    1. the outgoing term is completed, the incoming one activated with the role version in force;
    2. every handoff participant (settings.HANDOFF_PARTICIPANTS, the apps built on rotations)
       acts inside this transaction and returns what it did (rotations.hooks);
    3. the Handoff row records who passed the baton to whom and what each participant did;
    4. the incoming and the outgoing advocate are told, with the participants' own lines.
    """
    if outgoing is not None:
        outgoing.status = Term.Status.COMPLETED
        outgoing.save(update_fields=["status", "updated_at"])
    incoming.status = Term.Status.ACTIVE
    incoming.role_version = role_version
    incoming.save(update_fields=["status", "role_version", "updated_at"])
    outgoing_advocate = outgoing.advocate if outgoing else None
    effects = run_handoff_participants(
        HandoffContext(
            program=program,
            outgoing_term=outgoing,
            incoming_term=incoming,
            outgoing_advocate=outgoing_advocate,
            incoming_advocate=incoming.advocate,
            at=at,
            early=early,
        )
    )
    handoff = Handoff.objects.create(
        program=program,
        outgoing_term=outgoing,
        incoming_term=incoming,
        outgoing_advocate=outgoing_advocate,
        incoming_advocate=incoming.advocate,
        boundary_at=at,
        performed_at=now,
        early=early,
        effects=[effect.as_json() for effect in effects],
    )
    lines = handoff.effect_summaries
    if incoming.advocate is not None:
        notices.send(
            notices.handoff_incoming(handoff, effects=lines),
            user=incoming.advocate,
            program=program,
            key=f"handoff:{incoming.pk}:incoming",
        )
    if outgoing_advocate is not None and outgoing_advocate.pk != incoming.advocate_id:
        notices.send(
            notices.handoff_outgoing(handoff, effects=lines),
            user=outgoing_advocate,
            program=program,
            key=f"handoff:{incoming.pk}:outgoing",
        )
    return handoff


@transaction.atomic
def hand_over_now(
    *, term: Term, to: AbstractBaseUser, actor: Actor, note: str | None = None, now: datetime | None = None
) -> Handoff:
    """End the current term now and start a term for `to` until the original end, handing over at once.

    `note`, when given, becomes the outgoing term's handoff note. A program whose rules ask
    for a note refuses without one. Planned covers the early end removes are cancelled, and
    each cover person is told.
    """
    require_manager(program=term.program, actor=actor)
    now = now or timezone.now()
    program = Program.objects.select_for_update().get(pk=term.program_id)
    term = Term.objects.select_for_update(of=("self",)).select_related("advocate").get(pk=term.pk)
    if not (term.status == Term.Status.ACTIVE and term.starts_at <= now < term.ends_at):
        raise ValidationError(NOT_CURRENT, code="not_current")
    if to.pk == term.advocate_id:
        raise ValidationError(SAME_ADVOCATE, params={"name": display_name(to)}, code="same")
    check_eligible(program, to)
    if note is not None:
        term.handoff_note = note.strip()
        term.handoff_note_updated_at = now
        term.save(update_fields=["handoff_note", "handoff_note_updated_at", "updated_at"])
    if rotation_settings(program=program).require_note_to_hand_over_early and not term.handoff_note.strip():
        raise ValidationError(NOTE_REQUIRED, code="note_required")
    today = boundaries.local_date(program=program, at=now)
    original_end, original_ends_at = term.end_date, term.ends_at
    term.ends_at = now
    term.end_date = max(today, term.start_date + timedelta(days=1))
    term.save(update_fields=["ends_at", "end_date", "updated_at"])
    cancelled = list(Cover.objects.filter(term=term, starts_at__gte=now).select_related("person"))
    Cover.objects.filter(pk__in=[c.pk for c in cancelled]).delete()
    for cover in cancelled:
        cover.term = term
        notices.send(
            notices.cover_cancelled_by_handover(cover, to=to),
            user=cover.person,
            program=program,
            key=f"cover:{cover.pk}:cancelled",
        )
    Cover.objects.filter(term=term, ends_at__gt=now).update(ends_at=now)
    incoming = Term(
        program=program,
        advocate=to,
        start_date=min(today, original_end - timedelta(days=1)),
        end_date=original_end,
        starts_at=now,
        ends_at=original_ends_at,
        pinned=True,
    )
    incoming.full_clean()
    check_no_overlap(program=program, starts_at=incoming.starts_at, ends_at=incoming.ends_at)
    incoming.save()
    return _handoff(
        program=program,
        outgoing=term,
        incoming=incoming,
        at=now,
        now=now,
        role_version=role_version_for_program(program=program),
        early=True,
    )


@transaction.atomic
def write_handoff_note(*, term: Term, author: AbstractBaseUser, note: str) -> Term:
    """Save the outgoing advocate's note for the next advocate (editable until acknowledged)."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    if term.advocate_id != author.pk:
        raise PermissionDenied(NOT_THE_ADVOCATE)
    handoff = Handoff.objects.filter(outgoing_term=term).first()
    if handoff and handoff.acknowledged_at:
        raise ValidationError(ALREADY_ACKNOWLEDGED, code="acknowledged")
    term.handoff_note = note.strip()
    term.handoff_note_updated_at = timezone.now()
    term.save(update_fields=["handoff_note", "handoff_note_updated_at", "updated_at"])
    return term


@transaction.atomic
def acknowledge_handoff(*, handoff: Handoff, user: AbstractBaseUser, declaration: str = "") -> Handoff:
    """The incoming advocate confirms they read the note, optionally declaring their stand."""
    handoff = Handoff.objects.select_for_update(of=("self",)).select_related("incoming_term").get(pk=handoff.pk)
    if handoff.incoming_advocate_id != user.pk:
        raise PermissionDenied(NOT_INCOMING)
    if handoff.acknowledged_at:
        raise ValidationError(ALREADY_ACKNOWLEDGED, code="acknowledged")
    handoff.acknowledged_at = timezone.now()
    handoff.acknowledged_by = user
    handoff.save(update_fields=["acknowledged_at", "acknowledged_by"])
    if declaration.strip():
        save_declaration(term=handoff.incoming_term, author=user, declaration=declaration)
    return handoff


@transaction.atomic
def save_declaration(*, term: Term, author: AbstractBaseUser, declaration: str) -> Term:
    """Save the advocate's declaration for their term, shown on the program page."""
    term = Term.objects.select_for_update().get(pk=term.pk)
    if term.advocate_id != author.pk:
        raise PermissionDenied(NOT_THE_ADVOCATE)
    term.declaration = declaration.strip()
    term.save(update_fields=["declaration", "updated_at"])
    return term
