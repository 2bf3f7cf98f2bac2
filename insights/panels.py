"""The insights side panel on the program page: health, the brief, term reports and recognition."""

from django.http import HttpRequest

from advocacy.models import Membership, Program
from advocacy.panels import Panel

from .models import TermReport


def insights_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    if membership is None and not request.user.is_superuser:
        return None
    latest = TermReport.objects.filter(program=program).select_related("term", "advocate").first()
    return Panel(
        template="insights/_program_panel.html",
        context={"program": program, "latest": latest},
        slot="side",
        order=20,
    )
