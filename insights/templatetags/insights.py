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


@register.filter
def trend_lines(row) -> list[tuple[str, str]]:
    """Say how a company health row moved against the period before: [(text, css class)], or one "—" line."""
    lines = []
    change = row.received_change
    if change is None:
        lines.append(("No issues in the weeks before" if row.recent.received else "No issues", "text-body-secondary"))
    elif change > 0:
        lines.append((f"↑ {change} % more issues", ""))
    elif change < 0:
        lines.append((f"↓ {-change} % fewer issues", ""))
    else:
        lines.append(("As many issues", ""))
    slower = row.outreach_change
    if slower is not None and round(slower / 60):
        if slower > 0:
            lines.append((f"first contact {duration(slower)} slower", "text-overdue"))
        else:
            lines.append((f"first contact {duration(-slower)} faster", "text-success"))
    better = row.satisfaction_change
    if better:
        lines.append((f"satisfaction {better:+g}", "text-success" if better > 0 else "text-overdue"))
    return lines


@register.filter
def within_title(measured) -> str:
    """Say what a "first contact within target" share counts: "12 of 15 first contacted within target"."""
    if not getattr(measured, "due", None):
        return "No first contact due yet"
    return f"{measured.within} of {measured.due} first contacted within target"


@register.filter
def within_levels(figures) -> list:
    """Return [(level, WithinTarget)] from the angriest level down, for the per-level detail."""
    return [
        (level, figures.within_target_levels[level]) for level in sorted(figures.within_target_levels, reverse=True)
    ]


@register.filter
def below_goal(rate, goal) -> bool:
    """Whether a share (in percent) is under the program's goal; False when there is nothing to measure."""
    return isinstance(rate, int | float) and isinstance(goal, int | float) and rate < goal


@register.filter
def within_at(figures, level):
    """Return one level's WithinTarget from a period's figures."""
    return figures.within_target_levels[int(level)]
