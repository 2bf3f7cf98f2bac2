"""The program page's lead panel (who is the advocate now, until when, and who is next), and the handoff page's panels."""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.panels import Panel
from advocacy.permissions import is_manager

from .models import Handoff
from .selectors import current_cover, current_term, handoff_into, upcoming_terms

NEXT_ON_PANEL = 3


def advocate_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel:
    now = timezone.now()
    term = current_term(program=program, at=now)
    cover = current_cover(term=term, at=now) if term else None
    handoff = None
    if term is not None:
        handoff = handoff_into(term=term)
    return Panel(
        template="rotations/_advocate_panel.html",
        context={
            "program": program,
            "term": term,
            "cover": cover,
            "advocate": cover.person if cover else (term.advocate if term else None),
            "handoff": handoff,
            "next_terms": list(upcoming_terms(program=program, at=now)[:NEXT_ON_PANEL]),
            "can_manage": is_manager(program=program, user=request.user),
            "is_me": term is not None and request.user.pk in {term.advocate_id, cover.person_id if cover else None},
        },
        slot="lead",
        order=10,
    )


# ---------------------------------------------------------------- the handoff page

HandoffPanelFactory = Callable[[HttpRequest, Handoff], Panel | None]
_handoff_registry: list[HandoffPanelFactory] = []


def register_handoff_panel(factory: HandoffPanelFactory) -> HandoffPanelFactory:
    """Register a function returning a Panel (or None) for the handoff page: what an app above shows of it.

    The apps above rotations register one in their AppConfig.ready() to show
    what they did at the handoff (e.g. the rows their participant moved), to
    the viewer, only as far as the viewer may see it.
    """
    if factory not in _handoff_registry:
        _handoff_registry.append(factory)
    return factory


def handoff_panels(request: HttpRequest, handoff: Handoff) -> list[Panel]:
    """Return the registered panels for a handoff page, in order."""
    panels = [panel for factory in _handoff_registry if (panel := factory(request, handoff)) is not None]
    return sorted(panels, key=lambda p: p.order)
