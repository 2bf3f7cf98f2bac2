"""Reminders, each sent exactly once (the notification's dedupe key), however often this runs.

- incoming advocate: 14 and 3 days before the term starts (with the role description)
- outgoing advocate: 7 and 2 days before the term ends (write the handoff note)
- managers: a term starting within 60 days has no advocate, or its advocate has leave then
- managers: a term ending within 60 days with no term right after it (a coverage gap)
- managers: a handoff not acknowledged after 2 working days
- a cover: the cover person when it begins; both people when the baton comes back
- swap requests still open: a follow-up every 3 days, at most 3
"""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from advocacy.notifications import notify
from advocacy.selectors import display_name, role_version_for_program

from . import boundaries
from .models import Cover, Handoff, SwapRequest, Term
from .selectors import leaves_overlapping
from .services import _fmt, managers_of, warn_leave_conflicts

INCOMING_DAYS = (14, 3)
OUTGOING_DAYS = (7, 2)
MANAGER_HORIZON_DAYS = 60
ESCALATE_AFTER_WORKING_DAYS = 2
SWAP_FOLLOW_UP_DAYS = 3
SWAP_MAX_FOLLOW_UPS = 3
COVER_END_NOTICE_DAYS = 2


def send_due_reminders(*, now: datetime | None = None, program_id: int | None = None) -> int:
    """Send every reminder that is due at `now`; return how many new notifications were recorded."""
    now = now or timezone.now()
    scope = Q(program_id=program_id) if program_id else Q()
    term_scope = Q(term__program_id=program_id) if program_id else Q()
    sent = 0
    sent += _incoming(now, scope)
    sent += _outgoing(now, scope)
    sent += _managers(now, scope)
    sent += _escalations(now, scope)
    sent += _covers(now, term_scope)
    sent += _swaps(now, term_scope)
    return sent


def _managers_of(cache: dict, program) -> list:
    """managers_of(program), looked up once per program for one run of the reminders."""
    if program.pk not in cache:
        cache[program.pk] = managers_of(program)
    return cache[program.pk]


def _schedule_url(term: Term) -> str:
    return reverse("rotations:schedule", kwargs={"slug": term.program.slug})


def _incoming(now, scope) -> int:
    sent = 0
    terms = Term.objects.filter(
        scope,
        status=Term.Status.PLANNED,
        advocate__isnull=False,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(days=max(INCOMING_DAYS)),
    ).select_related("program", "advocate")
    roles = {}
    for term in terms:
        days = min(d for d in INCOMING_DAYS if term.starts_at - now <= timedelta(days=d))
        if term.program_id not in roles:
            roles[term.program_id] = role_version_for_program(program=term.program)
        role = roles[term.program_id]
        role_text = ""
        if role:
            points = "\n".join(f"- {p}" for p in role.mandate_points)
            role_text = f"\n\n{role.title}\n{role.summary}\n{points}"
        sent += bool(
            notify(
                user=term.advocate,
                program=term.program,
                kind="term_starting",
                title=f"Your {term.program.name} advocate term starts in {days} days",
                body=f"You take the baton on {_fmt(term.start_date)} and serve until {_fmt(term.last_day)}."
                + role_text,
                url=reverse("rotations:term_detail", kwargs={"slug": term.program.slug, "pk": term.pk}),
                dedupe_key=f"term:{term.pk}:start{days}:{term.advocate_id}",
            )
        )
    return sent


def _outgoing(now, scope) -> int:
    sent = 0
    terms = Term.objects.filter(
        scope,
        status=Term.Status.ACTIVE,
        advocate__isnull=False,
        ends_at__gt=now,
        ends_at__lte=now + timedelta(days=max(OUTGOING_DAYS)),
    ).select_related("program", "advocate")
    for term in terms:
        days = min(d for d in OUTGOING_DAYS if term.ends_at - now <= timedelta(days=d))
        note = "You have a note drafted; check it is complete." if term.handoff_note else "Write your handoff note now."
        sent += bool(
            notify(
                user=term.advocate,
                program=term.program,
                kind="term_ending",
                title=f"Your {term.program.name} term ends in {days} days: write the handoff note",
                body=f"The baton passes on {_fmt(term.end_date)}. {note} Open issues, promises made to customers "
                "and who to call help the next advocate start well.",
                url=reverse("rotations:term_detail", kwargs={"slug": term.program.slug, "pk": term.pk}),
                dedupe_key=f"term:{term.pk}:end{days}:{term.advocate_id}",
            )
        )
    return sent


def _managers(now, scope) -> int:
    sent = 0
    terms = list(
        Term.objects.filter(
            scope,
            status=Term.Status.PLANNED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=MANAGER_HORIZON_DAYS),
        ).select_related("program", "advocate")
    )
    managers: dict = {}
    for term in terms:
        if term.advocate_id is None:
            for manager in _managers_of(managers, term.program):
                sent += bool(
                    notify(
                        user=manager,
                        program=term.program,
                        kind="term_unassigned",
                        title=f"{term.program.name} has no advocate from {_fmt(term.start_date)}",
                        body=f"The term {_fmt(term.start_date)} to {_fmt(term.last_day)} has nobody assigned. "
                        "Assign someone or run the planner.",
                        url=_schedule_url(term),
                        dedupe_key=f"term:{term.pk}:unassigned:{manager.pk}",
                    )
                )
    sent += _coverage_gaps(now, scope, managers)
    advocates = {t.advocate_id for t in terms if t.advocate_id}
    if advocates and terms:
        first = min(t.start_date for t in terms)
        last = max(t.end_date for t in terms)
        for leave in leaves_overlapping(user_ids=advocates, first=first, last=last).select_related("user"):
            sent += warn_leave_conflicts(leave=leave, within=[t.pk for t in terms])
    return sent


def _coverage_gaps(now, scope, managers: dict) -> int:
    """Tell managers once when a term ending within the horizon has no term right after it.

    Either nothing is planned after it, or the next saved term starts later (a gap
    between terms, when no one is the customers' advocate).
    """
    sent = 0
    follows = Term.objects.filter(
        program=OuterRef("program"), starts_at__lte=OuterRef("ends_at"), ends_at__gt=OuterRef("ends_at")
    )
    next_start = (
        Term.objects.filter(program=OuterRef("program"), starts_at__gt=OuterRef("ends_at"))
        .order_by("starts_at")
        .values("start_date")[:1]
    )
    ending = (
        Term.objects.filter(
            scope, program__is_active=True, ends_at__gt=now, ends_at__lte=now + timedelta(days=MANAGER_HORIZON_DAYS)
        )
        .exclude(Exists(follows))
        .annotate(next_start=Subquery(next_start))
        .select_related("program")
    )
    for term in ending:
        if term.next_start:
            title = f"{term.program.name} has no advocate from {_fmt(term.end_date)} to {_fmt(term.next_start)}"
            body = "There is a gap between two saved terms. Assign a term or a cover so no customer is left without an advocate."
        else:
            title = f"Nothing is planned in {term.program.name} after {_fmt(term.last_day)}"
            body = "After this term there is no advocate. Plan the next terms so no customer is left without one."
        for manager in _managers_of(managers, term.program):
            sent += bool(
                notify(
                    user=manager,
                    program=term.program,
                    kind="coverage_gap",
                    title=title,
                    body=body,
                    url=_schedule_url(term),
                    dedupe_key=f"gap:{term.pk}:{manager.pk}",
                )
            )
    return sent


def _covers(now, scope) -> int:
    """Tell the cover person when their cover begins, and both people when the baton comes back."""
    sent = 0
    beginning = Cover.objects.filter(scope, starts_at__lte=now, ends_at__gt=now).select_related(
        "term__program", "person"
    )
    for cover in beginning:
        program = cover.term.program
        sent += bool(
            notify(
                user=cover.person,
                program=program,
                kind="cover_started",
                title=f"You are {program.name}'s advocate until {_fmt(cover.last_day)}",
                body="Your cover has begun: new customer issues come to you until it ends.",
                url=reverse("issues:log"),
                dedupe_key=f"cover:{cover.pk}:started",
            )
        )
    ended = Cover.objects.filter(
        scope, ends_at__lte=now, ends_at__gt=now - timedelta(days=COVER_END_NOTICE_DAYS), term__advocate__isnull=False
    ).select_related("term__program", "term__advocate", "person")
    for cover in ended:
        program, advocate = cover.term.program, cover.term.advocate
        sent += bool(
            notify(
                user=advocate,
                program=program,
                kind="cover_ended",
                title=f"The {program.name} baton is back with you",
                body=f"{display_name(cover.person)} covered for you {_fmt(cover.first_day)} to "
                f"{_fmt(cover.last_day)}. New customer issues come to you again; ask them what is still open.",
                url=reverse("rotations:term_detail", kwargs={"slug": program.slug, "pk": cover.term_id}),
                dedupe_key=f"cover:{cover.pk}:ended:{advocate.pk}",
            )
        )
        sent += bool(
            notify(
                user=cover.person,
                program=program,
                kind="cover_ended",
                title=f"Your {program.name} cover has ended",
                body=f"The baton is back with {display_name(advocate)}. Pass on anything a customer is still "
                "waiting for.",
                url=reverse("issues:log"),
                dedupe_key=f"cover:{cover.pk}:ended:{cover.person_id}",
            )
        )
    return sent


def _escalations(now, scope) -> int:
    sent = 0
    pending = Handoff.objects.filter(
        scope,
        acknowledged_at__isnull=True,
        incoming_advocate__isnull=False,
        performed_at__lte=now - timedelta(days=ESCALATE_AFTER_WORKING_DAYS),
    ).select_related("program", "incoming_advocate")
    for handoff in pending:
        due = boundaries.add_working_days(
            start=handoff.performed_at, days=ESCALATE_AFTER_WORKING_DAYS, zone=handoff.program.zone
        )
        if due > now:
            continue
        for manager in managers_of(handoff.program):
            sent += bool(
                notify(
                    user=manager,
                    program=handoff.program,
                    kind="handoff_unacknowledged",
                    title=f"{display_name(handoff.incoming_advocate)} has not acknowledged the "
                    f"{handoff.program.name} handoff",
                    body="Two working days have passed since the baton passed. Check in with them so no "
                    "customer falls between two advocates.",
                    url=reverse("rotations:handoff_detail", kwargs={"slug": handoff.program.slug, "pk": handoff.pk}),
                    dedupe_key=f"handoff:{handoff.pk}:escalated:{manager.pk}",
                )
            )
    return sent


def _swaps(now, scope) -> int:
    sent = 0
    swaps = SwapRequest.objects.filter(
        scope,
        status__in=[SwapRequest.Status.OPEN, SwapRequest.Status.ACCEPTED],
        created_at__lte=now - timedelta(days=SWAP_FOLLOW_UP_DAYS),
    ).select_related("term__program", "requested_by", "target", "accepted_by")
    for swap in swaps:
        round_ = min((now - swap.created_at).days // SWAP_FOLLOW_UP_DAYS, SWAP_MAX_FOLLOW_UPS)
        program = swap.term.program
        if swap.status == SwapRequest.Status.ACCEPTED:
            people = managers_of(program)
            title = f"A {program.name} swap still waits for your approval"
        else:
            people = [swap.target] if swap.target else [swap.requested_by]
            title = (
                f"{display_name(swap.requested_by)} still asks you to take their {program.name} term"
                if swap.target
                else f"Nobody has taken your {program.name} term yet"
            )
        for person in people:
            sent += bool(
                notify(
                    user=person,
                    program=program,
                    kind="swap_follow_up",
                    title=title,
                    body=f"The term {_fmt(swap.term.start_date)} to {_fmt(swap.term.last_day)}.",
                    url=reverse("rotations:swap_list", kwargs={"slug": program.slug}),
                    dedupe_key=f"swap:{swap.pk}:followup{round_}:{person.pk}",
                )
            )
    return sent
