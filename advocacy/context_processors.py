"""Template context every page needs."""

from django.http import HttpRequest


def unread_notifications(request: HttpRequest) -> dict:
    """Return the signed-in user's unread notification count for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": user.notifications.filter(read_at__isnull=True).count()}
