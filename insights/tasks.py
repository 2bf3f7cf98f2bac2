"""Background work for insights. Tasks are thin: they call a service."""

from celery import shared_task

from . import services


@shared_task
def send_weekly_briefs() -> int:
    """E-mail the customer's-chair brief to every subscribed member, once per week."""
    return services.send_weekly_briefs()
