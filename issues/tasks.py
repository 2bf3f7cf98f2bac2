"""Background work for hot issues. Tasks are thin: they take ids and call a service or background function."""

from celery import shared_task

from . import background, feeds, importing
from .task_names import ASK_SATISFACTION, NOTIFY_OVERDUE, POLL_FEEDS, RESEND_PENDING, RUN_IMPORT, SEND_DIGESTS


@shared_task(name=ASK_SATISFACTION, acks_late=True)
def ask_satisfaction(issue_id: int) -> bool:
    """E-mail the customer of a resolved issue the one close-the-loop question."""
    return background.ask_satisfaction(issue_id=issue_id)


@shared_task(name=NOTIFY_OVERDUE)
def notify_overdue_issues() -> int:
    """Tell owners, once per issue, that an issue passed its first-outreach target."""
    return background.notify_overdue()


@shared_task(name=SEND_DIGESTS)
def send_daily_digests() -> int:
    """Send each program's current advocate a digest of its open issues."""
    return background.send_digests()


@shared_task(name=POLL_FEEDS)
def poll_mention_feeds() -> int:
    """Poll every active mention feed; return how many new mentions were stored."""
    return sum(result.new for result in feeds.poll_all())


@shared_task(name=RUN_IMPORT, acks_late=True)
def run_import(job_id: int) -> str:
    """Import a CSV of mystery-shop visits or survey responses."""
    return importing.run_import_job(job_id=job_id).state


@shared_task(name=RESEND_PENDING)
def resend_pending_work() -> dict:
    """Ask the satisfaction questions and re-send the imports a broker outage kept from the queue."""
    return background.resend_pending_work()
