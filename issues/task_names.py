"""The registered names of the issue tasks, and how code that must not import tasks.py finds them.

tasks.py calls the services and background functions; so those queue a task
by its name here rather than importing tasks.py back.
"""

from celery import Task, current_app

ASK_SATISFACTION = "issues.tasks.ask_satisfaction"
NOTIFY_OVERDUE = "issues.tasks.notify_overdue_issues"
SEND_DIGESTS = "issues.tasks.send_daily_digests"
POLL_FEEDS = "issues.tasks.poll_mention_feeds"
RUN_IMPORT = "issues.tasks.run_import"
RESEND_PENDING = "issues.tasks.resend_pending_work"


def registered(name: str) -> Task:
    """Return the task registered as `name`, loading the apps' task modules the first time one is asked for."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]
