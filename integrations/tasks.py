"""Background work for inbound sources and outbound chat channels. Tasks are thin: they take ids and call a service."""

import time

from celery import shared_task

from . import chat, mailin, services


@shared_task(name="integrations.tasks.process_delivery", acks_late=True)
def process_delivery(delivery_id: int) -> str:
    """Turn one stored webhook delivery into a hot issue (or record why not)."""
    return services.process_delivery(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.requeue_stuck_deliveries")
def requeue_stuck_deliveries() -> int:
    """Queue again the deliveries and e-mails a lost job left waiting (periodic)."""
    return services.requeue_stuck_deliveries()


@shared_task(name="integrations.tasks.process_mail", acks_late=True)
def process_mail(mail_id: int) -> str:
    """Turn one stored forwarded e-mail into a hot issue (or record why not)."""
    return mailin.process_mail(mail_id=mail_id)


# A task called in the same process (eagerly, or directly by a test) waits in place for a short
# pause instead of re-queueing, at most this many times; a longer one is left to the sweep.
IN_PLACE_WAITS = 20
IN_PLACE_LONGEST = 5.0


@shared_task(bind=True, name="integrations.tasks.send_channel_message", acks_late=True, max_retries=None)
def send_channel_message(self, message_id: int) -> str:
    """Post one message to a Slack or Teams channel, once; wait for its slot or the tool's Retry-After."""
    outcome = chat.send_message(message_id=message_id)
    if outcome.retry_in is None:
        return outcome.state
    if self.request.called_directly or self.request.is_eager:
        for _ in range(IN_PLACE_WAITS):
            if outcome.retry_in is None or outcome.retry_in > IN_PLACE_LONGEST:
                break
            time.sleep(outcome.retry_in)
            outcome = chat.send_message(message_id=message_id)
        return outcome.state
    raise self.retry(countdown=outcome.retry_in)


@shared_task(name="integrations.tasks.requeue_unsent_channel_messages")
def requeue_unsent_channel_messages() -> int:
    """Queue again the channel messages whose job was lost (periodic)."""
    return chat.requeue_unsent_messages()
