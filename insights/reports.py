"""Term reports: built once when a term ends, frozen, with the advocate's reflection.

`build_term_report` is the one place a report is made: the Celery task queued
with the handoff (and queued again by the periodic sweep after a failed build)
and the demo call it. It locks the term row, returns the existing report if
there is one, and otherwise computes the term's figures with a fixed number
of aggregate queries and stores them as JSON, so later edits to issues never
rewrite what the term achieved.
"""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from advocacy.models import ThanksNote
from advocacy.notifications import notify
from advocacy.selectors import role_version_for_program
from core.outbox import enqueue_missing
from core.when import format_day
from issues.models import Outreach
from rotations.models import Term
from themes.selectors import themes_worked_by

from .models import TermReport
from .selectors import LEVELS, figures_for_terms, first_contact_goal
from .selectors.figures import WithinTarget, share

# 2: received, contacted, resolved and handed on as the health page and the program page count them.
# 3: first contact within target, overall and per level, with the program's goal when the report was built,
#    and the themes the advocate raised or whose fix they moved.
FIGURES_VERSION = 3
REFLECTION_MAX = 2000
NOT_COMPLETED = "A report is built once the term has ended."
NO_ADVOCATE = "This term had no advocate, so there is nobody to report on."
ONLY_ADVOCATE = "Only the advocate whose term this was can write its reflection."
REFLECTION_TOO_LONG = "Keep each note under %(max)s characters (this one has %(length)s)."


def term_figures(*, term: Term) -> dict:
    """Return the term's numbers: a fixed handful of aggregate queries, whatever the number of issues.

    Received, contacted, first contact, resolved, runarounds, satisfaction,
    inherited and handed on come from `insights.selectors.figures`, the definitions the health page and the
    program page use too, counted as the issues stood when the term ended.
    """
    start, end, advocate_id = term.starts_at, term.ends_at, term.advocate_id
    shared = figures_for_terms(program=term.program, terms=[term], now=max(timezone.now(), end))[term.pk]
    outreach_row = Outreach.objects.filter(
        issue__program_id=term.program_id, by_id=advocate_id, at__gte=start, at__lt=end
    ).aggregate(n=Count("id"), customers=Count("issue", distinct=True))
    thanks_row = ThanksNote.objects.filter(
        program_id=term.program_id, created_at__gte=start, created_at__lt=end
    ).aggregate(
        given=Count("id", filter=Q(sender_id=advocate_id)), received=Count("id", filter=Q(recipient_id=advocate_id))
    )
    median = shared.outreach_median
    return {
        "version": FIGURES_VERSION,
        "inherited": shared.inherited or 0,
        "received": shared.received,
        "reached": shared.reached,
        "first_contact_median_seconds": round(median) if median is not None else None,
        "resolved": shared.resolved,
        "resolved_satisfied": shared.resolved_satisfied,
        "handed_on": shared.handed_on or 0,
        "outreach": outreach_row["n"],
        "outreach_customers": outreach_row["customers"],
        "satisfaction_average": shared.satisfaction,
        "satisfaction_answers": shared.answers,
        "runarounds": shared.runaround,
        "thanks_given": thanks_row["given"],
        "thanks_received": thanks_row["received"],
        "first_contact_within": shared.within_target.within,
        "first_contact_due": shared.within_target.due,
        "first_contact_levels": {str(n): [m.within, m.due] for n, m in shared.within_target_levels.items()},
        "first_contact_goal": first_contact_goal(program=term.program),
        "themes": themes_worked_by(program=term.program, user_id=advocate_id, start=start, end=end),
    }


def shown_figures(report: TermReport) -> dict:
    """Return a report's figures under today's names; a report built before them keeps its own numbers."""
    figures = dict(report.figures or {})
    if figures.get("version", 1) < 2:
        figures.setdefault("received", figures.get("opened"))
        figures.setdefault("reached", figures.get("opened_reached"))
        figures.setdefault("first_contact_median_seconds", figures.get("median_first_outreach_seconds"))
    received, resolved = figures.get("received"), figures.get("resolved")
    figures["resolution_rate"] = round(100 * resolved / received, 1) if received and resolved is not None else None
    # Reports built before version 3 did not count first contact within target: they show "—", not a recount.
    figures["within_target_rate"] = share(figures.get("first_contact_within"), figures.get("first_contact_due"))
    levels = figures.get("first_contact_levels")
    figures["within_target_levels"] = (
        [(n, WithinTarget(*levels.get(str(n), [0, 0]))) for n in sorted(LEVELS, reverse=True)] if levels else []
    )
    return figures


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
