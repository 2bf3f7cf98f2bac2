"""Term reports: built once when a term ends, frozen, with the advocate's reflection.

`build_term_report` is the one place a report is made: the Celery task queued
with the handoff (and queued again by the periodic sweep after a failed build)
and the demo call it. It locks the term row, returns the existing report if
there is one, and otherwise computes the term's figures with a fixed number
of aggregate queries and stores them as JSON, so later edits to issues never
rewrite what the term achieved.
"""

import statistics
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from advocacy.models import ThanksNote
from advocacy.notifications import notify
from advocacy.selectors import role_version_for_program
from core.outbox import enqueue_missing
from core.when import format_day
from issues.models import OPEN_STATUSES, HotIssue, Outreach
from issues.selectors import satisfaction_for_term
from rotations.models import Term

from .models import TermReport
from .selectors import Percentile

FIGURES_VERSION = 1
REFLECTION_MAX = 2000
NOT_COMPLETED = "A report is built once the term has ended."
NO_ADVOCATE = "This term had no advocate, so there is nobody to report on."
ONLY_ADVOCATE = "Only the advocate whose term this was can write its reflection."
REFLECTION_TOO_LONG = "Keep each note under %(max)s characters (this one has %(length)s)."

OPEN_VALUES = [s.value for s in OPEN_STATUSES]


def _state_at(field: str, at: datetime, *, before: bool) -> Coalesce:
    """An issue's `field` as it stood at `at`, read from its history.

    The latest history row at `at` (strictly before it when `before`); an
    issue logged with a back-dated creation time falls back to its first row,
    and an issue without history to its current value.
    """
    history = HotIssue.history.model.objects.filter(id=OuterRef("pk"))
    cond = {"history_date__lt" if before else "history_date__lte": at}
    latest = history.filter(**cond).order_by("-history_date", "-history_id").values(field)[:1]
    first = history.order_by("history_date", "history_id").values(field)[:1]
    output = IntegerField() if field.endswith("_id") else CharField()
    return Coalesce(Subquery(latest), Subquery(first), F(field), output_field=output)


def _owned_open_at(*, term: Term, at: datetime, before: bool) -> int:
    """Count the program's issues open and owned by the term's advocate at `at`."""
    return (
        HotIssue.objects.filter(program_id=term.program_id, created_at__lt=at)
        .annotate(
            owner_then=_state_at("owner_id", at, before=before), status_then=_state_at("status", at, before=before)
        )
        .filter(owner_then=term.advocate_id, status_then__in=OPEN_VALUES)
        .count()
    )


def _median_seconds(qs) -> float | None:
    """Median time from logging to first outreach over `qs`, in seconds."""
    reached = qs.filter(first_outreach_at__isnull=False)
    wait = ExpressionWrapper(F("first_outreach_at") - F("created_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        value = reached.aggregate(median=Percentile(wait, 0.5, output_field=DurationField()))["median"]
        return value.total_seconds() if value is not None else None
    waits = [(b - a).total_seconds() for a, b in reached.values_list("created_at", "first_outreach_at")]
    return statistics.median(waits) if waits else None


def term_figures(*, term: Term) -> dict:
    """Return the term's numbers: about ten aggregate queries, whatever the number of issues."""
    start, end, advocate_id = term.starts_at, term.ends_at, term.advocate_id
    in_term = Q(created_at__gte=start, created_at__lt=end)
    issues = HotIssue.objects.filter(program_id=term.program_id)
    opened = issues.filter(in_term)
    opened_row = opened.aggregate(n=Count("id"), reached=Count("id", filter=Q(first_outreach_at__isnull=False)))
    resolved_row = issues.filter(resolved_by_id=advocate_id, resolved_at__gte=start, resolved_at__lt=end).aggregate(
        n=Count("id"), satisfied=Count("id", filter=Q(satisfaction__gte=4))
    )
    outreach_row = Outreach.objects.filter(
        issue__program_id=term.program_id, by_id=advocate_id, at__gte=start, at__lt=end
    ).aggregate(n=Count("id"), customers=Count("issue", distinct=True))
    history = HotIssue.history.model.objects.filter(program_id=term.program_id, runaround=True)
    runarounds = (
        history.filter(history_date__gte=start, history_date__lt=end)
        .exclude(id__in=history.filter(history_date__lt=start).values("id"))
        .values("id")
        .distinct()
        .count()
    )
    thanks_row = ThanksNote.objects.filter(
        program_id=term.program_id, created_at__gte=start, created_at__lt=end
    ).aggregate(
        given=Count("id", filter=Q(sender_id=advocate_id)), received=Count("id", filter=Q(recipient_id=advocate_id))
    )
    satisfaction = satisfaction_for_term(term=term)
    median = _median_seconds(opened)
    return {
        "version": FIGURES_VERSION,
        "inherited": _owned_open_at(term=term, at=start, before=False),
        "opened": opened_row["n"],
        "opened_reached": opened_row["reached"],
        "median_first_outreach_seconds": round(median) if median is not None else None,
        "resolved": resolved_row["n"],
        "resolved_satisfied": resolved_row["satisfied"],
        "handed_on": _owned_open_at(term=term, at=end, before=True),
        "outreach": outreach_row["n"],
        "outreach_customers": outreach_row["customers"],
        "satisfaction_average": float(satisfaction["average"]) if satisfaction["average"] is not None else None,
        "satisfaction_answers": satisfaction["answers"],
        "runarounds": runarounds,
        "thanks_given": thanks_row["given"],
        "thanks_received": thanks_row["received"],
    }


def report_url(report: TermReport, *, reflection: bool = False) -> str:
    name = "insights:report_reflection" if reflection else "insights:report_detail"
    return reverse(name, kwargs={"slug": report.program.slug, "pk": report.pk})


def build_term_report(*, term: Term) -> TermReport | None:
    """Build the completed term's report once and return it; return the existing one if built.

    The term row is locked, so two workers at once build one report (the
    second waits, then finds it); the OneToOne on term is the backstop.
    Returns None for a term without an advocate.
    """
    try:
        with transaction.atomic():
            term = (
                Term.objects.select_for_update(of=("self",))
                .select_related("program", "advocate", "role_version")
                .get(pk=term.pk)
            )
            existing = TermReport.objects.filter(term=term).first()
            if existing is not None:
                return existing
            if term.status != Term.Status.COMPLETED:
                raise ValidationError(NOT_COMPLETED, code="not_completed")
            if term.advocate_id is None:
                return None
            version = term.role_version or role_version_for_program(program=term.program)
            report = TermReport.objects.create(
                term=term,
                program=term.program,
                advocate=term.advocate,
                figures=term_figures(term=term),
                declaration=term.declaration,
                qualities=list(version.qualities) if version else [],
            )
            notify(
                user=term.advocate,
                program=term.program,
                kind="term_report_ready",
                title=f"Your {term.program.name} term report is ready",
                body=(
                    f"Your term {format_day(term.start_date)} – {format_day(term.last_day)} is summed up. "
                    "Take ten minutes to reflect on it against the qualities of a strong advocate: "
                    "a note to yourself, not a score."
                ),
                url=report_url(report, reflection=True),
                dedupe_key=f"term_report:{term.pk}",
            )
            return report
    except IntegrityError:  # built by someone else between our check and our insert
        return TermReport.objects.get(term_id=term.pk)


def terms_missing_reports(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Return ids of completed terms with an advocate and no report yet, oldest first."""
    now = now or timezone.now()
    return list(
        Term.objects.filter(status=Term.Status.COMPLETED, advocate__isnull=False, report__isnull=True, ends_at__lte=now)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:limit]
    )


BUILD_REPORT_TASK = "insights.tasks.build_term_report"
# A build queued this recently (or still waiting for the broker) is not queued again.
BUILD_RETRY_AFTER = timedelta(minutes=10)


def requeue_missing_reports(*, now: datetime | None = None) -> int:
    """Queue again the build of every report still missing (a build crashed); return how many were queued.

    Builds already waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    return enqueue_missing(BUILD_REPORT_TASK, terms_missing_reports(now=now), since=now - BUILD_RETRY_AFTER)


# ---------------------------------------------------------------- reflection


def can_edit_reflection(*, report: TermReport, user: AbstractBaseUser) -> bool:
    return user.is_authenticated and report.advocate_id is not None and report.advocate_id == user.pk


def save_reflection(*, report: TermReport, actor: AbstractBaseUser, notes: dict[str, str]) -> TermReport:
    """Store the advocate's note for each quality (by position); empty notes are dropped."""
    if not can_edit_reflection(report=report, user=actor):
        raise PermissionDenied(ONLY_ADVOCATE)
    clean, errors = {}, {}
    for index in range(len(report.qualities)):
        text = (notes.get(str(index)) or "").strip()
        if len(text) > REFLECTION_MAX:
            errors[f"q{index}"] = ValidationError(
                REFLECTION_TOO_LONG, params={"max": REFLECTION_MAX, "length": len(text)}, code="too_long"
            )
        elif text:
            clean[str(index)] = text
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        TermReport.objects.filter(pk=report.pk).update(reflection=clean, reflection_updated_at=timezone.now())
    report.refresh_from_db(fields=["reflection", "reflection_updated_at"])
    return report


def reflection_items(report: TermReport) -> list[dict]:
    """Pair each quality with the advocate's note, for the report page."""
    items = []
    for index, quality in enumerate(report.qualities):
        name, sep, detail = str(quality).partition(" — ")
        items.append(
            {
                "index": index,
                "name": name.strip(),
                "detail": detail.strip() if sep else "",
                "note": (report.reflection or {}).get(str(index), ""),
            }
        )
    return items


def humanize_seconds(seconds: float | None) -> str:
    """Write a duration as a person reads it: "45 minutes", "5 hours", "2.5 days"."""
    if seconds is None:
        return "—"
    span = timedelta(seconds=seconds)
    hours = span.total_seconds() / 3600
    if hours < 1:
        minutes = max(1, round(span.total_seconds() / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if hours < 48:
        value = round(hours, 1)
        value = int(value) if value == int(value) else value
        return f"{value} hour{'s' if value != 1 else ''}"
    days = round(hours / 24, 1)
    days = int(days) if days == int(days) else days
    return f"{days} days"
