"""Celery tasks for insights: thin, idempotent, taking ids and calling a service."""

from celery import shared_task

from rotations.models import Term

from . import reports, services


@shared_task(name="insights.tasks.send_weekly_briefs")
def send_weekly_briefs() -> int:
    """E-mail the customer's-chair brief to every subscribed member, once per week."""
    return services.send_weekly_briefs()


@shared_task(name="insights.tasks.build_term_report", acks_late=True)
def build_term_report(term_id: int) -> int | None:
    """Build a completed term's report (once); return the report's id."""
    if not Term.objects.filter(pk=term_id).exists():
        return None
    report = reports.build_term_report(term=Term(pk=term_id))
    return report.pk if report else None


@shared_task(name="insights.tasks.build_missing_term_reports")
def build_missing_term_reports() -> int:
    """Queue again the build of every completed term's report that is still missing (periodic sweep)."""
    return reports.requeue_missing_reports()


@shared_task(name="insights.tasks.refresh_snapshots")
def refresh_snapshots() -> int:
    """Recompute the stored health and brief figures of programs too big to count on every view."""
    return services.refresh_snapshots()
