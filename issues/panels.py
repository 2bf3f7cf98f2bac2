"""The hot-issue panel on the program page."""

from advocacy.panels import Panel
from advocacy.permissions import can_manage

from .selectors import issues_moved_at, program_issue_summary


def issues_panel(request, program, membership):
    if membership is None and not request.user.is_superuser:
        return None
    context = {
        "program": program,
        "can_manage": can_manage(user=request.user, membership=membership),
        "summary": program_issue_summary(program=program),
    }
    return Panel(template="issues/_program_panel.html", context=context, slot="main", order=10)


def handoff_issues_panel(request, handoff):
    """The handoff page: the issues that moved with the baton, those the viewer may see."""
    issues = issues_moved_at(handoff=handoff, user=request.user)
    if not issues:
        return None
    return Panel(template="issues/_handoff_issues.html", context={"issues": issues}, order=10)
