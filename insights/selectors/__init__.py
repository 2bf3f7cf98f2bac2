"""Reads for the program health page and the customer's-chair brief.

- `figures`: the one definition of received, contacted, resolved, handed on and
  first contact, shared by the term report, the health page and the program page.
- `sql`: durations and percentiles (PostgreSQL and SQLite).
- `health`: the program health page.
- `brief`: the customer's-chair brief.
- `decisions`: decision records, with the customer's side.

Everything a caller uses is re-exported here: `from insights import selectors`.
"""

from . import brief, decisions, figures, health, sql
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
from .figures import (
    MEASURES,
    Figures,
    Period,
    Trend,
    WithinTarget,
    baton_counts,
    cohort_rows,
    figures_for_terms,
    first_contact_goal,
    first_contact_trend,
    term_periods,
)
from .health import (
    TERMS_SHOWN,
    WEEKS_SHOWN,
    Health,
    TermFigures,
    WeekFigures,
    health_rows,
    program_health,
    week_start,
)
from .sql import FRACTIONS, LEVELS, Percentile, Seconds, percentiles_supported

__all__ = [
    "Period",
    "Trend",
    "WithinTarget",
    "baton_counts",
    "figures",
    "figures_for_terms",
    "first_contact_goal",
    "first_contact_trend",
    "term_periods",
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
