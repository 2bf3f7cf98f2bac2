"""Writes for insights: the brief's questions, subscriptions and weekly e-mail, and recognition."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.notifications import notify
from advocacy.permissions import is_manager, require_manager
from advocacy.selectors import display_name
from core.when import format_day
from rotations.models import Term
from rotations.selectors import current_advocate

from . import hooks, snapshots
from .models import BriefQuestion, BriefSubscription, FigureSnapshot, Recognition
from .selectors import brief_rows, company, customers_chair_brief, health_rows, week_start

MAX_OPEN_QUESTIONS = 10
QUESTION_REQUIRED = "Write the question you want the team to answer."
QUESTION_TOO_LONG = "Keep the question under %(limit)s characters so it fits the one-page brief."
QUESTION_DUPLICATE = "That question is already on the brief."
TOO_MANY_QUESTIONS = (
    "The brief already has %(limit)s open questions. Mark one answered or remove one before adding another."
)
ANSWER_REQUIRED = "Write the team's short answer before marking the question answered."
ANSWER_TOO_LONG = "Keep the answer under %(limit)s characters."
ALREADY_ANSWERED = "That question was already answered."
NOT_A_MEMBER = "Only the program's members can receive its brief."
ONLY_ADVOCATE_OR_MANAGER = "Only the current advocate and the program's managers can change the brief's questions."


def can_edit_questions(*, program: Program, user: AbstractBaseUser) -> bool:
    """Return whether `user` may add, answer or remove the brief's questions: the current advocate or a manager."""
    if not user.is_authenticated:
        return False
    if is_manager(program=program, user=user):
        return True
    advocate = current_advocate(program=program)
    return advocate is not None and advocate.pk == user.pk


def _require_editor(program: Program, actor: AbstractBaseUser) -> None:
    if not can_edit_questions(program=program, user=actor):
        raise PermissionDenied(ONLY_ADVOCATE_OR_MANAGER)


@transaction.atomic
def add_question(*, program: Program, actor: AbstractBaseUser, text: str) -> BriefQuestion:
    """Put a question on the brief for the team to answer."""
    _require_editor(program, actor)
    text = " ".join((text or "").split())
    limit = BriefQuestion._meta.get_field("text").max_length
    if not text:
        raise ValidationError({"text": QUESTION_REQUIRED})
    if len(text) > limit:
        raise ValidationError({"text": ValidationError(QUESTION_TOO_LONG, params={"limit": limit})})
    open_questions = BriefQuestion.objects.select_for_update().filter(program=program, answered_at__isnull=True)
    if any(q.text.casefold() == text.casefold() for q in open_questions):
        raise ValidationError({"text": QUESTION_DUPLICATE})
    if len(open_questions) >= MAX_OPEN_QUESTIONS:
        raise ValidationError(ValidationError(TOO_MANY_QUESTIONS, params={"limit": MAX_OPEN_QUESTIONS}))
    question = BriefQuestion(program=program, asked_by=actor, text=text)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def answer_question(*, question: BriefQuestion, actor: AbstractBaseUser, answer: str) -> BriefQuestion:
    """Mark a question answered with the team's short answer."""
    _require_editor(question.program, actor)
    question = BriefQuestion.objects.select_for_update().get(pk=question.pk)
    answer = (answer or "").strip()
    limit = BriefQuestion._meta.get_field("answer").max_length
    if question.answered_at is not None:
        raise ValidationError(ALREADY_ANSWERED)
    if not answer:
        raise ValidationError({"answer": ANSWER_REQUIRED})
    if len(answer) > limit:
        raise ValidationError({"answer": ValidationError(ANSWER_TOO_LONG, params={"limit": limit})})
    question.answer = answer
    question.answered_at = timezone.now()
    question.full_clean()
    question.save(update_fields=["answer", "answered_at"])
    return question


@transaction.atomic
def remove_question(*, question: BriefQuestion, actor: AbstractBaseUser) -> None:
    """Take a question off the brief."""
    _require_editor(question.program, actor)
    BriefQuestion.objects.filter(pk=question.pk).delete()


def set_subscription(*, program: Program, user: AbstractBaseUser, subscribed: bool) -> bool:
    """Subscribe a member to the weekly brief by e-mail, or unsubscribe them; return the new state."""
    if subscribed:
        if not Membership.objects.filter(program=program, user=user).exists():
            raise ValidationError(NOT_A_MEMBER)
        BriefSubscription.objects.get_or_create(program=program, user=user)
    else:
        BriefSubscription.objects.filter(program=program, user=user).delete()
    return subscribed


def is_subscribed(*, program: Program, user: AbstractBaseUser) -> bool:
    return user.is_authenticated and BriefSubscription.objects.filter(program=program, user=user).exists()


def brief_text(*, program: Program, now: datetime | None = None) -> tuple[str, str]:
    """Return the e-mail subject and plain-text body of this week's brief (no customer contact details)."""
    brief = customers_chair_brief(program=program, now=now)
    subject = f"Customer's-chair brief: {program.name}, week of {format_day(brief.week_of)}"
    body = render_to_string("insights/brief_email.txt", {"brief": brief, "program": program})
    return subject, body


def dedupe_key(*, program: Program, user: AbstractBaseUser, now: datetime) -> str:
    """One key per program, user and week (the Monday of the program's week)."""
    return f"brief:{program.pk}:{week_start(now, program.zone):%Y-%m-%d}:{user.pk}"


def send_weekly_briefs(*, now: datetime | None = None) -> int:
    """Send every subscribed member this week's brief, once per week; return how many were recorded now.

    The notification's unique dedupe key (program, week, user) makes a second
    run in the same week, or a task delivered twice, a no-op; the e-mail is
    an outbox job sent after commit (kept while the broker is down), and the
    notifications sweep queues it again if the mail server failed. People who
    left the program receive nothing.
    """
    now = now or timezone.now()
    sent = 0
    subscriptions = (
        BriefSubscription.objects.filter(program__is_active=True, program__memberships__user=F("user"))
        .select_related("program", "user")
        .order_by("program_id", "user_id")
    )
    by_program: dict[int, list[BriefSubscription]] = {}
    for subscription in subscriptions:
        by_program.setdefault(subscription.program_id, []).append(subscription)
    for subscriptions in by_program.values():
        program = subscriptions[0].program
        subject, body = brief_text(program=program, now=now)
        url = reverse("insights:brief", kwargs={"slug": program.slug})
        for subscription in subscriptions:
            with transaction.atomic():
                note = notify(
                    user=subscription.user,
                    kind="weekly_brief",
                    title=subject,
                    body=body,
                    url=url,
                    program=program,
                    dedupe_key=dedupe_key(program=program, user=subscription.user, now=now),
                )
            sent += note is not None
    hooks.briefs_due(hooks.BriefsDue(now=now, compose=lambda program: compose_brief(program=program, now=now)))
    return sent


def compose_brief(*, program: Program, now: datetime) -> hooks.Brief:
    """Return this week's brief of `program` for the brief hook's participants."""
    subject, body = brief_text(program=program, now=now)
    return hooks.Brief(
        program=program,
        week=week_start(now, program.zone).date(),
        subject=subject,
        body=body,
        url=reverse("insights:brief", kwargs={"slug": program.slug}),
    )


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
    require_manager(program=program, actor=actor)
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


SNAPSHOT_BUILDERS = {"health": health_rows, "brief": brief_rows, company.SNAPSHOT: company.refresh_stored_figures}


def refresh_snapshots(*, now: datetime | None = None) -> int:
    """Recompute every stored figure snapshot older than REFRESH_AFTER; return how many were recomputed.

    Each snapshot is locked while it is recomputed (SKIP LOCKED), so two runs at
    once share the work and a second run right after the first finds nothing due.
    """
    now = now or timezone.now()
    due = FigureSnapshot.objects.filter(computed_at__lt=now - snapshots.REFRESH_AFTER).values_list("pk", flat=True)
    done = 0
    for pk in list(due):
        with transaction.atomic():
            snapshot = (
                FigureSnapshot.objects.select_for_update(skip_locked=True)
                .select_related("program")
                .filter(pk=pk, computed_at__lt=now - snapshots.REFRESH_AFTER)
                .first()
            )
            if snapshot is None or snapshot.name not in SNAPSHOT_BUILDERS:
                continue
            SNAPSHOT_BUILDERS[snapshot.name](program=snapshot.program, now=now, refresh=True)
            done += 1
    return done


# The switches a person finds on their profile for these notices (registered in
# InsightsConfig.ready). Every notice stays in the app; these choose the e-mail.
EMAIL_CHOICES = (
    {
        "key": "weekly_brief",
        "label": "Weekly customer's-chair brief",
        "help_text": "For the programs whose brief you subscribe to.",
        "kinds": {"weekly_brief"},
    },
    {
        "key": "reports",
        "label": "Term reports and recognition",
        "help_text": "Your term report is ready; a manager recognized you.",
        "kinds": {"term_report_ready", "recognition"},
    },
)
