"""The hot-issue panel on the program page, and the extension points of the issue page and the log.

Apps above issues register, in their AppConfig.ready(), a factory for a panel
on an issue's page (`register_issue_panel`) or for an action on the log's
selected rows (`register_log_action`). Issues renders whatever is registered
and never imports those apps. Panels only display; the forms in them post to
the registering app's own views, which call its services.
"""

from collections.abc import Callable

from django.http import HttpRequest

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


IssuePanelFactory = Callable[[HttpRequest, object], Panel | None]
LogActionFactory = Callable[[HttpRequest, list], Panel | None]
_issue_panels: list[IssuePanelFactory] = []
_log_actions: list[LogActionFactory] = []


def register_issue_panel(factory: IssuePanelFactory) -> IssuePanelFactory:
    """Register a function (request, issue) returning a Panel (or None) for the issue page."""
    if factory not in _issue_panels:
        _issue_panels.append(factory)
    return factory


def issue_panels(request: HttpRequest, issue) -> list[Panel]:
    """Return the registered panels for an issue's page, in their order."""
    panels = [panel for factory in _issue_panels if (panel := factory(request, issue)) is not None]
    return sorted(panels, key=lambda p: p.order)


def register_log_action(factory: LogActionFactory) -> LogActionFactory:
    """Register a function (request, programs) returning a Panel (or None): a form acting on the log's
    selected rows. Its form must be named "log-select"; each row's checkbox (name "issues") belongs to it."""
    if factory not in _log_actions:
        _log_actions.append(factory)
    return factory


def log_actions(request: HttpRequest, programs: list) -> list[Panel]:
    """Return the registered actions on the log's selected rows."""
    panels = [panel for factory in _log_actions if (panel := factory(request, programs)) is not None]
    return sorted(panels, key=lambda p: p.order)
