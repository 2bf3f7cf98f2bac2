"""Writes for recognition: one function per business action."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from advocacy.models import Membership, Program
from advocacy.notifications import notify
from advocacy.services import display_name, is_manager
from rotations.models import Term

from .models import Recognition

NOT_MANAGER = "Only the program's managers can recognize a champion."
RECIPIENT_NOT_MEMBER = "Choose someone who is a member of this program."
NOTE_REQUIRED = "Say what they did for customers: a sentence or two."
NOTE_TOO_LONG = "Keep the note under %(max)s characters (it has %(length)s)."
TERM_OTHER_PROGRAM = "Choose one of this program's terms, or none."
NOTE_MAX = Recognition._meta.get_field("note").max_length


@transaction.atomic
def give_recognition(
    *,
    program: Program,
    actor: AbstractBaseUser,
    recipient: AbstractBaseUser,
    note: str,
    term: Term | None = None,
) -> Recognition:
    """Record a manager's public recognition of a member and tell the person."""
    if not is_manager(program=program, user=actor):
        raise PermissionDenied(NOT_MANAGER)
    errors = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = ValidationError(NOTE_REQUIRED, code="required")
    elif len(note) > NOTE_MAX:
        errors["note"] = ValidationError(NOTE_TOO_LONG, params={"max": NOTE_MAX, "length": len(note)}, code="long")
    if recipient is None or not Membership.objects.filter(program=program, user=recipient).exists():
        errors["recipient"] = ValidationError(RECIPIENT_NOT_MEMBER, code="not_member")
    if term is not None and term.program_id != program.pk:
        errors["term"] = ValidationError(TERM_OTHER_PROGRAM, code="other_program")
    if errors:
        raise ValidationError(errors)
    recognition = Recognition(program=program, recipient=recipient, given_by=actor, term=term, note=note)
    recognition.full_clean()
    recognition.save()
    notify(
        user=recipient,
        program=program,
        kind="recognition",
        title=f"{display_name(actor)} recognized you in {program.name}",
        body=note,
        url=reverse("insights:recognition", kwargs={"slug": program.slug}),
        dedupe_key=f"recognition:{recognition.pk}",
    )
    return recognition
