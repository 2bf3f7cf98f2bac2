"""What integrations does when the apps below it act: post to the program's Slack and Teams channels.

Listed in settings (HANDOFF_PARTICIPANTS, HANDOFF_UNACKNOWLEDGED_PARTICIPANTS,
ISSUE_ALERT_PARTICIPANTS, WEEKLY_BRIEF_PARTICIPANTS). Each runs inside the
action's transaction and only writes the messages and their outbox rows
(integrations.chat.post_event), so they leave once the action commits. Each
message is keyed on its event, so an event raised again posts nothing new.
"""

from django.db.models import Q
from django.urls import reverse

from advocacy.selectors import display_name
from core.when import format_day
from insights.hooks import BriefsDue
from issues import hooks as issue_hooks
from issues.models import Level
from rotations.hooks import HandoffContext, HandoffEffect, UnacknowledgedHandoff

from . import chat
from .chat_format import Post, first_lines
from .models import Channel, Event

PARTICIPANT = "integrations.chat"

_EVENTS = {
    issue_hooks.NEW_ANGRY: Event.NEW_ANGRY,
    issue_hooks.ANGRY_IMPORTED: Event.NEW_ANGRY,
    issue_hooks.OVERDUE: Event.OVERDUE,
    issue_hooks.RUNAROUND: Event.RUNAROUND,
    issue_hooks.RECOVERY_REOPENED: Event.RECOVERY_REOPENED,
}


def _issue_post(alert: issue_hooks.IssueAlert) -> Post:
    issue = alert.issue
    level = Level(issue.level)
    facts = [("Level", f"{issue.level} · {level.label}"), ("Owner", display_name(issue.owner))]
    if issue.department_id:
        facts.append(("Department", str(issue.department)))
    titles = {
        issue_hooks.NEW_ANGRY: f"{level.label} customer: {issue.title}",
        issue_hooks.OVERDUE: f"Overdue: {issue.title}",
        issue_hooks.RUNAROUND: f"Runaround: {issue.title}",
        issue_hooks.RECOVERY_REOPENED: f"Reopened after the recovery check: {issue.title}",
    }
    lines = {
        issue_hooks.NEW_ANGRY: f"New in {issue.program.name}, through {issue.get_source_display().lower()}.",
        issue_hooks.OVERDUE: f"{alert.detail or 'The first outreach is late'} in {issue.program.name}.",
        issue_hooks.RUNAROUND: f"{alert.detail or 'Transferred too often'}; one person should keep it now.",
        issue_hooks.RECOVERY_REOPENED: (
            f"The customer's answer: {alert.detail}" if alert.detail else "The customer is still unhappy."
        ),
    }
    return Post(title=titles[alert.kind], lines=[lines[alert.kind]], facts=facts, path=issue.get_absolute_url())


def post_issue_alert(alert: issue_hooks.IssueAlert) -> list | None:
    """Issue-alert participant: post a new level 4–5 issue, an overdue one, a runaround or a reopening."""
    event = _EVENTS[alert.kind]
    if alert.kind == issue_hooks.ANGRY_IMPORTED:
        post = Post(
            title=f"{alert.count} new issue{'s' if alert.count != 1 else ''} at level 4 or 5 imported",
            lines=[f"An import into {alert.program.name} logged them; the worst customers are at the top of the log."],
            path=f"{reverse('issues:log')}?program={alert.program.pk}&level=4&level=5",
            link_label="Open the log in Baton",
        )
        key = f"imported:{alert.program.pk}:{alert.at.isoformat()}"
        made = chat.post_event(program=alert.program, event=event, key=key, post=post)
    else:
        key = f"issue:{alert.issue.pk}:{alert.kind}"
        if alert.kind == issue_hooks.RECOVERY_REOPENED:
            key += f":{alert.at.isoformat()}"
        made = chat.post_event(program=alert.program, event=event, key=key, post=_issue_post(alert), issue=alert.issue)
    return made or None


def post_handoff(context: HandoffContext) -> HandoffEffect | None:
    """Handoff participant: post the handoff, with the first lines of the outgoing advocate's note."""
    program = context.program
    incoming = display_name(context.incoming_advocate) if context.incoming_advocate else "nobody yet"
    outgoing = display_name(context.outgoing_advocate) if context.outgoing_advocate else ""
    title = (
        f"Handoff in {program.name}: {outgoing} → {incoming}" if outgoing else f"{incoming} starts in {program.name}"
    )
    note = context.outgoing_term.handoff_note if context.outgoing_term else ""
    lines = [f"{incoming} is the customers' advocate from {format_day(context.at, program.zone)}."]
    noted = first_lines(note, lines=3)
    if noted:
        lines.append("From the handoff note:")
        lines += noted
    post = Post(
        title=title,
        lines=lines,
        path=reverse("rotations:term_detail", args=[program.slug, context.incoming_term.pk]),
        link_label="Open the term in Baton",
    )
    made = chat.post_event(program=program, event=Event.HANDOFF, key=f"handoff:{context.incoming_term.pk}", post=post)
    if not made:
        return None
    return HandoffEffect(participant=PARTICIPANT, count=len(made), ids=tuple(m.pk for m in made))


def post_unacknowledged_handoff(change: UnacknowledgedHandoff) -> list | None:
    """Unacknowledged-handoff participant: post once per handoff to the channels connected before it was due."""
    handoff = change.handoff
    program = handoff.program
    incoming = display_name(handoff.incoming_advocate) if handoff.incoming_advocate else "The incoming advocate"
    post = Post(
        title=f"Handoff not acknowledged in {program.name}",
        lines=[
            f"{incoming} has not acknowledged the handoff of {format_day(handoff.boundary_at, program.zone)} yet.",
            "Check that the open issues and the note reached them.",
        ],
        path=reverse("rotations:handoff_detail", args=[program.slug, handoff.pk]),
        link_label="Open the handoff in Baton",
    )
    made = chat.post_event(
        program=program,
        event=Event.UNACKNOWLEDGED,
        key=f"handoff:{handoff.pk}:unacknowledged",
        post=post,
        since=change.due_at,
    )
    return made or None


def post_weekly_briefs(due: BriefsDue) -> list | None:
    """Weekly-brief participant: post each program's brief once a week to the channels that want it."""
    channels = (
        Channel.objects.filter(Q(program__is_active=True), state=Channel.State.ACTIVE, on_weekly_brief=True)
        .select_related("program")
        .order_by("program_id")
    )
    made = []
    for program_id in dict.fromkeys(channel.program_id for channel in channels):
        program = next(channel.program for channel in channels if channel.program_id == program_id)
        brief = due.compose(program)
        post = Post(
            title=brief.subject,
            lines=first_lines(brief.body, lines=8),
            path=brief.url,
            link_label="Open the brief in Baton",
        )
        made += chat.post_event(
            program=program, event=Event.WEEKLY_BRIEF, key=f"brief:{brief.week.isoformat()}", post=post
        )
    return made or None
