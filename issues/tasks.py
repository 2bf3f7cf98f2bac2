"""Background work for hot issues. Tasks are thin: they take ids and call a service."""

from celery import shared_task

from . import background


@shared_task(acks_late=True)
def ask_satisfaction(issue_id: int) -> bool:
    """E-mail the customer of a resolved issue the one close-the-loop question."""
    return background.ask_satisfaction(issue_id=issue_id)


@shared_task
def notify_overdue_issues() -> int:
    """Tell owners, once per issue, that an issue passed its first-outreach target."""
    return background.notify_overdue()


@shared_task
def send_daily_digests() -> int:
    """Send each program's current advocate a digest of its open issues."""
    return background.send_digests()


@shared_task
def poll_mention_feeds() -> int:
    """Poll every active mention feed; return how many new mentions were stored."""
    from .feeds import poll_all

    return sum(result.new for result in poll_all())


@shared_task(acks_late=True)
def run_import(job_id: int) -> str:
    """Import a CSV of mystery-shop visits or survey responses."""
    from .importing import run_import_job

    return run_import_job(job_id=job_id).state


@shared_task
def resend_pending_work() -> dict:
    """Ask the satisfaction questions and re-send the imports a broker outage kept from the queue."""
    return background.resend_pending_work()


@shared_task(name="issues.tasks.requeue_stuck_imports")
def requeue_stuck_imports() -> dict:
    """Send again the imports whose worker stopped mid-way; fail those that keep stopping."""
    from .importing import requeue_stuck_imports

    return requeue_stuck_imports()
