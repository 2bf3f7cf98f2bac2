"""The insights panels on the program page: the figures of the last four terms, and links to health, the brief, decisions, term reports and recognition."""

from django.http import HttpRequest
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.panels import Panel
from rotations.selectors import current_term

from .models import TermReport
from .report_selectors import recent_terms
from .selectors import decisions_per_term, figures_for_terms, first_contact_goal, first_contact_trend

TREND_TERMS = 4  # "over the last four terms"


def insights_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    if membership is None and not request.user.is_superuser:
        return None
    latest = TermReport.objects.filter(program=program).select_related("term", "advocate").first()
    term = current_term(program=program)
    decisions = decisions_per_term(program=program, terms=[term])[0] if term else None
    return Panel(
        template="insights/_program_panel.html",
        context={"program": program, "latest": latest, "decisions": decisions},
        slot="side",
        order=20,
    )


def figures_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    """The headline trend and the last four terms' figures, counted as the term reports and the health page count them.

    Four queries (six on SQLite), whatever the number of terms or issues.
    """
    if membership is None and not request.user.is_superuser:
        return None
    now = timezone.now()
    terms = recent_terms(program=program, limit=TREND_TERMS)
    figures = figures_for_terms(program=program, terms=terms, now=now)
    rows = [{"term": t, "figures": figures[t.pk], "is_current": t.starts_at <= now < t.ends_at} for t in terms]
    # The headline share: the current term's, else the latest term's.
    headline = next((row for row in rows if row["is_current"]), rows[0] if rows else None)
    context = {
        "program": program,
        "rows": rows,
        "trend": first_contact_trend(terms, figures),
        "headline": headline,
        "goal": first_contact_goal(program=program),
    }
    return Panel(
        template="insights/_program_figures.html",
        context=context,
        slot="main",
        order=20,
    )
