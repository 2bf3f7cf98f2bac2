"""Template context every page needs."""

from functools import cache

from django.http import HttpRequest

from .selectors import remembered_unread_notifications


def unread_notifications(request: HttpRequest) -> dict:
    """Return the signed-in user's unread notification count for the navigation bar.

    As a callable the template calls when it shows the count (once: it is
    cached), so a page that read the count with its own lookups and passes
    `unread_notifications` itself (the log), or a program page whose first
    lookup read it (advocacy.permissions), asks nothing more.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        kept = remembered_unread_notifications(user)  # read with a program page's first lookup
        return kept if kept is not None else user.notifications.filter(read_at__isnull=True).count()

    return {"unread_notifications": count}
