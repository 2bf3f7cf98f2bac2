"""Extension point for the program page: what the apps built on advocacy show there.

Each app above advocacy may register a panel factory in its AppConfig.ready();
the program page renders every registered panel, grouped by slot and sorted by
order. Panels only display; they never change anything. Work an advocacy
action must let the higher apps do goes through the hooks in advocacy.hooks.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Membership, Program


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict
    # "lead" panels sit at the top of the page (e.g. the current advocate);
    # "main" panels follow in the main column; "side" panels go in the sidebar.
    slot: str = "main"
    order: int = 100


PanelFactory = Callable[[HttpRequest, Program, Membership | None], Panel | None]
_registry: list[PanelFactory] = []


def register_program_panel(factory: PanelFactory) -> PanelFactory:
    """Register a function returning a Panel (or None) for the program page."""
    if factory not in _registry:
        _registry.append(factory)
    return factory


def program_panels(request: HttpRequest, program: Program, membership: Membership | None) -> dict[str, list[Panel]]:
    """Return the registered panels for a program page, grouped by slot."""
    slots: dict[str, list[Panel]] = {"lead": [], "main": [], "side": []}
    for factory in _registry:
        panel = factory(request, program, membership)
        if panel is not None:
            slots.setdefault(panel.slot, []).append(panel)
    for panels in slots.values():
        panels.sort(key=lambda p: p.order)
    return slots
