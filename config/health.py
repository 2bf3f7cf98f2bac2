"""The health endpoint for load balancers: database, broker, a worker that answers and one that finishes tasks."""

import dataclasses
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from core.heartbeat import silence

NEVER_BEAT = "No task has finished yet: is a Celery worker (and beat) running?"


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """Fail when no worker finished the periodic heartbeat task for `WORKER_SILENT_AFTER_MINUTES`."""

    def run(self) -> None:
        limit = timedelta(minutes=settings.WORKER_SILENT_AFTER_MINUTES)
        try:
            since = silence()
        except DatabaseError as error:
            raise ServiceUnavailable("The heartbeat cannot be read from the database.") from error
        if since is None:
            raise ServiceUnavailable(NEVER_BEAT)
        if since > limit:
            raise ServiceUnavailable(f"No task finished for {int(since.total_seconds() // 60)} minutes")


def health_checks() -> list:
    """Return the checks for this deployment's services.

    With the embedded filesystem broker (make run) there is no broadcast to
    ping workers with; the heartbeat (a periodic task a worker must finish)
    checks the worker in both modes.
    """
    checks: list = [Database, WorkerHeartbeat]
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        checks += [(Redis, {"client_factory": lambda: RedisClient.from_url(broker)}), Ping]
    return checks


LABELS = {
    "Database": "Database",
    "Redis": "Broker (Redis)",
    "Ping": "Celery worker",
    "WorkerHeartbeat": "Celery worker finishes tasks",
}


class BatonHealthView(HealthCheckView):
    def get_checks(self):
        self.checks = health_checks()
        return super().get_checks()

    def get_context_data(self, **kwargs):
        """Name each check as a person reads it ("Celery worker", not "Ping(app=<Celery …>)")."""
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            (LABELS.get(type(result.check).__name__, type(result.check).__name__), result)
            for result in context["results"]
        ]
        return context
