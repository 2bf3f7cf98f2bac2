"""The health endpoint for load balancers: database, broker, and a worker that answers."""

from django.conf import settings
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient


def health_checks() -> list:
    """Return the checks for this deployment's services.

    With the embedded filesystem broker (make run) there is no broadcast to
    ping workers with, so only the database is checked.
    """
    checks: list = [Database]
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        checks += [(Redis, {"client_factory": lambda: RedisClient.from_url(broker)}), Ping]
    return checks


LABELS = {"Database": "Database", "Redis": "Broker (Redis)", "Ping": "Celery worker"}


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
