"""Demo data for rotations: Support Desk mid-term with history and future terms, Web Shop monthly.

Support Desk (quarterly, Europe/Berlin): four past quarters, Dana's current
term (with Sam's handoff note, acknowledged, and her declaration), a cover
later in her term, planned quarters ahead and a leave conflict to look at.
Web Shop (monthly, America/New_York): past months, the current month and the
next months filled by the planner. Terms pass through the real services, so
handoffs, ledger and notifications look as they would in use.
"""

from datetime import date, timedelta

from django.db.models import F
from django.utils import timezone

from advocacy.models import Membership, Notification
from advocacy.permissions import SYSTEM

from . import boundaries, services
from .models import CalendarToken, Handoff, Leave, LedgerEntry, RosterReview, RotationSettings, SwapRequest, Term

NOTES = {
    "sam": "Open: Mrs. Albers (billing error, promised a call every Friday until the refund lands).\n"
    "Watch: the duplicate-invoice customers; Leo knows the root cause.\n"
    "Ally: Karin in Finance approves refunds under 500 EUR the same day.",
    "priya": "Three customers waiting on the new cancellation flow. Aisha's e-mail rewrite helped.",
}
DECLARATIONS = {
    "dana": "No customer waits more than a day to hear from a named person. I will say so out loud in every "
    "planning meeting until it is true.",
}


def _quarter_start(day: date, quarters_back: int) -> date:
    first = day.replace(day=1, month=((day.month - 1) // 3) * 3 + 1)
    return boundaries.add_months(first, -3 * quarters_back)


def build(ctx: dict) -> None:
    users, programs = ctx["users"], ctx["programs"]
    now = timezone.now()
    demo_programs = [programs["support-desk"], programs["web-shop"]]
    Handoff.objects.filter(program__in=demo_programs).delete()
    SwapRequest.objects.filter(term__program__in=demo_programs).delete()
    RosterReview.objects.filter(program__in=demo_programs).delete()
    Term.objects.filter(program__in=demo_programs).delete()
    LedgerEntry.objects.filter(program__in=demo_programs).delete()
    Leave.objects.filter(user__in=users.values()).delete()
    CalendarToken.objects.filter(user__in=users.values()).delete()
    Notification.objects.filter(program__in=demo_programs).delete()

    # Maria manages both programs; she is not planned as an advocate herself.
    Membership.objects.filter(program__in=demo_programs, user=users["maria"]).update(is_eligible=False)
    desk = programs["support-desk"]
    RotationSettings.objects.update_or_create(
        program=desk, defaults={"allow_back_to_back": False, "max_terms_per_year": 2, "auto_approve_swaps": False}
    )
    today = boundaries.local_date(program=desk, at=now)
    order = ["sam", "aisha", "priya", "sam", "dana"]  # four past quarters, then the current one
    starts = [_quarter_start(today, back) for back in range(4, -1, -1)]
    terms = [
        services.create_term(program=desk, start_date=start, advocate=users[name])
        for start, name in zip(starts, order, strict=True)
    ]
    services.run_due_handoffs(now=now)
    Handoff.objects.filter(program=desk).update(performed_at=F("boundary_at"))
    for term, name in zip(terms, order, strict=True):
        if name in NOTES:
            Term.objects.filter(pk=term.pk).update(handoff_note=NOTES[name], handoff_note_updated_at=term.ends_at)
        if name in DECLARATIONS:
            Term.objects.filter(pk=term.pk).update(declaration=DECLARATIONS[name])
    for handoff in Handoff.objects.filter(program=desk).select_related("incoming_advocate"):
        Handoff.objects.filter(pk=handoff.pk).update(
            acknowledged_at=handoff.boundary_at + timedelta(hours=3), acknowledged_by=handoff.incoming_advocate
        )
    current = terms[-1]
    preview = services.preview_plan(program=desk, count=4, now=now)
    services.save_plan(program=desk, actor=SYSTEM, count=4, fingerprint=preview.fingerprint, now=now)
    cover_start = current.last_day - timedelta(days=9)
    if cover_start > today:
        services.add_cover(
            term=current,
            person=users["sam"],
            first_day=cover_start,
            last_day=cover_start + timedelta(days=6),
            actor=SYSTEM,
            reason="Dana's holiday",
        )
    # A leave that touches a planned term, so the schedule shows a conflict.
    upcoming = Term.objects.filter(program=desk, status=Term.Status.PLANNED, advocate__isnull=False).order_by(
        "starts_at"
    )
    if upcoming:
        target = upcoming[0]
        services.record_leave(
            user=target.advocate,
            first_day=target.start_date + timedelta(days=20),
            last_day=target.start_date + timedelta(days=33),
            note="Family visit",
        )
    services.calendar_token(user=users["dana"])

    shop = programs["web-shop"]
    RotationSettings.objects.update_or_create(
        program=shop, defaults={"allow_back_to_back": False, "max_terms_per_year": 0, "auto_approve_swaps": True}
    )
    shop_today = boundaries.local_date(program=shop, at=now)
    month = shop_today.replace(day=1)
    shop_order = ["nina", "omar", "grace", "aisha"]
    for back, name in zip(range(3, -1, -1), shop_order, strict=True):
        services.create_term(program=shop, start_date=boundaries.add_months(month, -back), advocate=users[name])
    services.run_due_handoffs(now=now)
    Handoff.objects.filter(program=shop).update(performed_at=F("boundary_at"))
    # The current month's handoff waits for Aisha's acknowledgement (she sees the note first thing).
    current_shop = Term.objects.get(program=shop, status=Term.Status.ACTIVE)
    Term.objects.filter(program=shop, status=Term.Status.COMPLETED).order_by("-starts_at").filter(
        ends_at=current_shop.starts_at
    ).update(
        handoff_note="Two parcels for Mr. Ortiz are still with the carrier; I promised him an update by Friday.\n"
        "The checkout bug on saved cards is fixed, but three customers were double-charged: refunds are pending.",
        handoff_note_updated_at=current_shop.starts_at,
    )
    for handoff in Handoff.objects.filter(program=shop, boundary_at__lt=current_shop.starts_at):
        Handoff.objects.filter(pk=handoff.pk).update(
            acknowledged_at=handoff.boundary_at + timedelta(hours=2), acknowledged_by_id=handoff.incoming_advocate_id
        )
    preview = services.preview_plan(program=shop, count=8, now=now)
    services.save_plan(program=shop, actor=SYSTEM, count=8, fingerprint=preview.fingerprint, now=now)
    ctx.setdefault("terms", {})["support-desk-current"] = current
    # The demo's notifications are for reading in the app; do not e-mail them all at commit.
    Notification.objects.filter(program__in=demo_programs, emailed_at__isnull=True).update(emailed_at=now)
