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

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from advocacy.selectors import role_version_for_program

from . import boundaries, hooks, notices
from .models import Cover, Handoff, SwapRequest, Term
from .notices import Managers, tell_managers
from .selectors import leaves_overlapping
from .services import warn_leave_conflicts

INCOMING_DAYS = (14, 3)
OUTGOING_DAYS = (7, 2)
MANAGER_HORIZON_DAYS = 60
ESCALATE_AFTER_WORKING_DAYS = 2
SWAP_FOLLOW_UP_DAYS = 3
SWAP_MAX_FOLLOW_UPS = 3
COVER_END_NOTICE_DAYS = 2


def send_due_reminders(*, now: datetime | None = None, program_id: int | None = None) -> int:
    """Send every reminder that is due at `now`; return how many new notifications were recorded.

    A program's managers are looked up once for the whole run.
    """
    now = now or timezone.now()
    scope = Q(program_id=program_id) if program_id else Q()
    term_scope = Q(term__program_id=program_id) if program_id else Q()
    managers = Managers()
    sent = 0
    sent += _incoming(now, scope)
    sent += _outgoing(now, scope)
    sent += _managers(now, scope, managers)
    sent += _escalations(now, scope, managers)
    sent += _covers(now, term_scope)
    sent += _swaps(now, term_scope, managers)
    return sent


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
        sent += notices.send(
            notices.term_starting(term, days=days, role=roles[term.program_id]),
            user=term.advocate,
            program=term.program,
            key=f"term:{term.pk}:start{days}:{term.advocate_id}",
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
        sent += notices.send(
            notices.term_ending(term, days=days),
            user=term.advocate,
            program=term.program,
            key=f"term:{term.pk}:end{days}:{term.advocate_id}",
        )
    return sent


def _managers(now, scope, managers: Managers) -> int:
    sent = 0
    terms = list(
        Term.objects.filter(
            scope,
            status=Term.Status.PLANNED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=MANAGER_HORIZON_DAYS),
        ).select_related("program", "advocate")
    )
    for term in terms:
        if term.advocate_id is None:
            sent += tell_managers(
                notices.term_without_advocate(term),
                program=term.program,
                key=f"term:{term.pk}:unassigned",
                managers=managers,
            )
    sent += _coverage_gaps(now, scope, managers)
    advocates = {t.advocate_id for t in terms if t.advocate_id}
    if advocates and terms:
        first = min(t.start_date for t in terms)
        last = max(t.end_date for t in terms)
        for leave in leaves_overlapping(user_ids=advocates, first=first, last=last).select_related("user"):
            sent += warn_leave_conflicts(leave=leave, within=[t.pk for t in terms], managers=managers)
    return sent


def _coverage_gaps(now, scope, managers: Managers) -> int:
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
        sent += tell_managers(
            notices.coverage_gap(term, next_start=term.next_start),
            program=term.program,
            key=f"gap:{term.pk}",
            managers=managers,
        )
    return sent


def _covers(now, scope) -> int:
    """Tell the cover person when their cover begins, and both people when the baton comes back."""
    sent = 0
    beginning = Cover.objects.filter(scope, starts_at__lte=now, ends_at__gt=now).select_related(
        "term__program", "person"
    )
    for cover in beginning:
        sent += notices.send(
            notices.cover_started(cover), user=cover.person, program=cover.term.program, key=f"cover:{cover.pk}:started"
        )
    ended = Cover.objects.filter(
        scope, ends_at__lte=now, ends_at__gt=now - timedelta(days=COVER_END_NOTICE_DAYS), term__advocate__isnull=False
    ).select_related("term__program", "term__advocate", "person")
    for cover in ended:
        program, advocate = cover.term.program, cover.term.advocate
        sent += notices.send(
            notices.cover_ended_for_advocate(cover),
            user=advocate,
            program=program,
            key=f"cover:{cover.pk}:ended:{advocate.pk}",
        )
        sent += notices.send(
            notices.cover_ended_for_person(cover),
            user=cover.person,
            program=program,
            key=f"cover:{cover.pk}:ended:{cover.person_id}",
        )
    return sent


def _escalations(now, scope, managers: Managers) -> int:
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
        with transaction.atomic():
            sent += tell_managers(
                notices.handoff_unacknowledged(handoff),
                program=handoff.program,
                key=f"handoff:{handoff.pk}:escalated",
                managers=managers,
            )
            hooks.handoff_unacknowledged(hooks.UnacknowledgedHandoff(handoff=handoff, due_at=due))
    return sent


def _swaps(now, scope, managers: Managers) -> int:
    sent = 0
    swaps = SwapRequest.objects.filter(
        scope,
        status__in=[SwapRequest.Status.OPEN, SwapRequest.Status.ACCEPTED],
        created_at__lte=now - timedelta(days=SWAP_FOLLOW_UP_DAYS),
    ).select_related("term__program", "requested_by", "target", "accepted_by")
    for swap in swaps:
        round_ = min((now - swap.created_at).days // SWAP_FOLLOW_UP_DAYS, SWAP_MAX_FOLLOW_UPS)
        program = swap.term.program
        notice = notices.swap_follow_up(swap)
        key = f"swap:{swap.pk}:followup{round_}"
        if swap.status == SwapRequest.Status.ACCEPTED:
            sent += tell_managers(notice, program=program, key=key, managers=managers)
        else:
            person = swap.target if swap.target else swap.requested_by
            sent += notices.send(notice, user=person, program=program, key=f"{key}:{person.pk}")
    return sent
