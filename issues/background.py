"""What the periodic and on-commit tasks do: overdue notices, escalations, digests, the satisfaction question, tracking links."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy.models import Program
from advocacy.notifications import EMAIL_MAX_ATTEMPTS, failure_reason, notify, notify_admins
from advocacy.selectors import display_name
from core.edge import single_line
from core.outbox import enqueue, enqueue_missing

from . import hooks
from .models import (
    DEFAULT_RECOVERY_DAYS,
    DEFAULT_UNTOUCHED_DAYS,
    OPEN_Q,
    Escalation,
    HotIssue,
    IssueEvent,
    IssueSettings,
    RecoveryCheck,
    Source,
    Status,
    TrackingLinkEmail,
    overdue_q,
)
from .notices import (
    recovery_question_email,
    tell_managers_of_untouched_issue,
    tell_owner_of_untouched_issue,
    tracking_link_email,
)
from .selectors import OPEN_SQL, program_issue_summary
from .services import SEND_TRACKING_LINKS_TASK, default_owner
from .services.recovery import RECOVERY_WINDOW, SEND_RECOVERY_QUESTION_TASK, can_be_asked_again


def _humanize(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} h"
    return f"{max(1, int(delta.total_seconds() // 60))} min"


# An issue is marked counted past due this long after its target: a marked issue is then overdue by
# the clock of whoever reads the counts (a web worker, the database), not only the sweeper's.
PAST_DUE_MARGIN = timedelta(minutes=1)
PAST_DUE_BATCH = 5_000


def count_past_due(*, now: datetime | None = None) -> int:
    """Mark the open, never-contacted issues past their first-outreach target as counted past due
    (HotIssue.past_due_counted), so the open-issue counts keep them: a log page then reads only
    the few past due since the last run, not every issue not yet due. Every minute; a second run
    marks nothing. PostgreSQL only (its triggers keep the counts; elsewhere pages count them).

    In batches, each its own transaction, skipping rows a writer holds (the next run takes them).
    """
    if connection.vendor != "postgresql":
        return 0
    before = (now or timezone.now()) - PAST_DUE_MARGIN
    marked = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {HotIssue._meta.db_table} SET past_due_counted = TRUE WHERE id IN ("  # noqa: S608 — constants
                f"SELECT id FROM {HotIssue._meta.db_table} WHERE {OPEN_SQL} AND first_outreach_at IS NULL "
                "AND NOT past_due_counted AND first_outreach_due_at < %s "
                "ORDER BY first_outreach_due_at LIMIT %s FOR UPDATE SKIP LOCKED)",
                [before, PAST_DUE_BATCH],
            )
            batch = cursor.rowcount
        marked += batch
        if batch < PAST_DUE_BATCH:
            return marked


def notify_overdue(*, now=None) -> int:
    """Notify each owner once per issue that passed its first-outreach target."""
    now = now or timezone.now()
    sent = 0
    candidates = HotIssue.objects.filter(overdue_q(now), overdue_notified_at__isnull=True).values_list("pk", flat=True)
    for pk in list(candidates[:500]):
        with transaction.atomic():
            issue = (
                HotIssue.objects.select_for_update(of=("self",))
                .select_related("owner", "program")
                .filter(overdue_q(now), pk=pk, overdue_notified_at__isnull=True)
                .first()
            )
            if issue is None:
                continue  # contacted or handled meanwhile
            late = _humanize(issue.overdue_by(now))
            notify(
                user=issue.owner,
                kind="issue_overdue",
                title=f"Overdue: {issue.title} — first outreach is {late} late",
                body=(
                    f"{issue.get_level_display()} customer in {issue.program.name}. "
                    "Reach out now and log the attempt in Baton."
                ),
                url=issue.get_absolute_url(),
                program=issue.program,
                dedupe_key=f"issue-overdue-{issue.pk}",
            )
            HotIssue.objects.filter(pk=issue.pk).update(overdue_notified_at=now)
            IssueEvent.objects.create(
                issue=issue,
                kind=IssueEvent.Kind.OVERDUE,
                at=now,
                summary=f"Owner told the first outreach is {late} late",
            )
            hooks.alert(
                hooks.IssueAlert(
                    kind=hooks.OVERDUE,
                    program=issue.program,
                    issue=issue,
                    at=now,
                    detail=f"First outreach is {late} late",
                )
            )
            sent += 1
    return sent


DIGEST_HOUR = 8  # local time of each program; the hourly task sends once the day has begun there


def send_digests(*, now=None) -> int:
    """Send each active program's current advocate one digest a day of the open issues."""
    now = now or timezone.now()
    sent = 0
    for program in Program.objects.filter(is_active=True):
        if timezone.localtime(now, program.zone).hour < DIGEST_HOUR:
            continue
        summary = program_issue_summary(program=program, now=now)
        if not summary["open"]:
            continue
        advocate = default_owner(program=program, at=now)
        if advocate is None:
            continue
        top = (
            HotIssue.objects.filter(OPEN_Q, program=program)
            .order_by("-level", "created_at")
            .values_list("title", "level")[:5]
        )
        lines = [f"{summary['open']} open issues, {summary['overdue']} overdue, {summary['runaround']} runaround."]
        lines += [f"- [{level}] {title}" for title, level in top]
        local_day = timezone.localtime(now, program.zone).date()
        note = notify(
            user=advocate,
            kind="issue_digest",
            title=f"{program.name}: {summary['open']} open hot issues ({summary['overdue']} overdue)",
            body="\n".join(lines),
            url=f"/issues/?program={program.slug}",
            program=program,
            dedupe_key=f"issue-digest-{program.pk}-{local_day.isoformat()}",
        )
        sent += note is not None
    return sent


def ask_satisfaction(*, issue_id: int, now=None) -> bool:
    """E-mail the customer the close-the-loop question with their tracking link, once.

    The issue row is locked and stamped in the same transaction as the e-mail
    is sent, so a task delivered twice (or queued again by the sweep) asks once,
    and a failed send leaves the question for `requeue_unasked_questions`. A
    failed send is counted, its reason kept and raised again; after
    `EMAIL_MAX_ATTEMPTS` tries the question is given up and the admins are told.
    """
    with transaction.atomic():
        issue = (
            HotIssue.objects.select_for_update(of=("self",))
            .select_related("customer", "program")
            .filter(pk=issue_id)
            .first()
        )
        if issue is None or issue.status != Status.RESOLVED or issue.satisfaction is not None:
            return False
        if issue.satisfaction_asked_at is not None or not (issue.customer and issue.customer.email):
            return False
        if issue.satisfaction_ask_attempts >= EMAIL_MAX_ATTEMPTS:
            return False
        link = f"{settings.SITE_URL.rstrip('/')}{issue.get_tracking_url()}"
        attempts = issue.satisfaction_ask_attempts + 1
        try:
            send_mail(
                single_line(f"{issue.program.name}: how satisfied are you now?"),
                (
                    f"Hello{' ' + issue.customer.name if issue.customer.name else ''},\n\n"
                    f"We have resolved the problem you told us about: “{issue.title}”.\n"
                    f"One question: how satisfied are you now, from 1 to 5? Answer here:\n{link}\n"
                ),
                None,
                [issue.customer.email],
            )
        except Exception as error:  # the mail server refused, timed out, is down…: count it, keep why
            failure = error
            reason = failure_reason(error)
            HotIssue.objects.filter(pk=issue.pk).update(
                satisfaction_ask_attempts=attempts, satisfaction_ask_error=reason
            )
        else:
            HotIssue.objects.filter(pk=issue.pk).update(
                satisfaction_asked_at=now or timezone.now(), satisfaction_ask_attempts=attempts
            )
            return True
    if attempts >= EMAIL_MAX_ATTEMPTS:
        notify_admins(
            title="A satisfaction question could not be sent",
            body=(
                f"The satisfaction question of issue #{issue.pk} in {issue.program.name} failed {attempts} times "
                f"and will not be tried again. Last error: {reason}"
            ),
            url=issue.get_absolute_url(),
            dedupe_key=f"email-given-up:satisfaction:{issue.pk}",
        )
    raise failure


ASK_TASK = "issues.tasks.ask_satisfaction"
# A question queued this recently (or still waiting for the broker) is not queued again.
ASK_RETRY_AFTER = timedelta(minutes=2)
# The sweep does not reach further back than this.
SWEEP_HORIZON = timedelta(days=14)


def requeue_unasked_questions(*, now=None) -> int:
    """Queue again the satisfaction questions a failure left unasked (the mail server was down); return how many.

    Questions already waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    unasked = HotIssue.objects.filter(
        status=Status.RESOLVED,
        satisfaction__isnull=True,
        satisfaction_asked_at__isnull=True,
        satisfaction_ask_attempts__lt=EMAIL_MAX_ATTEMPTS,
        customer__email__gt="",
        resolved_at__gte=now - SWEEP_HORIZON,
    ).values_list("pk", flat=True)
    return enqueue_missing(ASK_TASK, list(unasked[:500]), since=now - ASK_RETRY_AFTER)


# ---------------------------------------------------------------- tracking links

# Unsent tracking-link e-mails older than this are not sent any more (the customer has the link on the thank-you page).
LINK_GIVE_UP_AFTER = timedelta(days=3)
LINK_RETRY_AFTER = timedelta(minutes=2)


def send_tracking_links(*, message_ids, now=None) -> int:
    """Send each tracking-link e-mail that is still unsent; return how many were sent now.

    Each row is locked and stamped in the transaction that sends it, so a job
    delivered twice, or two jobs naming the same row, send it once; a failed
    send leaves it (and those after it) for `requeue_unsent_tracking_links`.
    Only ids reach the task and its log lines, never the customer's address.
    """
    sent = 0
    for message_id in message_ids:
        with transaction.atomic():
            message = (
                TrackingLinkEmail.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("issue__customer", "issue__owner", "issue__program")
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                continue  # sent already, or being sent by another worker
            customer = message.issue.customer
            if customer is not None and customer.email:
                subject, body = tracking_link_email(message)
                send_mail(subject, body, None, [customer.email])
                sent += 1
            # Without an address any more there is nothing to send: the row is done either way.
            TrackingLinkEmail.objects.filter(pk=message.pk).update(sent_at=now or timezone.now())
    return sent


def requeue_unsent_tracking_links(*, now=None) -> int:
    """Queue again the recent tracking-link e-mails a failure left unsent; return how many.

    Those still waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    unsent = TrackingLinkEmail.objects.filter(
        sent_at__isnull=True, created_at__gte=now - LINK_GIVE_UP_AFTER
    ).values_list("pk", flat=True)
    return enqueue_missing(SEND_TRACKING_LINKS_TASK, list(unsent[:500]), since=now - LINK_RETRY_AFTER)


# ---------------------------------------------------------------- the recovery check

# A resolution the job did not reach in time (workers down) is still asked this long after its day.
RECOVERY_CATCH_UP = timedelta(days=7)
RECOVERY_BATCH = 500
RECOVERY_RETRY_AFTER = timedelta(minutes=2)


def _due_for_recovery(now: datetime) -> Q:
    """Resolved issues whose program's recovery day has come (and not long gone) for their current resolution."""
    custom: dict[int, list[int]] = {}
    for program_id, days in IssueSettings.objects.values_list("program_id", "recovery_days"):
        custom.setdefault(days, []).append(program_id)
    custom_ids = [pk for ids in custom.values() for pk in ids]

    def window(days: int) -> Q:
        day = now - timedelta(days=days)
        return Q(resolved_at__lte=day, resolved_at__gt=day - RECOVERY_CATCH_UP)

    due = window(DEFAULT_RECOVERY_DAYS) & ~Q(program_id__in=custom_ids)
    for days, ids in custom.items():
        due |= window(days) & Q(program_id__in=ids)
    return due


def open_recovery_checks(*, now: datetime | None = None) -> int:
    """Ask again, once per resolution, the customers whose issue was resolved the program's recovery days ago.

    Each question is a RecoveryCheck row keyed on the issue and its resolution,
    written with the issue locked: running the job again, on any day, asks
    nobody twice. A reopened issue resolved again is a new resolution. The
    tracking page shows the open question; a customer with an e-mail address
    is also e-mailed it (a task per question). Return how many were opened.
    """
    now = now or timezone.now()
    asked = RecoveryCheck.objects.filter(issue=OuterRef("pk"), resolved_at=OuterRef("resolved_at"))
    candidates = (
        HotIssue.objects.filter(_due_for_recovery(now), status=Status.RESOLVED)
        .filter(Q(customer__email__gt="") | Q(source=Source.CUSTOMER_FORM))
        .exclude(Exists(asked))
        .order_by("resolved_at")
        .values_list("pk", flat=True)
    )
    opened = 0
    for pk in list(candidates[:RECOVERY_BATCH]):
        with transaction.atomic():
            issue = (
                HotIssue.objects.select_for_update(of=("self",))
                .select_related("customer", "program")
                .filter(pk=pk, status=Status.RESOLVED)
                .first()
            )
            if issue is None or issue.resolved_at is None or not can_be_asked_again(issue):
                continue  # reopened meanwhile
            check, new = RecoveryCheck.objects.get_or_create(
                issue=issue,
                resolved_at=issue.resolved_at,
                defaults={
                    "asked_at": now,
                    "open_until": now + RECOVERY_WINDOW,
                    "satisfaction_before": issue.satisfaction,
                },
            )
            if not new:
                continue
            IssueEvent.objects.create(
                issue=issue,
                kind=IssueEvent.Kind.RECOVERY_ASKED,
                at=now,
                summary="Asked the customer again: is it still sorted, how do they feel about us now?",
            )
            if issue.customer_id and issue.customer.email:
                enqueue(SEND_RECOVERY_QUESTION_TASK, args=[check.pk])
            opened += 1
    return opened


def send_recovery_question(*, check_id: int, now: datetime | None = None) -> bool:
    """E-mail the customer the recovery question, once, while it is open and the issue still resolved.

    The row is locked and stamped in the transaction that sends it, as the
    satisfaction question is; a failed send is counted and raised, and given
    up (the admins told) after `EMAIL_MAX_ATTEMPTS` tries. The question stays
    on the tracking page either way.
    """
    now = now or timezone.now()
    with transaction.atomic():
        check = (
            RecoveryCheck.objects.select_for_update(of=("self",))
            .select_related("issue__customer", "issue__program", "issue__owner")
            .filter(pk=check_id)
            .first()
        )
        if check is None or check.email_sent_at is not None or not check.is_open_at(now):
            return False
        issue = check.issue
        if issue.status != Status.RESOLVED or issue.resolved_at != check.resolved_at:
            return False  # reopened meanwhile: the question is about a resolution that no longer stands
        if not (issue.customer_id and issue.customer.email) or check.email_attempts >= EMAIL_MAX_ATTEMPTS:
            return False
        attempts = check.email_attempts + 1
        subject, body = recovery_question_email(check)
        try:
            send_mail(single_line(subject), body, None, [issue.customer.email])
        except Exception as error:  # the mail server refused, timed out, is down…: count it, keep why
            failure = error
            reason = failure_reason(error)
            RecoveryCheck.objects.filter(pk=check.pk).update(email_attempts=attempts, email_error=reason)
        else:
            RecoveryCheck.objects.filter(pk=check.pk).update(email_sent_at=now, email_attempts=attempts)
            return True
    if attempts >= EMAIL_MAX_ATTEMPTS:
        notify_admins(
            title="A recovery question could not be sent",
            body=(
                f"The recovery question of issue #{issue.pk} in {issue.program.name} failed {attempts} times "
                f"and will not be e-mailed again (it stays on the customer's tracking page). Last error: {reason}"
            ),
            url=issue.get_absolute_url(),
            dedupe_key=f"email-given-up:recovery:{check.pk}",
        )
    raise failure


def requeue_unsent_recovery_questions(*, now: datetime | None = None) -> int:
    """Queue again the open recovery questions a failure left un-e-mailed; return how many.

    Those still waiting in the outbox, or queued in the last few minutes, are left alone.
    """
    now = now or timezone.now()
    unsent = RecoveryCheck.objects.filter(
        email_sent_at__isnull=True,
        score__isnull=True,
        open_until__gt=now,
        email_attempts__lt=EMAIL_MAX_ATTEMPTS,
        issue__status=Status.RESOLVED,
        issue__resolved_at=F("resolved_at"),
        issue__customer__email__gt="",
    ).values_list("pk", flat=True)
    return enqueue_missing(SEND_RECOVERY_QUESTION_TASK, list(unsent[:500]), since=now - RECOVERY_RETRY_AFTER)


# What a person does to an issue. A handoff, a notice, the customer's own note,
# an escalation or grouping it with others (added to or taken out of a theme)
# moves it to nobody, so none of them counts as a touch.
TOUCHES = (
    IssueEvent.Kind.CREATED,
    IssueEvent.Kind.OUTREACH,
    IssueEvent.Kind.TRANSFER,
    IssueEvent.Kind.REASSIGNED,
    IssueEvent.Kind.STATUS,
    IssueEvent.Kind.REOPENED,
)
ESCALATE_BATCH = 500
DEFAULT_LIMITS = {level: timedelta(days=days) for level, days in DEFAULT_UNTOUCHED_DAYS.items()}


def _untouched(now: datetime, levels: dict[int, dict[int, timedelta]]) -> list[tuple[int, datetime]]:
    """Open issues past the shortest limit of their level anywhere: (pk, last touch), at most a batch."""
    touched = Coalesce(Max("events__at", filter=Q(events__kind__in=TOUCHES)), F("created_at"))
    found: list[tuple[int, datetime]] = []
    for level in (5, 4, 3, 2, 1):
        shortest = min(limits[level] for limits in levels.values()) if levels else DEFAULT_LIMITS[level]
        shortest = min(shortest, DEFAULT_LIMITS[level])
        rows = (
            HotIssue.objects.filter(OPEN_Q, level=level)
            .annotate(touched=touched)
            .filter(touched__lte=now - shortest)
            .order_by("touched")
            .values_list("pk", "program_id", "touched")[: ESCALATE_BATCH - len(found)]
        )
        for pk, program_id, at in rows:
            limit = levels.get(program_id, DEFAULT_LIMITS)[level]
            if at <= now - limit:
                found.append((pk, at))
        if len(found) >= ESCALATE_BATCH:
            break
    return found


def escalate_untouched(*, now: datetime | None = None) -> int:
    """Escalate open issues nobody has touched for their level's limit: once to the owner, then to the managers.

    Counted from the last touch (see TOUCHES), so a handoff neither restarts the
    clock nor tells anyone twice; a second stage follows when the issue stays
    untouched for the same limit again after the owner was told. Each stage is
    one Escalation row per issue and touch, so running the job again, on any
    day, sends nothing new. Return how many escalations were recorded.
    """
    now = now or timezone.now()
    levels = {
        row.program_id: {level: row.untouched_limit(level) for level in DEFAULT_LIMITS}
        for row in IssueSettings.objects.all()
    }
    done = 0
    for pk, _ in _untouched(now, levels):
        with transaction.atomic():
            issue = (
                HotIssue.objects.select_for_update(of=("self",))
                .select_related("owner", "program")
                .filter(OPEN_Q, pk=pk)
                .first()
            )
            if issue is None:
                continue  # closed meanwhile
            touched_at = issue.events.filter(kind__in=TOUCHES).aggregate(at=Max("at"))["at"] or issue.created_at
            limit = levels.get(issue.program_id, DEFAULT_LIMITS)[issue.level]
            for stage, after in ((Escalation.Stage.OWNER, limit), (Escalation.Stage.MANAGERS, 2 * limit)):
                if now < touched_at + after:
                    break  # touched meanwhile, or not long enough for this stage
                _, new = Escalation.objects.get_or_create(
                    issue=issue, stage=stage, touched_at=touched_at, defaults={"at": now}
                )
                if not new:
                    continue
                key = f"issue-untouched-{issue.pk}-{stage}-{touched_at.timestamp():.0f}"
                if stage == Escalation.Stage.OWNER:
                    tell_owner_of_untouched_issue(issue, touched_at=touched_at, key=key)
                    summary = f"Untouched for {_humanize(now - touched_at)}: {display_name(issue.owner)} was told"
                else:
                    tell_managers_of_untouched_issue(issue, touched_at=touched_at, key=key)
                    summary = f"Still untouched after {_humanize(now - touched_at)}: the managers were told"
                IssueEvent.objects.create(issue=issue, kind=IssueEvent.Kind.ESCALATED, at=now, summary=summary)
                done += 1
    return done
