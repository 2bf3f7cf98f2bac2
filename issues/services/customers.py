"""One customer, one timeline: matching a new issue's customer, the repeat and at-risk flags, merging.

Matching. Whatever way an issue arrives (the page's form, the public form, an
import, a mention, a webhook, an e-mail), its customer is the program's
customer with the same e-mail key, else the same phone key (issues.models:
`email_key` trims and lower-cases, keeping +tags and dots, which name other
mailboxes on most servers; `phone_key` keeps the digits and a leading +). A
name alone matches nobody: two people share a name more often than an
address. Details the customer lacked are filled in (a name learnt later),
never overwritten. Records merged into another are never matched. Existing
duplicates are left as they are; a manager merges them.

Flags, stored so the log reads them as plain columns: an issue is a *repeat*
when its customer had another issue within REPEAT_WINDOW before it (ties by
arrival); a customer is *at risk* once they have an issue of level 5, or two
satisfaction answers of AT_RISK_SCORE or less within AT_RISK_ANSWERS_WITHIN of
each other. The services that change what they depend on (creating, merging,
satisfaction answers, reopening) keep them; `refresh_customer_flags` rebuilds
them for any customers.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from advocacy.models import Program
from advocacy.permissions import acting_person, require_manager
from core.locks import lock_many_for_transaction

from ..models import (
    AT_RISK_ANSWERS_WITHIN,
    AT_RISK_SCORE,
    REPEAT_WINDOW,
    Customer,
    CustomerMerge,
    HotIssue,
    IssueEvent,
    Level,
)
from .common import _event, _index_many_for_search

MERGE_ITSELF = "A customer cannot be merged into itself. Choose the other record."
MERGE_OTHER_PROGRAM = "Only customers of the same program can be merged."
MERGE_ALREADY_MERGED = "%(name)s was already merged into another customer. Open that one instead."
MERGE_NOT_FOUND = "There is no customer with that number in this program."
MERGE_CONFIRM = "Confirm the merge once you have checked what will move."

# The contact details filled in when the customer lacked them; the key each one is matched on.
CONTACT_FIELDS = ("name", "company", "email", "phone")
KEY_OF = {"email": "email_key", "phone": "phone_key"}


def _lock_keys(program_id: int, customers: Iterable[Customer]) -> None:
    """Serialise matching on these customers' keys (two deliveries of one address make one customer)."""
    keys = []
    for customer in customers:
        if customer.email_key:
            keys.append(f"customer:{program_id}:e:{customer.email_key}")
        if customer.phone_key:
            keys.append(f"customer:{program_id}:p:{customer.phone_key}")
    lock_many_for_transaction(keys)


class _Matcher:
    """The program's customers found for a set of keys, by key; customers made meanwhile are added."""

    def __init__(self, program_id: int, wanted: list[Customer]):
        self.by_email: dict[str, Customer] = {}
        self.by_phone: dict[str, Customer] = {}
        emails = {c.email_key for c in wanted if c.email_key}
        phones = {c.phone_key for c in wanted if c.phone_key}
        if not emails and not phones:
            return
        q = Q()
        if emails:
            q |= Q(email_key__in=sorted(emails))
        if phones:
            q |= Q(phone_key__in=sorted(phones))
        found = Customer.objects.filter(q, program_id=program_id, merged_into__isnull=True).order_by("id")
        for customer in found:  # the oldest record of a key wins (duplicates from before matching stay)
            self.add(customer)

    def add(self, customer: Customer) -> None:
        if customer.email_key:
            self.by_email.setdefault(customer.email_key, customer)
        if customer.phone_key:
            self.by_phone.setdefault(customer.phone_key, customer)

    def match(self, wanted: Customer) -> Customer | None:
        return self.by_email.get(wanted.email_key) or self.by_phone.get(wanted.phone_key)

    def fill_blanks(self, customer: Customer, details: Customer) -> list[str]:
        """Copy the details `customer` lacks from `details`; return the fields changed.

        An e-mail or phone another customer already has is not copied (it would
        make two customers of one key).
        """
        changed = []
        for field in CONTACT_FIELDS:
            value = getattr(details, field)
            if not value or getattr(customer, field):
                continue
            key_field = KEY_OF.get(field)
            if key_field:
                key = getattr(details, key_field)
                holder = (self.by_email if field == "email" else self.by_phone).get(key)
                if key and holder is not None and holder is not customer:
                    continue
            setattr(customer, field, value)
            changed.append(field)
        if changed:
            customer.refresh_keys()
            changed += ["email_key", "phone_key"]
            self.add(customer)
        return changed


def find_or_make_customer(*, program: Program, details: Customer | None) -> Customer | None:
    """Return the program's customer these details (a checked, unsaved Customer) describe, saved.

    The existing customer of the same e-mail (else phone) key, with the details
    it lacked filled in; else `details` itself, saved as a new customer. None
    when there are no details. Call it inside `transaction.atomic`.
    """
    if details is None:
        return None
    details.refresh_keys()
    if not details.email_key and not details.phone_key:
        details.save()
        return details
    _lock_keys(program.pk, [details])
    matcher = _Matcher(program.pk, [details])
    customer = matcher.match(details)
    if customer is None:
        details.save()
        return details
    changed = matcher.fill_blanks(customer, details)
    if changed:
        customer.save(update_fields=changed)
    return customer


def match_customers_in_bulk(*, program: Program, details: list[Customer | None]) -> list[Customer | None]:
    """Return, for each of `details` (checked, unsaved Customers, or None), the customer it belongs to.

    One query finds the existing customers of every key in the batch; one
    writes the details they lacked; the new customers (one per person, however
    often they appear in the batch) are saved with one more. Call it inside
    `transaction.atomic`.
    """
    wanted = [d for d in details if d is not None]
    for d in wanted:
        d.refresh_keys()
    _lock_keys(program.pk, wanted)
    matcher = _Matcher(program.pk, wanted)
    existing = {c.pk for c in [*matcher.by_email.values(), *matcher.by_phone.values()]}
    result, new, changed_fields, changed = [], [], set(), {}
    for d in details:
        if d is None:
            result.append(None)
            continue
        customer = matcher.match(d) if (d.email_key or d.phone_key) else None
        if customer is None:
            new.append(d)
            matcher.add(d)
            result.append(d)
            continue
        fields = matcher.fill_blanks(customer, d)
        if fields and customer.pk in existing:
            changed_fields.update(fields)
            changed[customer.pk] = customer
        result.append(customer)
    if changed:
        Customer.objects.bulk_update(list(changed.values()), sorted(changed_fields))
    if new:
        Customer.objects.bulk_create(new)
    return result


# ---------------------------------------------------------------- flags


def _repeat_flags(rows: list[tuple]) -> dict:
    """Return {ref: is_repeat} for (ref, created_at, order) rows of one customer.

    In arrival order (created_at, then `order`), an issue is a repeat when the
    one before it came at most REPEAT_WINDOW earlier.
    """
    flags, previous = {}, None
    for ref, created_at, _ in sorted(rows, key=lambda row: (row[1], row[2])):
        flags[ref] = previous is not None and created_at - previous <= REPEAT_WINDOW
        previous = created_at
    return flags


def _write_repeat_changes(current: dict[int, bool], flags: dict) -> None:
    """Update the saved issues whose repeat flag changed (two statements at most)."""
    for value in (True, False):
        ids = [pk for pk, flag in flags.items() if isinstance(pk, int) and flag == value and current.get(pk) != value]
        if ids:
            HotIssue.objects.filter(pk__in=ids).update(is_repeat=value)


def set_repeat_flags(*, customer_new_issues: dict[int, list[HotIssue]]) -> None:
    """Set `is_repeat` on new, unsaved issues (by their customer's id), and fix the saved ones they change.

    One query reads the customers' saved issues; a saved issue that a new
    issue dated before it turns into a repeat (or not) is updated.
    """
    if not customer_new_issues:
        return
    saved = defaultdict(list)
    current = {}
    rows = HotIssue.objects.filter(customer_id__in=list(customer_new_issues)).values_list(
        "customer_id", "id", "created_at", "is_repeat"
    )
    for customer_id, pk, created_at, is_repeat in rows:
        saved[customer_id].append((pk, created_at, pk))
        current[pk] = is_repeat
    big = 2**63
    for customer_id, issues in customer_new_issues.items():
        unsaved = [(("new", i), issue.created_at, big + i) for i, issue in enumerate(issues)]
        flags = _repeat_flags(saved[customer_id] + unsaved)
        for i, issue in enumerate(issues):
            issue.is_repeat = flags[("new", i)]
        _write_repeat_changes(current, flags)


def _refresh_repeat(customer_ids: list[int]) -> None:
    rows = HotIssue.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", "id", "created_at", "is_repeat"
    )
    by_customer, current = defaultdict(list), {}
    for customer_id, pk, created_at, is_repeat in rows:
        by_customer[customer_id].append((pk, created_at, pk))
        current[pk] = is_repeat
    flags = {}
    for issues in by_customer.values():
        flags |= _repeat_flags(issues)
    _write_repeat_changes(current, flags)


def at_risk_of(rows: Iterable[tuple[int, int | None, datetime | None]]) -> bool:
    """Return whether a customer with these (level, satisfaction, answered at) issues is at risk."""
    low = []
    for level, satisfaction, answered_at in rows:
        if level == Level.LEAVING:
            return True
        if satisfaction is not None and satisfaction <= AT_RISK_SCORE and answered_at is not None:
            low.append(answered_at)
    low.sort()
    return any(later - earlier <= AT_RISK_ANSWERS_WITHIN for earlier, later in zip(low, low[1:], strict=False))


def _refresh_at_risk(customer_ids: list[int]) -> None:
    rows = HotIssue.objects.filter(
        Q(level=Level.LEAVING) | Q(satisfaction__lte=AT_RISK_SCORE), customer_id__in=customer_ids
    ).values_list("customer_id", "level", "satisfaction", "satisfaction_at")
    by_customer = defaultdict(list)
    for customer_id, *row in rows:
        by_customer[customer_id].append(row)
    risky = [pk for pk in customer_ids if at_risk_of(by_customer[pk])]
    Customer.objects.filter(pk__in=risky, at_risk=False).update(at_risk=True)
    Customer.objects.filter(pk__in=customer_ids, at_risk=True).exclude(pk__in=risky).update(at_risk=False)


def mark_at_risk(*, customer_ids: Iterable[int]) -> None:
    """Mark these customers at risk (they have just had an issue of level 5)."""
    ids = sorted(set(customer_ids) - {None})
    if ids:
        Customer.objects.filter(pk__in=ids, at_risk=False).update(at_risk=True)


@transaction.atomic
def refresh_customer_flags(*, customer_ids: Iterable[int]) -> None:
    """Rebuild the at-risk flag of these customers and the repeat flag of their issues from their issues.

    For every service that changes an issue's level, satisfaction answer or
    customer. A few queries, whatever the number of customers.
    """
    ids = sorted(set(customer_ids) - {None})
    if not ids:
        return
    _refresh_repeat(ids)
    _refresh_at_risk(ids)


# ---------------------------------------------------------------- merging


def merge_error(*, kept: Customer, merged: Customer) -> ValidationError | None:
    """Return why `merged` cannot be merged into `kept`, or None (the one check, for the page and the service)."""
    if kept.pk == merged.pk:
        return ValidationError(MERGE_ITSELF, code="itself")
    if kept.program_id != merged.program_id:
        return ValidationError(MERGE_OTHER_PROGRAM, code="other_program")
    for customer in (merged, kept):
        if customer.merged_into_id is not None:
            return ValidationError(MERGE_ALREADY_MERGED, code="merged", params={"name": str(customer)})
    return None


@transaction.atomic
def merge_customers(*, kept: Customer, merged: Customer, actor: AbstractBaseUser) -> CustomerMerge:
    """Merge customer `merged` into `kept`: its issues (with their timelines) move, its details fill blanks.

    The merged record stays, marked merged (its page sends to the kept one).
    Recorded as a CustomerMerge row, a "merged" event on the timeline, and a
    change in each moved issue's history. Refused, with nothing changed, for
    the same record, another program's, or one already merged.
    """
    require_manager(program=kept.program, actor=actor)
    if merged.program_id != kept.program_id:
        raise ValidationError(MERGE_OTHER_PROGRAM, code="other_program")
    locked = Customer.objects.select_for_update().in_bulk([kept.pk, merged.pk])
    kept, merged = locked.get(kept.pk, kept), locked.get(merged.pk, merged)
    error = merge_error(kept=kept, merged=merged)
    if error is not None:
        raise error
    person = acting_person(actor)
    now = timezone.now()
    reason = f"Customer #{merged.pk} merged into #{kept.pk}"
    moved = list(HotIssue.objects.select_for_update().filter(customer=merged).defer("search_vector").order_by("id"))
    for issue in moved:
        issue.customer = kept
    if moved:
        bulk_update_with_history(
            moved, HotIssue, ["customer"], default_user=person, default_change_reason=reason, default_date=now
        )
        _index_many_for_search(moved)

    changed = [f for f in CONTACT_FIELDS if not getattr(kept, f) and getattr(merged, f)]
    for field in changed:
        setattr(kept, field, getattr(merged, field))
    if changed:
        kept.save(update_fields=[*changed, "email_key", "phone_key"])
    label = str(merged)
    merged.merged_into = kept
    merged.merged_at = now
    merged.at_risk = False
    merged.save(update_fields=["merged_into", "merged_at", "at_risk"])
    record = CustomerMerge.objects.create(
        program=kept.program,
        kept=kept,
        merged=merged,
        merged_label=label[:300],
        issues_moved=len(moved),
        by=person,
        at=now,
    )
    # One event on the customer's timeline, on the newest issue that moved (else the kept customer's newest).
    anchor = moved[-1] if moved else HotIssue.objects.filter(customer=kept).order_by("-created_at", "-id").first()
    if anchor is not None:
        moved_text = f"{len(moved)} issue{'s' if len(moved) != 1 else ''} moved"
        _event(
            anchor,
            IssueEvent.Kind.MERGED,
            actor,
            f"Customer record “{label}” merged into this one; {moved_text}",
            at=now,
        )
    refresh_customer_flags(customer_ids=[kept.pk])
    return record
