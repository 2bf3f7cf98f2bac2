"""The health page's weekly tables (52 rows each, five tables), built as strings.

They sit beneath the charts for readers who cannot see them. As template
loops they cost the page more than its queries; here every value is a number
or passes through html.escape, the same escaping Django's templates apply.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe

from .selectors import LEVELS, Health
from .templatetags.insights import DASH, duration, percent


def _row(label: str, cells: list) -> str:
    tds = "".join(f'<td class="text-end">{escape(str(cell))}</td>' for cell in cells)
    return f'<tr><th scope="row" class="fw-normal text-nowrap">{escape(label)}</th>{tds}</tr>'


def week_tables(health: Health) -> dict[str, SafeString]:
    """Return {table: its <tbody> rows} for levels, outreach, resolution, care and mentions."""
    rows: dict[str, list[str]] = {name: [] for name in ("levels", "outreach", "resolution", "care", "mentions")}
    for week in health.weeks:
        label = f"{week.week.day} {week.week:%b %Y}"
        f = week.figures
        satisfaction = f"{f.satisfaction}/5 ({f.answers})" if f.satisfaction is not None else DASH
        rows["levels"].append(_row(label, [*(f.levels.get(n, 0) for n in LEVELS), f.received]))
        rows["outreach"].append(
            _row(label, [f"{f.reached} of {f.received}", duration(f.outreach_median), duration(f.outreach_p90)])
        )
        rows["resolution"].append(
            _row(
                label,
                [
                    f"{f.resolved} of {f.received}",
                    percent(f.resolution_rate),
                    duration(f.resolution_median),
                    duration(f.resolution_p90),
                ],
            )
        )
        rows["care"].append(_row(label, [satisfaction, f.runaround]))
        rows["mentions"].append(_row(label, [f.mentions, f.promoted]))
    return {name: mark_safe("".join(parts)) for name, parts in rows.items()}  # noqa: S308 — escaped above
