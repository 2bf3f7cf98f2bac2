"""The health page's weekly charts and the tables beneath them (52 rows each).

The tables are for readers who cannot see the charts. As template loops they
cost the page more than its queries, so their rows are built here, next to
the headings they fill; every value is a number or passes through html.escape,
the same escaping Django's templates apply.
"""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from core.when import format_day

from .selectors import LEVELS, Figures, Health
from .templatetags.insights import DASH, duration, percent


@dataclass
class WeekTable:
    chart: str  # the canvas's data-chart name, drawn by static/js/insights.js
    title: str
    description: str  # what the chart shows, for screen readers
    fallback: str  # shown where the canvas is not drawn
    caption: str
    columns: list[str]
    rows: SafeString
    wide: bool = False


def _row(label: str, cells: list) -> str:
    tds = "".join(f'<td class="text-end">{escape(str(cell))}</td>' for cell in cells)
    return f'<tr><th scope="row" class="fw-normal text-nowrap">{escape(label)}</th>{tds}</tr>'


def _rows(health: Health, cells) -> SafeString:
    html = "".join(_row(format_day(w.week), cells(w.figures)) for w in health.weeks)
    return mark_safe(html)  # noqa: S308 — every value escaped in _row


def _satisfaction(f: Figures) -> str:
    return f"{f.satisfaction}/5 ({f.answers})" if f.satisfaction is not None else DASH


def week_tables(health: Health) -> list[WeekTable]:
    """Return the five weekly charts with their tables: levels, outreach, resolution, care and mentions."""
    return [
        WeekTable(
            chart="levels",
            title="Issues received, by dissatisfaction",
            description="Stacked bars of the issues received each week, by dissatisfaction level from 1 "
            "(disappointed) to 5 (leaving or going public).",
            fallback="Issues received each week by dissatisfaction level; see the table below.",
            caption="Issues received each week, by dissatisfaction level",
            columns=[*(f"Level {n}" for n in LEVELS), "All"],
            rows=_rows(health, lambda f: [*(f.levels.get(n, 0) for n in LEVELS), f.received]),
            wide=True,
        ),
        WeekTable(
            chart="outreach",
            title="Time to first contact (hours)",
            description="Lines of the median and 90th percentile hours to first contact, by week the issue "
            "was received.",
            fallback="Median and 90th percentile time to first contact each week; see the table below.",
            caption="Time to first contact, for the issues received each week and contacted by its end",
            columns=["Contacted", "Median", "90th percentile"],
            rows=_rows(
                health,
                lambda f: [f"{f.reached} of {f.received}", duration(f.outreach_median), duration(f.outreach_p90)],
            ),
        ),
        WeekTable(
            chart="resolution",
            title="Resolved, and time to resolution (hours)",
            description="The share of each week's issues resolved by the end of that week (as a term counts "
            "its issues by its end), and the median and 90th percentile hours to resolution.",
            fallback="Resolution rate and time to resolution each week; see the table below.",
            caption="Resolution of the issues received each week, by the end of that week",
            columns=["Resolved", "Rate", "Median", "90th percentile"],
            rows=_rows(
                health,
                lambda f: [
                    f"{f.resolved} of {f.received}",
                    percent(f.resolution_rate),
                    duration(f.resolution_median),
                    duration(f.resolution_p90),
                ],
            ),
        ),
        WeekTable(
            chart="care",
            title="Satisfaction after resolution, and runarounds",
            description="A line of the average satisfaction customers gave after resolution, and bars of the "
            "issues that hit the runaround, by week received.",
            fallback="Satisfaction and runarounds each week; see the table below.",
            caption="Satisfaction after resolution and runarounds, for the issues received each week",
            columns=["Satisfaction (answers)", "Hit the runaround"],
            rows=_rows(health, lambda f: [_satisfaction(f), f.runaround]),
        ),
        WeekTable(
            chart="mentions",
            title="Web mentions received, and turned into issues",
            description="Stacked bars of the web mentions received each week: those turned into issues and the others.",
            fallback="Mentions received and promoted each week; see the table below.",
            caption="Web mentions received each week and how many were turned into issues",
            columns=["Received", "Turned into issues"],
            rows=_rows(health, lambda f: [f.mentions, f.promoted]),
        ),
    ]
