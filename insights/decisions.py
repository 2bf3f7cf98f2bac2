"""Decision records: the customer's chair in the team's decisions.

Any member puts a coming decision on record, the advocate on duty writes what
it means for customers, and whoever proposed it (or a manager) records the
outcome. The health and program pages count, per term, how many decisions had
the customer's side written before they were taken.
"""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advocacy.models import Program
from advocacy.permissions import is_manager, require_member
from core.edge import single_line, validate_sensible_date
from rotations.selectors import current_advocate

from .models import Decision

TITLE_REQUIRED = "Say in a few words what is being decided."
DECIDED_BY_REQUIRED = "Say who takes the decision: a person, a team or a meeting."
IMPACT_REQUIRED = "Write what the decision means for customers."
OUTCOME_REQUIRED = "Write what was decided."
NOT_OPEN = "This decision is no longer open: it was decided or withdrawn."
ONLY_ADVOCATE = "Only the advocate on duty writes the customer's side (a manager, while nobody holds the baton)."
ONLY_OWNER = "Only the person who proposed the decision and the program's managers can change it."
TOO_LONG = "Keep this under %(limit)s characters."
TEXT_LIMIT = 4000


def can_write_customer_side(*, decision: Decision, user: AbstractBaseUser) -> bool:
    """The advocate on duty holds the customer's chair; while nobody does, a manager may fill it."""
    if not user.is_authenticated or decision.status != Decision.Status.OPEN:
        return False
    advocate = current_advocate(program=decision.program)
    if advocate is None:
        return is_manager(program=decision.program, user=user)
    return advocate.pk == user.pk


def can_change(*, decision: Decision, user: AbstractBaseUser) -> bool:
    """The proposer and the managers edit, decide or withdraw an open decision."""
    if not user.is_authenticated or decision.status != Decision.Status.OPEN:
        return False
    return decision.proposed_by_id == user.pk or is_manager(program=decision.program, user=user)


def _text(value: str | None, field: str, *, limit: int = TEXT_LIMIT) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError({field: TOO_LONG % {"limit": limit}})
    return text


def _line(value: str | None, field: str, required: str) -> str:
    text = single_line(value or "")
    limit = Decision._meta.get_field(field).max_length
    if not text:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError({field: TOO_LONG % {"limit": limit}})
    return text


def _checked_fields(*, title: str, decided_by: str, decide_on: date | None, details: str) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for field, value, required in (("title", title, TITLE_REQUIRED), ("decided_by", decided_by, DECIDED_BY_REQUIRED)):
        try:
            cleaned[field] = _line(value, field, required)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if decide_on is None:
        errors["decide_on"] = "Give the date the decision is taken."
    else:
        try:
            validate_sensible_date(decide_on)
        except ValidationError as error:
            errors["decide_on"] = error.messages[0]
        cleaned["decide_on"] = decide_on
    try:
        cleaned["details"] = _text(details, "details")
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def propose_decision(
    *, program: Program, actor: AbstractBaseUser, title: str, decided_by: str, decide_on: date | None, details: str = ""
) -> Decision:
    """Put a coming decision on record so the customer's side can be written before it is taken."""
    require_member(program=program, actor=actor)
    fields = _checked_fields(title=title, decided_by=decided_by, decide_on=decide_on, details=details)
    return Decision.objects.create(program=program, proposed_by=actor, **fields)


def _locked(decision: Decision) -> Decision:
    return Decision.objects.select_for_update().select_related("program").get(pk=decision.pk)


@transaction.atomic
def update_decision(
    *, decision: Decision, actor: AbstractBaseUser, title: str, decided_by: str, decide_on: date | None, details: str
) -> Decision:
    """Correct what is being decided, by whom or when, while it is still open."""
    decision = _locked(decision)
    if decision.status != Decision.Status.OPEN:
        raise ValidationError(NOT_OPEN)
    if not can_change(decision=decision, user=actor):
        raise PermissionDenied(ONLY_OWNER)
    fields = _checked_fields(title=title, decided_by=decided_by, decide_on=decide_on, details=details)
    for name, value in fields.items():
        setattr(decision, name, value)
    decision.save(update_fields=list(fields))
    return decision


@transaction.atomic
def write_customer_side(
    *, decision: Decision, actor: AbstractBaseUser, impact: str, touched: str = "", question: str = ""
) -> Decision:
    """Record, before the decision is taken, what it means for customers and what they would ask."""
    decision = _locked(decision)
    if decision.status != Decision.Status.OPEN:
        raise ValidationError(NOT_OPEN)
    if not can_write_customer_side(decision=decision, user=actor):
        raise PermissionDenied(ONLY_ADVOCATE)
    impact = _text(impact, "customer_impact")
    if not impact:
        raise ValidationError({"customer_impact": IMPACT_REQUIRED})
    decision.customer_impact = impact
    decision.customers_touched = _text(touched, "customers_touched")
    question = single_line(question or "")
    limit = Decision._meta.get_field("customer_question").max_length
    if len(question) > limit:
        raise ValidationError({"customer_question": TOO_LONG % {"limit": limit}})
    decision.customer_question = question
    decision.customer_side_by = actor
    decision.customer_side_at = timezone.now()
    decision.save(
        update_fields=[
            "customer_impact",
            "customers_touched",
            "customer_question",
            "customer_side_by",
            "customer_side_at",
        ]
    )
    return decision


@transaction.atomic
def record_outcome(*, decision: Decision, actor: AbstractBaseUser, outcome: str) -> Decision:
    """Close the record with what was decided; the customer's side stays as it was written."""
    decision = _locked(decision)
    if decision.status != Decision.Status.OPEN:
        raise ValidationError(NOT_OPEN)
    if not can_change(decision=decision, user=actor):
        raise PermissionDenied(ONLY_OWNER)
    outcome = _text(outcome, "outcome")
    if not outcome:
        raise ValidationError({"outcome": OUTCOME_REQUIRED})
    decision.outcome, decision.outcome_by, decision.outcome_at = outcome, actor, timezone.now()
    decision.status = Decision.Status.DECIDED
    decision.save(update_fields=["outcome", "outcome_by", "outcome_at", "status"])
    return decision


@transaction.atomic
def withdraw_decision(*, decision: Decision, actor: AbstractBaseUser) -> Decision:
    """Take an open decision off the record's agenda; it stays listed as withdrawn."""
    decision = _locked(decision)
    if decision.status != Decision.Status.OPEN:
        raise ValidationError(NOT_OPEN)
    if not can_change(decision=decision, user=actor):
        raise PermissionDenied(ONLY_OWNER)
    decision.status = Decision.Status.WITHDRAWN
    decision.outcome_by, decision.outcome_at = actor, timezone.now()
    decision.save(update_fields=["status", "outcome_by", "outcome_at"])
    return decision
