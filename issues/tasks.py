"""Background work for hot issues. Tasks are thin: they take ids and call a service."""

from celery import shared_task

from . import background
from .feeds import poll_all, poll_feed_by_id
from .importing import requeue_stuck_imports as requeue_stuck_import_jobs
from .importing import run_import_job


@shared_task(name="issues.tasks.ask_satisfaction", acks_late=True)
def ask_satisfaction(issue_id: int) -> bool:
    """E-mail the customer of a resolved issue the one close-the-loop question."""
    return background.ask_satisfaction(issue_id=issue_id)


@shared_task(name="issues.tasks.send_tracking_links", acks_late=True)
def send_tracking_links(*message_ids: int) -> int:
    """E-mail customers their private tracking link and their advocate's name (each e-mail once)."""
    return background.send_tracking_links(message_ids=message_ids)


@shared_task(name="issues.tasks.open_recovery_checks")
def open_recovery_checks() -> int:
    """Ask again, once per resolution, the customers whose issue was resolved a while ago (periodic)."""
    return background.open_recovery_checks()


@shared_task(name="issues.tasks.send_recovery_question", acks_late=True)
def send_recovery_question(check_id: int) -> bool:
    """E-mail the customer the recovery question: is it still sorted, how do they feel about us now?"""
    return background.send_recovery_question(check_id=check_id)


@shared_task(name="issues.tasks.notify_overdue_issues")
def notify_overdue_issues() -> int:
    """Tell owners, once per issue, that an issue passed its first-outreach target."""
    return background.notify_overdue()


@shared_task(name="issues.tasks.count_past_due_issues")
def count_past_due_issues() -> int:
    """Mark the issues past their first-outreach target for the kept overdue counts (every minute)."""
    return background.count_past_due()


@shared_task(name="issues.tasks.escalate_untouched_issues")
def escalate_untouched_issues() -> int:
    """Escalate open issues nobody touched for their level's limit, once to the owner and then to the managers."""
    return background.escalate_untouched()


@shared_task(name="issues.tasks.send_daily_digests")
def send_daily_digests() -> int:
    """Send each program's current advocate a digest of its open issues."""
    return background.send_digests()


@shared_task(name="issues.tasks.poll_mention_feeds")
def poll_mention_feeds() -> int:
    """Poll every active mention feed; return how many new mentions were stored."""
    return sum(result.new for result in poll_all())


@shared_task(name="issues.tasks.poll_mention_feed")
def poll_mention_feed(feed_id: int) -> int:
    """Poll one mention feed someone asked to poll now; return how many new mentions were stored."""
    result = poll_feed_by_id(feed_id=feed_id)
    return result.new if result else 0


@shared_task(name="issues.tasks.run_import", acks_late=True)
def run_import(job_id: int) -> str:
    """Import a CSV of mystery-shop visits or survey responses."""
    return run_import_job(job_id=job_id).state


@shared_task(name="issues.tasks.resend_pending_work")
def resend_pending_work() -> int:
    """Queue again the satisfaction and recovery questions and tracking links a mail-server failure left unsent."""
    return (
        background.requeue_unasked_questions()
        + background.requeue_unsent_tracking_links()
        + background.requeue_unsent_recovery_questions()
    )


@shared_task(name="issues.tasks.requeue_stuck_imports")
def requeue_stuck_imports() -> dict:
    """Send again the imports whose worker stopped mid-way; fail those that keep stopping."""
    return requeue_stuck_import_jobs()
