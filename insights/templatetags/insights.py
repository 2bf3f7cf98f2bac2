"""Filters that write the health figures the way a person reads them; "—" where there is nothing to show."""

from django import template

from issues.models import Level

register = template.Library()
DASH = "—"


@register.filter
def duration(seconds) -> str:
    """Write a number of seconds as minutes, hours or days: "25 min", "4.5 h", "34 h", "3.2 days"."""
    if seconds is None or seconds == "":
        return DASH
    seconds = float(seconds)
    if seconds < 3600:
        return f"{max(round(seconds / 60), 0)} min"
    hours = seconds / 3600
    if hours < 48:
        return f"{round(hours, 1) if hours < 10 else round(hours):g} h"
    return f"{round(seconds / 86400, 1):g} days"


@register.filter
def percent(value) -> str:
    return DASH if value is None or value == "" else f"{value:g} %"


@register.filter
def or_dash(value) -> str:
    return DASH if value is None or value == "" else str(value)


@register.filter
def level_count(levels: dict, level) -> int:
    return levels.get(int(level), 0)


@register.filter
def level_label(level) -> str:
    return Level(int(level)).label
