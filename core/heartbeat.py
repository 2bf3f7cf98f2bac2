"""The worker's heartbeat: a periodic task stamps a row, and /health/ reads how old the stamp is.

A worker can be up and connected yet finish nothing (stuck on one task, its
pool exhausted, its queue never consumed); only a task that finished proves it
works. The heartbeat task runs on the default queue, behind the handoffs and
reminders it stands for.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Heartbeat

WORKER = "worker"


def beat(*, now: datetime | None = None) -> datetime:
    """Record that a worker finished a task now; return the time recorded."""
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name=WORKER, defaults={"at": now})
    return now


def silence(*, now: datetime | None = None) -> timedelta | None:
    """Return how long ago a worker last finished the heartbeat task, or None if one never did."""
    last = Heartbeat.objects.filter(name=WORKER).values_list("at", flat=True).first()
    return None if last is None else (now or timezone.now()) - last
