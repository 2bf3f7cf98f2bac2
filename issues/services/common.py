"""Messages, the status table and the helpers every section shares."""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone

from advocacy.models import Membership, Program
from core.outbox import enqueue
from rotations.selectors import current_advocate

from ..models import (
    Customer,
    HotIssue,
    IssueEvent,
    IssueSettings,
    Source,
    Status,
    TrackingLinkEmail,
)

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
