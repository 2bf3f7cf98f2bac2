"""The Celery app is wired to the real Redis broker and a worker answers."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app


@pytest.mark.worker
def test_a_real_worker_on_redis_answers_a_ping():
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping

    assert app.conf.broker_url.startswith("redis://")
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        result = app.control.ping(timeout=2.0)
    assert result, "no worker answered"
