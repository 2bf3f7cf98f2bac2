"""Queue Celery tasks from web requests without depending on the broker being up.

Every piece of work queued here is also recorded in the database (a
notification whose e-mail is unsent, an issue whose satisfaction question is
unsent, an import job still pending), and a periodic sweep picks up what the
broker never received. So a broker outage costs a delay, never a 500 or lost work.
"""

import logging

from celery import Task
from django.db import transaction
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)


def send(task: Task, *args) -> bool:
    """Queue `task`; return False (and log) when the broker cannot be reached."""
    try:
        task.delay(*args)
    except (KombuError, OSError):
        logger.warning("Broker unavailable: %s%r left for the periodic sweep", task.name, args, exc_info=True)
        return False
    return True


def send_on_commit(task: Task, *args) -> None:
    """Queue `task` once the current transaction commits (guarded as in `send`)."""
    transaction.on_commit(lambda: send(task, *args))
