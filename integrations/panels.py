"""The inbound-sources, e-mail-in and chat-channels links on the program page, for its managers."""

from django.http import HttpRequest

from advocacy.models import Membership, Program
from advocacy.panels import Panel
from advocacy.permissions import can_manage

from .models import Channel, MailIn, Source


def sources_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    if not can_manage(user=request.user, membership=membership):
        return None
    count = Source.objects.filter(program=program).count()
    return Panel(
        template="integrations/_program_panel.html",
        context={"program": program, "count": count},
        slot="side",
        order=40,
    )


def mail_in_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    if not can_manage(user=request.user, membership=membership):
        return None
    mail_in = MailIn.objects.filter(program=program).first()
    return Panel(
        template="integrations/_mail_in_panel.html",
        context={"program": program, "mail_in": mail_in},
        slot="side",
        order=41,
    )


def chat_panel(request: HttpRequest, program: Program, membership: Membership | None) -> Panel | None:
    """The Slack and Teams link on the program page, for its managers."""
    if not can_manage(user=request.user, membership=membership):
        return None
    count = Channel.objects.filter(program=program).count()
    return Panel(
        template="integrations/_chat_panel.html",
        context={"program": program, "count": count},
        slot="side",
        order=42,
    )
