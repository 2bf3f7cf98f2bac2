"""Creating issues: one at a time, and in bulk for imports."""

from collections.abc import Iterable
from datetime import datetime
from itertools import islice

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from advocacy.models import Program
from advocacy.permissions import require_member
from advocacy.selectors import display_name

from .. import hooks, notices
from ..models import (
    Customer,
    Department,
    HotIssue,
    IssueEvent,
    IssueSettings,
    Level,
    Source,
)
from .common import (
    BAD_LEVEL,
    DEPARTMENT_OTHER_PROGRAM,
    NO_OWNER,
    TITLE_REQUIRED,
    _event,
    _index_for_search,
    _index_many_for_search,
    _require_owner_member,
    _save,
    default_owner,
    issue_settings,
)
from .customers import find_or_make_customer, mark_at_risk, match_customers_in_bulk, set_repeat_flags


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
        details = _new_customer(
            program=program, name=customer_name, email=customer_email, phone=customer_phone, company=customer_company
        )
        if details is not None:
            details.full_clean()
        # The program's customer of the same e-mail or phone, else a new one (services.customers).
        customer = find_or_make_customer(program=program, details=details)

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
    if customer is not None:
        set_repeat_flags(customer_new_issues={customer.pk: [issue]})
        if level == Level.LEAVING:
            mark_at_risk(customer_ids=[customer.pk])
            customer.at_risk = True
    _save(issue, actor, "Created")
    _index_for_search(issue)
    _event(issue, IssueEvent.Kind.CREATED, actor, _created_summary(issue, actor, owner), at=created_at)
    notices.tell_owner_of_angry_customer(issue)
    if issue.level in notices.ANGRY_LEVELS:
        hooks.alert(hooks.IssueAlert(kind=hooks.NEW_ANGRY, program=program, issue=issue, at=created_at))
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
    count = angry = 0
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
            customers.append(customer)
            new.append(issue)
        if errors:
            raise ValidationError(errors)
        # One query matches the batch's customers to the program's (services.customers); new ones are saved.
        by_customer = {}
        for issue, customer in zip(new, match_customers_in_bulk(program=program, details=customers), strict=True):
            issue.customer = customer
            if customer is not None:
                by_customer.setdefault(customer.pk, []).append(issue)
        set_repeat_flags(customer_new_issues=by_customer)
        mark_at_risk(customer_ids=[i.customer_id for i in new if i.level == Level.LEAVING])
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
        angry += sum(1 for issue in new if issue.level in notices.ANGRY_LEVELS)
        count += len(new)
    if angry:
        hooks.alert(hooks.IssueAlert(kind=hooks.ANGRY_IMPORTED, program=program, at=now, count=angry))
    return count
