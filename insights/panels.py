"""The insights side panel on the program page: health, the brief, decisions, term reports and recognition."""

from django.http import HttpRequest

from advocacy.models import Membership, Program
from advocacy.panels import Panel
from rotations.selectors import current_term

from .models import TermReport
from .selectors import decisions_per_term


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
