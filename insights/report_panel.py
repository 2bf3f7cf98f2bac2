"""The program page's "Term reports and recognition" panel (side column)."""

from django.http import HttpRequest

from advocacy.models import Membership, Program
from advocacy.panels import Panel

from .models import TermReport


def reports_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel:
    latest = TermReport.objects.filter(program=program).select_related("term", "advocate").first()
    return Panel(
        template="insights/_reports_panel.html",
        context={"program": program, "latest": latest},
        slot="side",
        order=60,
    )
