"""The Celery app; tasks live in each app's tasks.py and are discovered.

Code queues work through `core.outbox.enqueue`, never with `delay()`, so a job
survives a broker outage; routes and beat entries are one table in settings.
"""

import logging
import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("baton")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Structured task logs (signal handlers), in the worker as in the web process.
import config.observability  # noqa: E402, F401


@app.task(name="baton.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the configured broker."""
    return "pong"


@setup_logging.connect
def keep_django_logging(logfile: str | None = None, **kwargs) -> None:
    """Keep the LOGGING of Django's settings (JSON lines, contact details scrubbed) in the worker and beat.

    Without a receiver here, Celery replaces the root logger's handlers and level
    with its own; django.setup(), which the worker runs, has already applied ours.
    `--logfile` still works: the same format and scrubbing, written to that file.
    """
    if not logfile:
        return
    root = logging.getLogger()
    handler = logging.FileHandler(logfile)
    if root.handlers:
        handler.setFormatter(root.handlers[0].formatter)
        for log_filter in root.handlers[0].filters:
            handler.addFilter(log_filter)
    root.handlers = [handler]
