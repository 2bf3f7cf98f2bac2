"""The program page's lead panel: who is the advocate now, until when, and who is next."""

from django.http import HttpRequest
from django.utils import timezone

from advocacy.models import Membership, Program
from advocacy.panels import Panel
from advocacy.permissions import is_manager

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
