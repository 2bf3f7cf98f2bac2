"""The hot-issue panel on the program page."""

from advocacy.panels import Panel

from .selectors import program_issue_summary


def issues_panel(request, program, membership):
    if membership is None and not request.user.is_superuser:
        return None
    return Panel(
        template="issues/_program_panel.html",
        context={"program": program, "summary": program_issue_summary(program=program)},
        slot="main",
        order=10,
    )
