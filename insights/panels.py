"""The insights side panel on the program page: links to the program's health and its brief."""

from advocacy.panels import Panel


def insights_panel(request, program, membership):
    if membership is None and not request.user.is_superuser:
        return None
    return Panel(template="insights/_program_panel.html", context={"program": program}, slot="side", order=20)
