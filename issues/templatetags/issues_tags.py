from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()

LEVEL_CLASSES = {5: "level-5", 4: "level-4", 3: "level-3", 2: "level-2", 1: "level-1"}


@register.filter
def late(delta: timedelta | None) -> str:
    """Say how late something is: “45 min”, “6 h”, “3 d 4 h”."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} d {rest} h" if rest and days < 7 else f"{days} d"


@register.filter
def ago(moment) -> str:
    """Say when, briefly: “5 min ago”, “3 h ago”, “4 d ago”, or “in 2 h” for the future."""
    if moment is None:
        return ""
    delta = timezone.now() - moment
    future = delta.total_seconds() < 0
    text = late(-delta if future else delta)
    return f"in {text}" if future else f"{text} ago"


@register.filter
def level_class(level: int) -> str:
    return LEVEL_CLASSES.get(level, "level-1")


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """Return the current query string with some parameters replaced (and `page` dropped)."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()
