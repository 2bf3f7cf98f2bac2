"""Demo data for insights: a worked past term, the reports of every completed term,
one reflection, two recognitions and three decision records, so a manager sees
reports, champions and the customer's chair in decisions.

Runs after the rotations and issues demos. Issues of Sam's last quarter go
through the issue services and are then back-dated (issue, outreach and
history rows), so the report, built by the real service, reads like a real term.
"""

from datetime import timedelta

from django.utils import timezone

from advocacy.models import Notification, ThanksNote
from issues.models import HotIssue, IssueEvent, RootCause
from issues.receivers import on_handoff
from issues.services import create_issue, log_outreach, resolve, seed_default_root_causes
from rotations.hooks import HandoffContext
from rotations.models import Handoff, Term
from rotations.selectors import current_advocate

from .decisions import propose_decision, write_customer_side
from .models import Decision, Recognition, TermReport
from .reports import build_term_report, save_reflection
from .services import give_recognition

# title, customer, level, days into the term, hours to first outreach, days to resolve, satisfaction
WORKED = [
    ("Refund promised in March, never paid", "Klaus Richter", 4, 9, 2, 4, 5),
    ("Router replaced three times, still drops", "Ines Vogel", 3, 21, 30, 6, 4),
    ("Wrong tariff after the contract renewal", "Omid Karimi", 2, 40, 70, 5, 2),
    ("Business line down during a trade fair", "Hofmann Events", 5, 55, 1, 1, 5),
]
HANDED_ON = ("Billing error on Mrs. Albers's account", "Greta Albers", 4, 10, 4)  # days before the end

DECLARATION = (
    "Every customer who writes to us angry hears from a named person the same day, and I will bring "
    "one customer's story to every planning meeting this quarter."
)
REFLECTION = {
    "0": "The refund rules in Finance worked against customers twice; I only saw it after the second case.",
    "2": "Said it in the March planning meeting: every angry customer hears from a named person within a day.",
    "4": "Thanked Karin and Leo in the program, not only in private.",
    "8": "Took Fridays off the log in the last month — it kept me going.",
}


def _work_term(term: Term, users: dict) -> None:
    program, advocate = term.program, term.advocate
    seed_default_root_causes(program=program)
    causes = list(RootCause.objects.filter(program=program, retired_at__isnull=True))
    for title, customer, level, day, first_hours, resolve_days, score in WORKED:
        created = term.starts_at + timedelta(days=day, hours=2)
        issue = create_issue(
            program=program,
            actor=advocate,
            title=title,
            level=level,
            owner=advocate,
            customer_name=customer,
            created_at=created,
        )
        log_outreach(
            issue=issue,
            actor=advocate,
            channel="phone",
            outcome="spoke",
            at=created + timedelta(hours=first_hours),
        )
        resolve(
            issue=issue,
            actor=advocate,
            resolution="Fixed and confirmed with the customer.",
            root_cause=causes[len(title) % len(causes)],
            lasting_fix_needed=level >= 4,
            satisfaction=score,
        )
        resolved_at = created + timedelta(days=resolve_days, hours=first_hours)
        HotIssue.objects.filter(pk=issue.pk).update(resolved_at=resolved_at, satisfaction_at=resolved_at)
        IssueEvent.objects.filter(issue=issue, kind__in=["resolved", "satisfaction"]).update(at=resolved_at)
        history = HotIssue.history.model.objects.filter(id=issue.pk)
        history.exclude(history_type="+").update(history_date=resolved_at)
        history.filter(history_type="+").update(history_date=created)
    title, customer, level, days_before_end, first_hours = HANDED_ON
    created = term.ends_at - timedelta(days=days_before_end)
    open_issue = create_issue(
        program=program,
        actor=advocate,
        title=title,
        level=level,
        owner=advocate,
        customer_name=customer,
        created_at=created,
    )
    log_outreach(
        issue=open_issue,
        actor=advocate,
        channel="email",
        outcome="left_message",
        at=created + timedelta(hours=first_hours),
    )
    HotIssue.history.model.objects.filter(id=open_issue.pk).update(history_date=created + timedelta(hours=first_hours))
    incoming = Term.objects.filter(program=program, starts_at=term.ends_at).select_related("advocate").first()
    if incoming and incoming.advocate:
        # The handoff ran before these issues existed: move them now, the way its issues participant
        # does, and record what moved on the handoff, as the term's figures read it from there.
        effect = on_handoff(
            HandoffContext(
                program=program,
                outgoing_term=term,
                incoming_term=incoming,
                outgoing_advocate=advocate,
                incoming_advocate=incoming.advocate,
                at=term.ends_at,
                early=False,
            )
        )
        handoff = Handoff.objects.filter(incoming_term=incoming).first()
        if handoff is not None:
            others = [e for e in handoff.effects if e.get("participant") != effect.participant]
            Handoff.objects.filter(pk=handoff.pk).update(effects=[effect.as_json(), *others])
    # Thanks during the term, from and to the advocate.
    for sender, recipient, message, day in [
        (advocate, users["leo"], "Thank you for finding the root cause of the duplicate invoices.", 12),
        (users["priya"], advocate, "You took the Hofmann call at 7 in the morning. Thank you!", 56),
        (users["dana"], advocate, "Thanks for the handoff note — Mrs. Albers knew my name on day one.", 60),
    ]:
        note = ThanksNote.objects.create(program=program, sender=sender, recipient=recipient, message=message)
        ThanksNote.objects.filter(pk=note.pk).update(created_at=term.starts_at + timedelta(days=day))


def _decisions(desk, users: dict, worked: Term | None) -> None:
    """One decision taken last term with the customer's side, and two coming up: one written, one not yet."""
    today = timezone.localdate()
    if worked is not None:
        day = worked.starts_at + timedelta(days=30)
        Decision.objects.create(
            program=desk,
            title="Route refund requests over €100 to Finance",
            decided_by="Monday planning meeting",
            decide_on=day.date(),
            proposed_by=users["maria"],
            customer_impact="Customers waiting for a refund would get an answer from someone who can pay it, "
            "instead of being passed between Support and Finance.",
            customers_touched="Klaus Richter's refund; every refund complaint this quarter.",
            customer_question="Who tells the customer the money is on its way?",
            customer_side_by=worked.advocate,
            customer_side_at=day - timedelta(days=2),
            status=Decision.Status.DECIDED,
            outcome="Agreed: Finance answers refunds over €100 within two working days; the advocate tells the customer.",
            outcome_by=users["maria"],
            outcome_at=day,
        )
    sooner = propose_decision(
        program=desk,
        actor=users["leo"],
        title="Close the phone line at 17:00 instead of 19:00",
        decided_by="Operations review",
        decide_on=today + timedelta(days=6),
        details="Evening calls are 8 % of the volume; the team wants the hours for callbacks.",
    )
    propose_decision(
        program=desk,
        actor=users["maria"],
        title="Charge for paper invoices",
        decided_by="Monday planning meeting",
        decide_on=today + timedelta(days=13),
    )
    advocate = current_advocate(program=desk)
    if advocate is not None:
        write_customer_side(
            decision=sooner,
            actor=advocate,
            impact="Customers who work days can only call after 17:00; for them the line would be gone.",
            touched="Business customers calling about outages after work.",
            question="Can an evening callback slot replace the open line?",
        )


def build(ctx: dict) -> None:
    users, programs = ctx["users"], ctx["programs"]
    demo_programs = [programs["support-desk"], programs["web-shop"]]
    Recognition.objects.filter(program__in=demo_programs).delete()
    Decision.objects.filter(program__in=demo_programs).delete()
    TermReport.objects.filter(program__in=demo_programs).delete()
    desk = programs["support-desk"]
    completed = list(
        Term.objects.filter(program__in=demo_programs, status=Term.Status.COMPLETED)
        .select_related("program", "advocate")
        .order_by("program_id", "starts_at")
    )
    worked = [t for t in completed if t.program_id == desk.pk]
    if worked:
        _work_term(worked[-1], users)
        Term.objects.filter(pk=worked[-1].pk).update(declaration=DECLARATION)
    reports = {t.pk: build_term_report(term=t) for t in completed}
    if worked and reports.get(worked[-1].pk):
        save_reflection(report=reports[worked[-1].pk], actor=worked[-1].advocate, notes=REFLECTION)
        give_recognition(
            program=desk,
            actor=users["maria"],
            recipient=worked[-1].advocate,
            term=worked[-1],
            note="Four customers back to happy in one quarter, and a handoff note Dana could act on from minute one.",
        )
    _decisions(desk, users, worked[-1] if worked else None)
    give_recognition(
        program=desk,
        actor=users["maria"],
        recipient=users["leo"],
        note="Found the root cause of the duplicate invoices without being asked. Not an advocate, still a champion.",
    )
    # The demo's notifications are for reading in the app; do not e-mail them all at commit.
    Notification.objects.filter(program__in=demo_programs, emailed_at__isnull=True).update(emailed_at=timezone.now())
