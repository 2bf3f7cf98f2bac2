"""What the handoff does to the open issues (the issues participant of the handoff hook)."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from advocacy.models import Program
from advocacy.selectors import display_name
from core.outbox import enqueue

from ..models import (
    OPEN_Q,
    HotIssue,
    IssueEvent,
    Source,
    TrackingLinkEmail,
)
from .common import SEND_TRACKING_LINKS_TASK


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
