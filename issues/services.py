"""Writes for hot issues: one function per business action.

Each function takes keyword-only arguments, validates with messages a person
understands (the constants below, which tests reuse), writes the change and a
timeline event in one transaction, and returns the changed object.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import islice

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from advocacy.models import Membership, Program
from advocacy.permissions import require_manager, require_member
from advocacy.selectors import display_name
from core.edge import single_line
from core.locks import lock_for_transaction
from core.outbox import enqueue, queued_args
from core.when import format_moment
from rotations.selectors import current_advocate

from . import notices
from .fetching import private_literal
from .models import (
    CLOSED_STATUSES,
    OPEN_Q,
    Customer,
    Department,
    HotIssue,
    ImportJob,
    IntakeAttempt,
    IssueEvent,
    IssueSettings,
    Level,
    Mention,
    MentionFeed,
    Outreach,
    Source,
    Status,
    TrackingLinkEmail,
    Transfer,
)

User = get_user_model()

TITLE_REQUIRED = "Give the issue a short title."
WORDS_OR_TITLE = "Write down what the customer said."
BAD_LEVEL = "Choose how upset the customer is, from 1 (disappointed) to 5 (leaving or going public)."
OWNER_NOT_MEMBER = "The owner must be a member of this program."
DEPARTMENT_OTHER_PROGRAM = "That department belongs to another program."
NO_OWNER = "This program has no advocate or manager to own the issue. Add a manager first."
ISSUE_CLOSED = "This issue is closed. Reopen it first."
ISSUE_NOT_CLOSED = "Only a resolved or closed issue can be reopened."
BAD_TRANSITION = "An issue that is “%(current)s” cannot be set to “%(target)s”."
USE_RESOLVE = "Use “Resolve” to resolve an issue, with what was done."
RESOLUTION_REQUIRED = "Write what was done to resolve it."
REOPEN_REASON_REQUIRED = "Say why the issue is reopened."
TRANSFER_REASON_REQUIRED = "Say why the issue is transferred."
TRANSFER_NOTHING = "Choose another department or another owner to transfer to."
SAME_OWNER = "%(name)s already owns this issue."
BAD_SATISFACTION = "Choose a number from 1 (not at all satisfied) to 5 (very satisfied)."
NOT_RESOLVED_YET = "We can ask how satisfied you are once the issue is resolved."
ALREADY_ANSWERED = "Thank you — we already have your answer."
NEXT_ATTEMPT_IN_PAST = "The next attempt must be in the future."
OUTREACH_IN_FUTURE = "An outreach cannot be logged in the future."
CONTACT_REQUIRED = "Tell us how to reach you: an e-mail address or a phone number."
PUBLIC_WORDS_REQUIRED = "Tell us what happened, in your own words."
PUBLIC_SUMMARY_REQUIRED = "Sum up your problem in a few words."
PUBLIC_SUMMARY_TOO_LONG = "Keep it to %(limit)d characters; the details go below."
CUSTOMER_NOTE_REQUIRED = "Write what you would like to add."
CUSTOMER_NOTE_TOO_LONG = "Keep it to %(limit)d characters, or send it in two parts."
CUSTOMER_NOTES_LIMITED = "You have added several messages in the last hour. Please wait a little before adding more."
RATE_LIMITED = "We received several messages from your connection just now. Please wait a few minutes and try again."
MENTION_DECIDED = "This mention was already handled."
DEPARTMENT_EXISTS = "%(name)s already exists in this program."
FEED_NAME_REQUIRED = "Give the feed a name."
FEED_NOT_PUBLIC = "Enter a feed address on the public internet, not one on this machine or a private network."
FEED_HTTP_ONLY = "Only http:// and https:// feed addresses work. Copy the address of the feed from your browser."
FEED_PAUSED = "This feed is paused. Resume it to poll it again."
IMPORT_KIND_REQUIRED = "Choose what the file holds: mystery-shop visits or survey responses."
IMPORT_EMPTY = "The file is empty."

# Which statuses change_status() may move to, from each status.
ALLOWED = {
    Status.NEW: {Status.CONTACTED, Status.IN_PROGRESS, Status.UNREACHABLE},
    Status.CONTACTED: {Status.IN_PROGRESS, Status.UNREACHABLE},
    Status.IN_PROGRESS: {Status.CONTACTED, Status.UNREACHABLE},
    Status.RESOLVED: set(),
    Status.UNREACHABLE: set(),
}


def next_statuses(current: str) -> list[Status]:
    """Return the statuses change_status() may move an issue in `current` to, in the order they are listed."""
    allowed = ALLOWED.get(current, set())
    return [status for status in Status if status in allowed]


PUBLIC_FORM_LIMIT = 5  # submissions per program and address
PUBLIC_FORM_WINDOW = timedelta(minutes=10)
PUBLIC_SUMMARY_MAX = 80  # the customer's own few words, used as the issue's title
CUSTOMER_NOTE_MAX = 2000
CUSTOMER_NOTE_LIMIT = 5  # notes per issue (per tracking link) in the window
CUSTOMER_NOTE_WINDOW = timedelta(hours=1)
SEND_TRACKING_LINKS_TASK = "issues.tasks.send_tracking_links"
# A quick outreach from the log suggests the next attempt this long after now.
NEXT_ATTEMPT_AFTER = timedelta(days=1)


# ---------------------------------------------------------------- helpers


def issue_settings(*, program: Program) -> IssueSettings:
    """Return the program's settings, or unsaved defaults when it has none."""
    try:
        return program.issue_settings
    except IssueSettings.DoesNotExist:
        return IssueSettings(program=program)


def _require_owner_member(program: Program, owner: AbstractBaseUser) -> None:
    if not Membership.objects.filter(program=program, user=owner).exists():
        raise ValidationError({"owner": ValidationError(OWNER_NOT_MEMBER, code="owner_not_member")})


def default_owner(*, program: Program, at: datetime | None = None) -> AbstractBaseUser | None:
    """Return who owns new issues: the current advocate (or cover), else the first manager."""
    advocate = current_advocate(program=program, at=at)
    if advocate is not None:
        return advocate
    first = (
        Membership.objects.filter(program=program, role=Membership.Role.MANAGER)
        .select_related("user")
        .order_by("joined_at", "id")
        .first()
    )
    return first.user if first else None


def _locked(issue: HotIssue) -> HotIssue:
    return (
        HotIssue.objects.select_for_update(of=("self",))
        .select_related("program", "owner", "department", "customer")
        .get(pk=issue.pk)
    )


def _event(issue: HotIssue, kind: str, actor, summary: str, detail: str = "", at=None) -> IssueEvent:
    return IssueEvent.objects.create(
        issue=issue,
        kind=kind,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        at=at or timezone.now(),
        summary=summary[:300],
        detail=detail,
    )


def _save(issue: HotIssue, actor, reason: str) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False):
        issue._history_user = actor
    issue._change_reason = reason
    issue.full_clean(exclude=["search_vector", "tracking_token"])
    issue.save()


def _search_who(customer: Customer | None) -> str:
    return " ".join(filter(None, [customer.name, customer.company, customer.email])) if customer else ""


def _search_document(title, who, words) -> SearchVector:
    """The issue's search document: its title and customer weigh more than the customer's words."""
    return (
        SearchVector(title, weight="A", config="english")
        + SearchVector(who, weight="A", config="english")
        + SearchVector(words, weight="B", config="english")
    )


def tells_customer(issue: HotIssue) -> bool:
    """Return whether the customer follows this issue by e-mail: they gave an address on the public form."""
    return issue.source == Source.CUSTOMER_FORM and bool(issue.customer_id and issue.customer.email)


def _queue_tracking_link(issue: HotIssue, *, reason: str, key: str) -> TrackingLinkEmail | None:
    """Queue one e-mail of the tracking link to the customer, once per `key`; None when it was queued before."""
    message, created = TrackingLinkEmail.objects.get_or_create(
        dedupe_key=key, defaults={"issue": issue, "reason": reason}
    )
    if not created:
        return None
    enqueue(SEND_TRACKING_LINKS_TASK, args=[message.pk])
    return message


def _tell_customer_of_new_owner(issue: HotIssue, event: IssueEvent) -> None:
    if tells_customer(issue):
        _queue_tracking_link(
            issue, reason=TrackingLinkEmail.Reason.NEW_OWNER, key=f"tracking-link-{issue.pk}-event-{event.pk}"
        )


def _index_for_search(issue: HotIssue) -> None:
    """Store the issue's search document (PostgreSQL only; SQLite searches with LIKE)."""
    if connection.vendor != "postgresql":
        return
    HotIssue.objects.filter(pk=issue.pk).update(
        search_vector=_search_document(Value(issue.title), Value(_search_who(issue.customer)), Value(issue.words))
    )


def _index_many_for_search(issues: list[HotIssue]) -> None:
    """Store the search documents of many new issues with one statement (PostgreSQL only)."""
    if connection.vendor != "postgresql" or not issues:
        return
    # The same document as _index_for_search, compiled once, with the customer text passed per row.
    query = HotIssue.objects.filter(pk=0).annotate(
        document=_search_document(F("title"), RawSQL("batch.who", ()), F("words"))
    )
    compiler = query.query.get_compiler(connection=connection)
    document, params = compiler.compile(query.query.annotations["document"])
    table = connection.ops.quote_name(HotIssue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is quoted by the backend and the document compiled by the ORM;
            # every value is a parameter.
            f"UPDATE {table} SET search_vector = {document} "  # noqa: S608
            f"FROM unnest(%s::bigint[], %s::text[]) AS batch(id, who) WHERE {table}.id = batch.id",
            [*params, [issue.pk for issue in issues], [_search_who(issue.customer) for issue in issues]],
        )


# ---------------------------------------------------------------- creating


def _check_new_issue(*, program: Program, title: str, level, department: Department | None) -> tuple[str, int]:
    """Return the cleaned title and level of a new issue, or raise ValidationError."""
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = TITLE_REQUIRED
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        errors["level"] = BAD_LEVEL
    if department is not None and department.program_id != program.pk:
        errors["department"] = DEPARTMENT_OTHER_PROGRAM
    if errors:
        raise ValidationError(errors)
    return title, level


def _owner_of_new_issues(*, program: Program, owner: AbstractBaseUser | None) -> AbstractBaseUser:
    if owner is None:
        owner = default_owner(program=program)
        if owner is None:
            raise ValidationError(NO_OWNER, code="no_owner")
    else:
        _require_owner_member(program, owner)
    return owner


def _new_customer(*, program: Program, name: str, email: str, phone: str, company: str) -> Customer | None:
    """Return the unsaved customer described by these details, or None when there are none."""
    if not any([name, email, phone, company]):
        return None
    return Customer(
        program=program, name=name.strip(), email=email.strip(), phone=phone.strip(), company=company.strip()
    )


def _new_issue(
    *,
    program: Program,
    actor,
    settings: IssueSettings,
    customer: Customer | None,
    title: str,
    words: str,
    source: str,
    source_url: str,
    level: int,
    public: bool,
    owner: AbstractBaseUser,
    department: Department | None,
    created_at: datetime,
    occurred_at: datetime | None = None,
) -> HotIssue:
    """Build an issue received at `created_at`: its first-contact target counts from then, whatever `occurred_at` says."""
    return HotIssue(
        program=program,
        customer=customer,
        title=title,
        words=(words or "").strip(),
        source=source,
        source_url=source_url or "",
        level=level,
        public=bool(public),
        owner=owner,
        department=department,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=created_at,
        occurred_at=occurred_at,
        first_outreach_due_at=created_at + settings.target_for(level),
    )


def _created_summary(issue: HotIssue, actor, owner: AbstractBaseUser) -> str:
    origin = f"by {display_name(actor)}" if issue.created_by else f"from {issue.get_source_display().lower()}"
    return f"Logged {origin}; owner {display_name(owner)}"


@transaction.atomic
def create_issue(
    *,
    program: Program,
    actor: AbstractBaseUser | None,
    title: str,
    level: int,
    words: str = "",
    source: str = Source.STAFF,
    source_url: str = "",
    public: bool = False,
    owner: AbstractBaseUser | None = None,
    department: Department | None = None,
    customer: Customer | None = None,
    customer_name: str = "",
    customer_email: str = "",
    customer_phone: str = "",
    customer_company: str = "",
    created_at: datetime | None = None,
    occurred_at: datetime | None = None,
) -> HotIssue:
    """Log a hot issue; the owner defaults to the current advocate (or cover), else a manager.

    `actor` is None for intake that has no signed-in person (public form, feeds, imports).
    `created_at` is when Baton received the issue (now, unless a demo or a test says
    otherwise); `occurred_at` is the date its source gave, kept for people to read.
    """
    if actor is not None:
        require_member(program=program, actor=actor)
    title, level = _check_new_issue(program=program, title=title, level=level, department=department)
    owner = _owner_of_new_issues(program=program, owner=owner)

    if customer is None:
        customer = _new_customer(
            program=program, name=customer_name, email=customer_email, phone=customer_phone, company=customer_company
        )
        if customer is not None:
            customer.full_clean()
            customer.save()

    created_at = created_at or timezone.now()
    issue = _new_issue(
        program=program,
        actor=actor,
        settings=issue_settings(program=program),
        customer=customer,
        title=title,
        words=words,
        source=source,
        source_url=source_url,
        level=level,
        public=public,
        owner=owner,
        department=department,
        created_at=created_at,
        occurred_at=occurred_at,
    )
    _save(issue, actor, "Created")
    _index_for_search(issue)
    _event(issue, IssueEvent.Kind.CREATED, actor, _created_summary(issue, actor, owner), at=created_at)
    notices.tell_owner_of_angry_customer(issue)
    return issue


TITLE_FROM_WORDS_MAX = 80


def title_from_words(words: str, *, limit: int = TITLE_FROM_WORDS_MAX) -> str:
    """Return a title a person can scan, made of the customer's own words: cut at a word, never mid-word.

    Whitespace (line breaks too) is folded to single spaces. Words longer than the
    limit are the only ones ever cut, and then with an ellipsis.
    """
    text = " ".join((words or "").split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:-–—") + "…"


# The foreign keys create_issues_in_bulk checks once for all the issues rather than once per issue.
_CHECKED_ONCE = ["program", "customer", "owner", "department", "created_by"]


@transaction.atomic
def create_issues_in_bulk(
    *,
    program: Program,
    actor: AbstractBaseUser | None,
    source: str,
    issues: Iterable[dict],
    batch_size: int = 5000,
) -> int:
    """Log many hot issues at once, exactly as create_issue would one by one; return how many.

    Each item of `issues` holds the arguments create_issue takes for one issue
    (title, level, words, customer_name, customer_email, customer_phone,
    customer_company, occurred_at). Each is received now: its term and its
    first-contact target count from this moment, not from the date its source
    gave (`occurred_at`), so old survey answers never land in a closed term or
    arrive already overdue. Every issue goes to the program's default
    owner, with no department. The rules are create_issue's; what it checks per
    issue against the database (membership, the owner, the level's range) is
    checked once here. All or nothing: if an item breaks a rule, ValidationError
    names it by its position, {"3": [messages]}, and nothing is written.
    """
    if actor is not None:
        require_member(program=program, actor=actor)
    owner = _owner_of_new_issues(program=program, owner=None)
    rules = issue_settings(program=program)
    now = timezone.now()
    history_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    summary = None
    count = 0
    batches = iter(issues)
    while batch := list(islice(batches, batch_size)):
        errors, customers, new = {}, [], []
        for index, item in enumerate(batch, start=count):
            try:
                title, level = _check_new_issue(
                    program=program, title=item.get("title", ""), level=item.get("level"), department=None
                )
                customer = _new_customer(
                    program=program,
                    name=item.get("customer_name", ""),
                    email=item.get("customer_email", ""),
                    phone=item.get("customer_phone", ""),
                    company=item.get("customer_company", ""),
                )
                if customer is not None:
                    customer.full_clean(exclude=["program"])
                issue = _new_issue(
                    program=program,
                    actor=actor,
                    settings=rules,
                    customer=customer,
                    title=title,
                    words=item.get("words", ""),
                    source=source,
                    source_url="",
                    level=level,
                    public=False,
                    owner=owner,
                    department=None,
                    created_at=item.get("created_at") or now,
                    occurred_at=item.get("occurred_at"),
                )
                issue.full_clean(
                    exclude=["search_vector", "tracking_token", *_CHECKED_ONCE],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as error:
                errors[str(index)] = error.messages
                continue
            if customer is not None:
                customers.append(customer)
            new.append(issue)
        if errors:
            raise ValidationError(errors)
        Customer.objects.bulk_create(customers)
        bulk_create_with_history(
            new, HotIssue, default_user=history_user, default_change_reason="Created", default_date=now
        )
        _index_many_for_search(new)
        summary = summary or _created_summary(new[0], actor, owner)
        IssueEvent.objects.bulk_create(
            IssueEvent(
                issue=issue,
                kind=IssueEvent.Kind.CREATED,
                actor=history_user,
                at=issue.created_at,
                summary=summary[:300],
            )
            for issue in new
        )
        notices.tell_owner_of_angry_customers_in_bulk(new)
        count += len(new)
    return count


# ---------------------------------------------------------------- working an issue


def default_next_attempt(*, now: datetime | None = None) -> datetime:
    """Return when a quick outreach suggests trying again: a day from now, on the minute, in the active zone."""
    local = timezone.localtime(now or timezone.now())
    return (local + NEXT_ATTEMPT_AFTER).replace(second=0, microsecond=0)


@transaction.atomic
def log_outreach(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    channel: str,
    outcome: str,
    note: str = "",
    at: datetime | None = None,
    next_attempt_due_at: datetime | None = None,
) -> Outreach:
    """Record one attempt to reach the customer; the first one stops the overdue clock."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    now = timezone.now()
    at = at or now
    errors = {}
    if at > now + timedelta(minutes=5):
        errors["at"] = OUTREACH_IN_FUTURE
    if next_attempt_due_at is not None and next_attempt_due_at <= now:
        errors["next_attempt_due_at"] = NEXT_ATTEMPT_IN_PAST
    if errors:
        raise ValidationError(errors)
    attempt = issue.outreach.count() + 1
    outreach = Outreach(
        issue=issue,
        by=actor,
        at=at,
        channel=channel,
        attempt=attempt,
        outcome=outcome,
        note=(note or "").strip(),
        next_attempt_due_at=next_attempt_due_at,
    )
    outreach.full_clean()
    outreach.save()
    if issue.first_outreach_at is None or at < issue.first_outreach_at:
        issue.first_outreach_at = at
    issue.last_contact_at = max(filter(None, [issue.last_contact_at, at]))
    issue.next_attempt_due_at = next_attempt_due_at
    if issue.status == Status.NEW:
        issue.status = Status.CONTACTED
    _save(issue, actor, f"Outreach attempt {attempt}")
    summary = f"Attempt {attempt} by {outreach.get_channel_display().lower()}: {outreach.get_outcome_display()}"
    if next_attempt_due_at:
        summary += f"; next attempt due {format_moment(next_attempt_due_at, issue.program.zone)}"
    _event(issue, IssueEvent.Kind.OUTREACH, actor, summary, outreach.note, at=at)
    return outreach


def status_change_error(*, issue: HotIssue, status: str) -> ValidationError | None:
    """Return why change_status() would refuse to set `issue` to `status`, or None when it would not."""
    if status == Status.RESOLVED:
        return ValidationError({"status": USE_RESOLVE})
    current = Status(issue.status)
    if status in next_statuses(current):
        return None
    if not issue.is_open:
        return ValidationError(ISSUE_CLOSED, code="closed")
    label = Status(status).label if status in Status.values else status
    return ValidationError(
        {"status": ValidationError(BAD_TRANSITION, params={"current": current.label, "target": label})}
    )


def owner_change_error(*, issue: HotIssue, owner: AbstractBaseUser) -> ValidationError | None:
    """Return why reassign() would refuse to give `issue` to `owner`, or None when it would not."""
    if owner.pk == issue.owner_id:
        return ValidationError({"owner": ValidationError(SAME_OWNER, params={"name": display_name(owner)})})
    try:
        _require_owner_member(issue.program, owner)
    except ValidationError as error:
        return error
    return None


@transaction.atomic
def change_status(*, issue: HotIssue, actor: AbstractBaseUser, status: str, note: str = "") -> HotIssue:
    """Move an open issue along new → contacted → in progress, or close it as unreachable."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    error = status_change_error(issue=issue, status=status)
    if error is not None:
        raise error
    current = Status(issue.status)
    issue.status = status
    if status == Status.UNREACHABLE:
        issue.resolved_at = timezone.now()
        issue.resolved_by = actor
        issue.next_attempt_due_at = None
    _save(issue, actor, f"Status {current.label} → {Status(status).label}")
    _event(issue, IssueEvent.Kind.STATUS, actor, f"Status: {current.label} → {Status(status).label}", note)
    return issue


@transaction.atomic
def transfer_issue(
    *,
    issue: HotIssue,
    actor: AbstractBaseUser,
    reason: str,
    to_department: Department | None = None,
    to_owner: AbstractBaseUser | None = None,
) -> Transfer:
    """Pass an issue to another department and/or person; flag the runaround."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = TRANSFER_REASON_REQUIRED
    if to_department is not None and to_department.program_id != issue.program_id:
        errors["to_department"] = DEPARTMENT_OTHER_PROGRAM
    if to_owner is not None and not Membership.objects.filter(program=issue.program, user=to_owner).exists():
        errors["to_owner"] = OWNER_NOT_MEMBER
    changes_department = to_department is not None and to_department.pk != issue.department_id
    changes_owner = to_owner is not None and to_owner.pk != issue.owner_id
    if not errors and not (changes_department or changes_owner):
        errors["__all__"] = TRANSFER_NOTHING
    if errors:
        raise ValidationError(errors)

    left_before = set(
        Transfer.objects.filter(issue=issue, from_department__isnull=False).values_list("from_department_id", flat=True)
    )
    transfer = Transfer.objects.create(
        issue=issue,
        from_department=issue.department,
        to_department=to_department if changes_department else issue.department,
        from_owner=issue.owner,
        to_owner=to_owner if changes_owner else issue.owner,
        reason=reason,
        by=actor,
    )
    issue.transfer_count += 1
    threshold = issue_settings(program=issue.program).runaround_transfers
    bounced_back = changes_department and to_department.pk in left_before
    was_runaround = issue.runaround
    if issue.transfer_count >= threshold or bounced_back:
        issue.runaround = True
    parts = []
    if changes_department:
        parts.append(f"{issue.department or 'no department'} → {to_department}")
        issue.department = to_department
    if changes_owner:
        parts.append(f"{display_name(issue.owner)} → {display_name(to_owner)}")
        issue.owner = to_owner
    _save(issue, actor, "Transferred")
    summary = "Transferred: " + "; ".join(parts)
    if issue.runaround:
        why = "sent back to a department it already left" if bounced_back else f"{issue.transfer_count} transfers"
        summary += f" — runaround ({why})"
    event = _event(issue, IssueEvent.Kind.TRANSFER, actor, summary, reason, at=transfer.at)
    if issue.runaround and not was_runaround:
        notices.tell_managers_of_runaround(issue, transfers=issue.transfer_count)
    if changes_owner:
        _tell_customer_of_new_owner(issue, event)
    return transfer


@transaction.atomic
def reassign(*, issue: HotIssue, actor: AbstractBaseUser, owner: AbstractBaseUser, note: str = "") -> HotIssue:
    """Give the issue a new named owner in the same department (not counted as a transfer)."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    error = owner_change_error(issue=issue, owner=owner)
    if error is not None:
        raise error
    previous = issue.owner
    issue.owner = owner
    _save(issue, actor, "Reassigned")
    event = _event(
        issue, IssueEvent.Kind.REASSIGNED, actor, f"Owner: {display_name(previous)} → {display_name(owner)}", note
    )
    _tell_customer_of_new_owner(issue, event)
    return issue


@transaction.atomic
def resolve(*, issue: HotIssue, actor: AbstractBaseUser, resolution: str, satisfaction: int | None = None) -> HotIssue:
    """Resolve an open issue with what was done; the customer is then asked how satisfied they are."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if not issue.is_open:
        raise ValidationError(ISSUE_CLOSED, code="closed")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": RESOLUTION_REQUIRED})
    if satisfaction is not None and satisfaction not in range(1, 6):
        raise ValidationError({"satisfaction": BAD_SATISFACTION})
    now = timezone.now()
    issue.status = Status.RESOLVED
    issue.resolution = resolution
    issue.resolved_at = now
    issue.resolved_by = actor
    issue.next_attempt_due_at = None
    if satisfaction is not None:
        issue.satisfaction = satisfaction
        issue.satisfaction_at = now
    _save(issue, actor, "Resolved")
    _event(issue, IssueEvent.Kind.RESOLVED, actor, f"Resolved by {display_name(actor)}", resolution, at=now)
    if issue.customer_id and issue.customer.email and issue.satisfaction is None:
        enqueue("issues.tasks.ask_satisfaction", args=[issue.pk])
    return issue


@transaction.atomic
def reopen(*, issue: HotIssue, actor: AbstractBaseUser, reason: str) -> HotIssue:
    """Bring a resolved or closed issue back into the log."""
    require_member(program=issue.program, actor=actor)
    issue = _locked(issue)
    if issue.status not in CLOSED_STATUSES:
        raise ValidationError(ISSUE_NOT_CLOSED, code="not_closed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REOPEN_REASON_REQUIRED})
    issue.status = Status.IN_PROGRESS if issue.first_outreach_at else Status.NEW
    issue.resolved_at = None
    issue.resolved_by = None
    issue.satisfaction = None
    issue.satisfaction_at = None
    issue.satisfaction_asked_at = None
    _save(issue, actor, "Reopened")
    _event(issue, IssueEvent.Kind.REOPENED, actor, f"Reopened by {display_name(actor)}", reason)
    return issue


@transaction.atomic
def record_satisfaction(*, issue: HotIssue, score: int) -> HotIssue:
    """Store the customer's answer to "how satisfied are you now?" (once)."""
    issue = _locked(issue)
    if issue.status != Status.RESOLVED:
        raise ValidationError(NOT_RESOLVED_YET, code="not_resolved")
    if issue.satisfaction is not None:
        raise ValidationError(ALREADY_ANSWERED, code="answered")
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in range(1, 6):
        raise ValidationError({"satisfaction": BAD_SATISFACTION})
    issue.satisfaction = score
    issue.satisfaction_at = timezone.now()
    _save(issue, None, "Customer satisfaction")
    _event(issue, IssueEvent.Kind.SATISFACTION, None, f"The customer rated their satisfaction {score} of 5")
    return issue


# ---------------------------------------------------------------- handoff


def move_issues_on_handoff(
    *, program: Program, outgoing: AbstractBaseUser | None, incoming: AbstractBaseUser | None, at: datetime
) -> list[int]:
    """Move every open issue of the outgoing advocate to the incoming one; return the ids of the issues moved.

    A fixed number of queries whatever the number of issues: one SELECT of the rows,
    one UPDATE, one bulk INSERT of timeline events and one of history rows; and
    when some of the customers follow their issue by e-mail, three more to queue
    each of them one e-mail with their new advocate and link (once per issue and
    handoff, so a handoff run again sends nothing twice).
    The rows are locked so a concurrent edit cannot slip between them.
    Runs inside the caller's (the handoff's) transaction.
    """
    if outgoing is None or incoming is None or outgoing.pk == incoming.pk:
        return []
    history_model = HotIssue.history.model
    own_fields = {f.attname for f in HotIssue._meta.fields}
    fields = [f.attname for f in history_model._meta.fields if f.attname in own_fields]
    open_values = list(
        HotIssue.objects.select_for_update(of=("self",))
        .filter(OPEN_Q, program=program, owner=outgoing)
        .values(*fields, "customer__email")
    )
    if not open_values:
        return []
    ids = [values["id"] for values in open_values]
    followed = [
        values["id"]
        for values in open_values
        if values.pop("customer__email") and values["source"] == Source.CUSTOMER_FORM
    ]
    HotIssue.objects.filter(pk__in=ids).update(owner=incoming)
    summary = f"Handoff: {display_name(outgoing)} → {display_name(incoming)}"
    IssueEvent.objects.bulk_create(
        [IssueEvent(issue_id=pk, kind=IssueEvent.Kind.HANDOFF, at=at, summary=summary) for pk in ids]
    )
    rows = [
        history_model(
            **{**values, "owner_id": incoming.pk},
            history_date=at,
            history_type="~",
            history_change_reason="Handoff",
            history_user=None,
        )
        for values in open_values
    ]
    history_model.objects.bulk_create(rows)
    if followed:
        _queue_handoff_links(followed, incoming=incoming, at=at)
    return ids


def _queue_handoff_links(issue_ids: list[int], *, incoming: AbstractBaseUser, at: datetime) -> None:
    """Queue one tracking-link e-mail per handed-off issue, in three queries; skip those this handoff queued already."""
    keys = {pk: f"tracking-link-{pk}-handoff-{incoming.pk}-{at.isoformat()}" for pk in issue_ids}
    known = set(TrackingLinkEmail.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    messages = TrackingLinkEmail.objects.bulk_create(
        [
            TrackingLinkEmail(issue_id=pk, reason=TrackingLinkEmail.Reason.NEW_OWNER, dedupe_key=key, created_at=at)
            for pk, key in keys.items()
            if key not in known
        ]
    )
    if messages:
        enqueue(SEND_TRACKING_LINKS_TASK, args=[message.pk for message in messages])


# ---------------------------------------------------------------- intake


@transaction.atomic
def submit_public_form(
    *,
    program: Program,
    address: str,
    what_happened: str,
    level: int,
    summary: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    honeypot: str = "",
    now: datetime | None = None,
) -> HotIssue | None:
    """Create a hot issue from the public form, limited per program and address.

    The count and the new attempt are serialised per program and address, so
    thirty submissions at the same instant still let only the limit through.
    `honeypot` is the form's field hidden from people: when a bot has filled
    it in, nothing is stored or counted and None is returned (the bot is told
    all went well). `summary`, the customer's own few words, is the issue's
    title. A customer who gave an e-mail address is sent their tracking link
    and their advocate's name once this commits.
    """
    if honeypot:
        return None
    now = now or timezone.now()
    lock_for_transaction(f"intake:{program.pk}:{address}")
    recent = IntakeAttempt.objects.filter(program=program, address=address, at__gte=now - PUBLIC_FORM_WINDOW).count()
    if recent >= PUBLIC_FORM_LIMIT:
        raise ValidationError(RATE_LIMITED, code="rate_limited")
    errors = {}
    what_happened = (what_happened or "").strip()
    if not what_happened:
        errors["what_happened"] = PUBLIC_WORDS_REQUIRED
    summary = " ".join((summary or "").split())
    if not summary:
        errors["summary"] = PUBLIC_SUMMARY_REQUIRED
    elif len(summary) > PUBLIC_SUMMARY_MAX:
        errors["summary"] = ValidationError(PUBLIC_SUMMARY_TOO_LONG, params={"limit": PUBLIC_SUMMARY_MAX})
    if not (email or "").strip() and not (phone or "").strip():
        errors["email"] = CONTACT_REQUIRED
    if errors:
        raise ValidationError(errors)
    IntakeAttempt.objects.create(program=program, address=address, at=now)
    issue = create_issue(
        program=program,
        actor=None,
        title=summary,
        words=what_happened,
        level=level,
        source=Source.CUSTOMER_FORM,
        customer_name=name,
        customer_email=email,
        customer_phone=phone,
    )
    if tells_customer(issue):
        _queue_tracking_link(issue, reason=TrackingLinkEmail.Reason.RECEIVED, key=f"tracking-link-{issue.pk}-received")
    return issue


@transaction.atomic
def add_customer_note(*, issue: HotIssue, text: str, now: datetime | None = None) -> IssueEvent:
    """Add what the customer wrote on their tracking page to the issue's timeline, and tell the owner.

    Limited per issue (that is, per tracking link): the count and the new note
    are serialised by the issue's row lock.
    """
    issue = _locked(issue)
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"information": CUSTOMER_NOTE_REQUIRED})
    if len(text) > CUSTOMER_NOTE_MAX:
        raise ValidationError(
            {"information": ValidationError(CUSTOMER_NOTE_TOO_LONG, params={"limit": CUSTOMER_NOTE_MAX})}
        )
    recent = issue.events.filter(kind=IssueEvent.Kind.CUSTOMER_NOTE, at__gte=now - CUSTOMER_NOTE_WINDOW).count()
    if recent >= CUSTOMER_NOTE_LIMIT:
        raise ValidationError(CUSTOMER_NOTES_LIMITED, code="rate_limited")
    event = _event(issue, IssueEvent.Kind.CUSTOMER_NOTE, None, "The customer added information", text, at=now)
    notices.tell_owner_of_customer_note(issue, event)
    return event


@transaction.atomic
def promote_mention(
    *, mention: Mention, actor: AbstractBaseUser, level: int, public: bool = True, title: str = ""
) -> HotIssue:
    """Turn a web mention into a hot issue."""
    require_member(program=mention.program, actor=actor)
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    if mention.state != Mention.State.NEW:
        raise ValidationError(MENTION_DECIDED, code="decided")
    link, words = mention.link, mention.snippet
    try:
        URLValidator(schemes=["http", "https"])(link)
        if len(link) > HotIssue._meta.get_field("source_url").max_length:
            raise ValidationError("too long")
    except ValidationError:
        # Keep an odd or very long link in the words rather than lose it.
        link, words = "", f"{words}\n\n{mention.link}".strip()
    issue = create_issue(
        program=mention.program,
        actor=actor,
        title=(title or mention.title)[:200],
        words=words,
        level=level,
        source=Source.WEB_MENTION,
        source_url=link,
        public=public,
    )
    mention.state = Mention.State.PROMOTED
    mention.issue = issue
    mention.decided_by = actor
    mention.save(update_fields=["state", "issue", "decided_by"])
    return issue


@transaction.atomic
def dismiss_mention(*, mention: Mention, actor: AbstractBaseUser) -> Mention:
    require_member(program=mention.program, actor=actor)
    mention = Mention.objects.select_for_update().get(pk=mention.pk)
    if mention.state != Mention.State.NEW:
        raise ValidationError(MENTION_DECIDED, code="decided")
    mention.state = Mention.State.DISMISSED
    mention.decided_by = actor
    mention.save(update_fields=["state", "decided_by"])
    return mention


def _feed_fields(*, name: str, url: str) -> tuple[str, str]:
    """Return the feed's name and address stripped, or raise the form's messages for what is wrong.

    The one check of a feed address, for adding and editing: only http(s), and
    nothing on this machine or a private network (the poller refuses those too).
    """
    name, url = (name or "").strip(), (url or "").strip()
    errors = {}
    if not name:
        errors["name"] = FEED_NAME_REQUIRED
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = FEED_HTTP_ONLY
    elif url and private_literal(url):
        errors["url"] = FEED_NOT_PUBLIC
    if errors:
        raise ValidationError(errors)
    return name, url


@transaction.atomic
def add_mention_feed(
    *, program: Program, actor: AbstractBaseUser, name: str, url: str, is_active: bool = True
) -> MentionFeed:
    """Add an RSS/Atom feed of web mentions to poll; only a feed on the public internet."""
    require_manager(program=program, actor=actor)
    name, url = _feed_fields(name=name, url=url)
    feed = MentionFeed(program=program, name=name, url=url, is_active=is_active)
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def edit_mention_feed(
    *, feed: MentionFeed, actor: AbstractBaseUser, name: str, url: str, is_active: bool | None = None
) -> MentionFeed:
    """Rename a feed or change its address (and, if given, pause or resume it).

    A new address is a new feed to the poller: its caching headers and its
    last error belong to the old one and are cleared, so the next poll starts afresh.
    """
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    name, url = _feed_fields(name=name, url=url)
    if url != feed.url:
        feed.etag = feed.modified = feed.last_error = ""
        feed.failures = 0
        feed.last_polled_at = feed.last_ok_at = None
    feed.name, feed.url = name, url
    if is_active is not None:
        feed.is_active = is_active
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def pause_mention_feed(*, feed: MentionFeed, actor: AbstractBaseUser, paused: bool) -> MentionFeed:
    """Pause a feed (the periodic poll skips it) or resume it; its mentions stay as they are."""
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.is_active == paused:
        feed.is_active = not paused
        feed.save(update_fields=["is_active"])
    return feed


@transaction.atomic
def remove_mention_feed(*, feed: MentionFeed, actor: AbstractBaseUser) -> int:
    """Remove a feed and the mentions still waiting for triage; return how many of those went.

    Issues made from its mentions stay, and so do the mentions already turned
    into issues or dismissed (kept without their feed), so the health figures
    of past terms do not change.
    """
    require_manager(program=feed.program, actor=actor)
    feed = MentionFeed.objects.select_for_update().get(pk=feed.pk)
    dropped, _ = Mention.objects.filter(feed=feed, state=Mention.State.NEW).delete()
    Mention.objects.filter(feed=feed).update(feed=None)
    feed.delete()
    return dropped


POLL_FEED_TASK = "issues.tasks.poll_mention_feed"
# A poll asked for this recently (or still waiting for the broker) is not queued again.
POLL_AGAIN_AFTER = timedelta(minutes=1)


@transaction.atomic
def request_feed_poll(*, feed: MentionFeed, actor: AbstractBaseUser) -> bool:
    """Queue a poll of one feed now, on the worker; return False if one is already on its way.

    The fetch may take many seconds: a web request never waits for it.
    """
    require_member(program=feed.program, actor=actor)
    if not feed.is_active:
        raise ValidationError(FEED_PAUSED, code="paused")
    if (feed.pk,) in queued_args(POLL_FEED_TASK, since=timezone.now() - POLL_AGAIN_AFTER):
        return False
    enqueue(POLL_FEED_TASK, args=[feed.pk])
    return True


# ---------------------------------------------------------------- imports


@transaction.atomic
def start_import(*, program: Program, actor: AbstractBaseUser, kind: str, filename: str, content: str) -> ImportJob:
    """Store a CSV of mystery-shop visits or survey responses and queue its import once this commits."""
    require_member(program=program, actor=actor)
    errors = {}
    if kind not in ImportJob.Kind.values:
        errors["kind"] = IMPORT_KIND_REQUIRED
    if not (content or "").strip():
        errors["file"] = IMPORT_EMPTY
    if errors:
        raise ValidationError(errors)
    job = ImportJob.objects.create(
        program=program, kind=kind, filename=single_line(filename)[:255], content=content, created_by=actor
    )
    # Through the outbox: a broker that is down delays the import, never loses it.
    enqueue("issues.tasks.run_import", args=[job.pk])
    return job


# ---------------------------------------------------------------- settings


@transaction.atomic
def save_issue_settings(*, program: Program, actor: AbstractBaseUser, **values) -> IssueSettings:
    """Change a program's response targets, runaround threshold or import threshold.

    Open issues keep the first-outreach due time they were given when logged.
    """
    require_manager(program=program, actor=actor)
    settings_row, _ = IssueSettings.objects.select_for_update().get_or_create(program=program)
    for key, value in values.items():
        setattr(settings_row, key, value)
    settings_row.full_clean()
    settings_row.save()
    return settings_row


@transaction.atomic
def add_department(*, program: Program, actor: AbstractBaseUser, name: str) -> Department:
    require_manager(program=program, actor=actor)
    name = (name or "").strip()
    if Department.objects.filter(program=program, name__iexact=name).exists():
        raise ValidationError({"name": ValidationError(DEPARTMENT_EXISTS, params={"name": name})})
    department = Department(program=program, name=name)
    department.full_clean()
    department.save()
    return department
