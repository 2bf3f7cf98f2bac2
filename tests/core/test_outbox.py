"""The outbox: a job is a row in the caller's transaction, sent on commit, kept while the broker is down."""

from datetime import timedelta

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from config.celery import app
from core import outbox
from core.models import OutboxMessage
from tests.brokers import free_port, use_broker


@pytest.fixture
def dead_broker():
    """Point the Celery app at a port nothing listens on."""
    previous = app.conf.broker_url
    use_broker(f"redis://127.0.0.1:{free_port()}/0")
    yield
    use_broker(previous)


def _waiting(broker) -> int:
    """How many messages wait in the default queue of the private broker."""
    prefix = app.conf.broker_transport_options.get("global_keyprefix", "")
    return redis.Redis(port=broker.port).llen(prefix + app.conf.task_default_queue)


@pytest.mark.django_db
def test_flush_outbox_stops_at_the_first_broker_failure_and_keeps_order(dead_broker):
    for i in range(3):
        OutboxMessage.objects.create(task_name="baton.ping", args=[i])
    assert outbox.flush_outbox() == 0
    assert list(OutboxMessage.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0, 0]
    first = OutboxMessage.objects.order_by("pk").first()
    assert first.sent_at is None and "Error" in first.last_error


@pytest.mark.django_db
def test_flush_outbox_forgets_jobs_sent_long_ago():
    old = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=1))
    outbox.flush_outbox()
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


@pytest.mark.django_db
def test_queued_args_are_the_pending_jobs_and_the_recent_ones_of_that_task():
    now = timezone.now()
    OutboxMessage.objects.create(task_name="a.tasks.t", args=[1])  # pending
    OutboxMessage.objects.create(task_name="a.tasks.t", args=[2], sent_at=now)  # sent just now
    long_ago = OutboxMessage.objects.create(task_name="a.tasks.t", args=[3], sent_at=now)
    OutboxMessage.objects.filter(pk=long_ago.pk).update(created_at=now - timedelta(hours=1))
    OutboxMessage.objects.create(task_name="b.tasks.t", args=[4])  # another task
    assert outbox.queued_args("a.tasks.t", since=now - timedelta(minutes=2)) == {(1,), (2,)}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_queued_in_a_transaction_that_rolls_back_leaves_no_row_and_sends_nothing(private_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("baton.ping")
        raise RuntimeError("the request failed after queueing")
    assert not OutboxMessage.objects.exists()
    assert _waiting(private_broker) == 0
    # The same job committed is recorded and published.
    with transaction.atomic():
        job = outbox.enqueue("baton.ping")
        assert _waiting(private_broker) == 0  # nothing leaves before the commit
    job.refresh_from_db()
    assert job.sent_at is not None and job.attempts == 1
    assert _waiting(private_broker) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_queued_while_the_broker_is_down_is_kept_and_the_flush_sends_it(private_broker):
    private_broker.stop()
    job = outbox.enqueue("baton.ping")  # autocommit: dispatched at once, and refused
    job.refresh_from_db()
    assert job.sent_at is None and job.attempts == 1 and job.last_error
    private_broker.start()
    assert outbox.flush_outbox() == 1
    job.refresh_from_db()
    assert job.sent_at is not None and _waiting(private_broker) == 1


@pytest.mark.django_db
def test_enqueue_missing_skips_ids_already_on_their_way_alone_or_in_a_batch():
    now = timezone.now()
    outbox.enqueue("a.tasks.t", args=[1])
    outbox.enqueue("a.tasks.t", args=[2, 3])
    assert outbox.enqueue_missing("a.tasks.t", [1, 2, 3, 4], since=now - timedelta(minutes=2)) == 1
    assert outbox.queued_args("a.tasks.t", since=now - timedelta(minutes=2)) == {(1,), (2, 3), (4,)}
