"""Reads for the program health page and the customer's-chair brief.

- `sql`: durations, percentiles and the cohort aggregates (PostgreSQL and SQLite).
- `health`: the program health page.
- `brief`: the customer's-chair brief.
- `decisions`: decision records, with the customer's side.

Everything a caller uses is re-exported here: `from insights import selectors`.
"""

from . import brief, decisions, health, sql
from .brief import (
    CUSTOMER,
    THEME_WEEKS,
    TOP_ISSUES,
    Brief,
    BriefIssue,
    Change,
    brief_questions,
    brief_rows,
    customers_chair_brief,
    recurring_themes,
    scrub,
    top_issues,
    weekly_changes,
)
from .decisions import TermDecisions, decision_for_program, decisions_ahead, decisions_for_program, decisions_per_term
from .health import (
    TERMS_SHOWN,
    WEEKS_SHOWN,
    Figures,
    Health,
    TermFigures,
    WeekFigures,
    health_rows,
    program_health,
    week_start,
)
from .sql import FRACTIONS, LEVELS, MEASURES, Percentile, Seconds, cohort_rows, percentiles_supported

__all__ = [
    "CUSTOMER",
    "FRACTIONS",
    "LEVELS",
    "MEASURES",
    "TERMS_SHOWN",
    "THEME_WEEKS",
    "TOP_ISSUES",
    "WEEKS_SHOWN",
    "Brief",
    "BriefIssue",
    "Change",
    "Figures",
    "Health",
    "Percentile",
    "Seconds",
    "TermDecisions",
    "TermFigures",
    "WeekFigures",
    "brief",
    "brief_questions",
    "brief_rows",
    "cohort_rows",
    "customers_chair_brief",
    "decision_for_program",
    "decisions",
    "decisions_ahead",
    "decisions_for_program",
    "decisions_per_term",
    "health",
    "health_rows",
    "percentiles_supported",
    "program_health",
    "recurring_themes",
    "scrub",
    "sql",
    "top_issues",
    "week_start",
    "weekly_changes",
]
