"""Inbound sources: adding and changing them, receiving a delivery, and turning it into a hot issue.

The endpoint does as little as it can: it verifies the signature against the
raw body, stores the delivery and queues its processing, so a slow database
or worker never makes the tool retry. `process_delivery` (a Celery task) then
parses, maps, deduplicates and creates the issue through the same service as
every other intake, so the owner, the notices and the customer are as they
would be for any issue. Running it twice creates one issue.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from advocacy.permissions import Actor, require_manager
from core.outbox import enqueue, enqueue_missing
from issues import services as issue_services
from issues.models import Source as IssueSource

from . import mailin, mapping, signatures
from .models import Delivery, Kind, Source

PROCESS_TASK: Final = "integrations.tasks.process_delivery"

# A body larger than this is refused (413) and not stored.
MAX_BODY: Final = 1024 * 1024
# How long a rotation may keep the previous secret valid.
MAX_GRACE_HOURS: Final = 24 * 30

# The tools that make the secret themselves: the manager copies it into Baton.
TOOL_MAKES_SECRET: Final = frozenset({Kind.ZENDESK, Kind.INTERCOM})

NAME_REQUIRED: Final = "Give the source a name, e.g. “Zendesk EU”."
SECRET_REQUIRED: Final = "Paste the signing secret {tool} shows for this webhook."  # noqa: S105 — a message, not a secret
SECRET_TOO_SHORT: Final = "That secret is too short to be the one {tool} made (at least 16 characters)."  # noqa: S105 — a message
BAD_GRACE: Final = "The old secret may stay valid between 0 and {limit} hours."
TOO_LARGE: Final = "The body is larger than 1 MB; it was not stored."
NOT_JSON: Final = "The body is not JSON: {error}"
NOT_AN_OBJECT: Final = "The body is JSON but not an object."
NOT_A_RATING: Final = "Not a rating event ({what}); nothing to do."
DUPLICATE_OF: Final = "The same delivery as #{pk}; nothing created again."
ISSUE_FAILED: Final = "The issue could not be created: {reason}"


# ---------------------------------------------------------------- sources


@transaction.atomic
def create_source(*, program, actor: Actor, kind: str, name: str, secret: str = "") -> tuple[Source, str]:
    """Add an inbound source with its tool's default mapping; return it and its secret (shown once).

    Zendesk and Intercom make the secret themselves, so the manager pastes it;
    for the other tools Baton makes a long random one.
    """
    require_manager(program=program, actor=actor)
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = NAME_REQUIRED
    if kind not in Kind.values:
        errors["kind"] = "Choose one of the tools in the list."
    secret = (secret or "").strip()
    if kind in TOOL_MAKES_SECRET:
        error = _tool_secret_error(kind, secret)
        if error:
            errors["secret"] = error
    else:
        secret = signatures.new_secret(kind)
    if errors:
        raise ValidationError(errors)
    source = Source(program=program, kind=kind, name=name, secret=secret, **mapping.DEFAULTS[kind])
    source.created_by = actor if getattr(actor, "is_authenticated", False) else None
    source.full_clean()
    source.save()
    return source, secret


def _tool_secret_error(kind: str, secret: str) -> str | None:
    tool = Kind(kind).label
    if not secret:
        return SECRET_REQUIRED.format(tool=tool)
    if len(secret) < 16:
        return SECRET_TOO_SHORT.format(tool=tool)
    if len(secret) > 200 or any(c.isspace() or not c.isprintable() for c in secret):
        return "That does not look like a secret: no spaces, at most 200 characters."
    return None


MAPPING_FIELDS: Final = [
    "name",
    "score_field",
    "bad_values",
    "bad_at_most",
    "level",
    "title_field",
    "name_field",
    "email_field",
    "comment_field",
    "link_field",
    "event_id_field",
]


@transaction.atomic
def update_source(*, source: Source, actor: Actor, **values) -> Source:
    """Change a source's name and mapping; the secret and address stay."""
    require_manager(program=source.program, actor=actor)
    source = Source.objects.select_for_update().get(pk=source.pk)
    for field in MAPPING_FIELDS:
        if field in values:
            value = values[field]
            setattr(source, field, value.strip() if isinstance(value, str) else value)
    if not source.bad_values and source.bad_at_most is None:
        raise ValidationError({"bad_values": mapping.NO_RULE})
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def rotate_secret(*, source: Source, actor: Actor, grace_hours: int, secret: str = "", now=None) -> tuple[Source, str]:
    """Give a source a new secret; the old one stays valid for `grace_hours` so the tool can be switched over."""
    require_manager(program=source.program, actor=actor)
    now = now or timezone.now()
    source = Source.objects.select_for_update().get(pk=source.pk)
    errors = {}
    if not isinstance(grace_hours, int) or not 0 <= grace_hours <= MAX_GRACE_HOURS:
        errors["grace_hours"] = BAD_GRACE.format(limit=MAX_GRACE_HOURS)
    secret = (secret or "").strip()
    if source.kind in TOOL_MAKES_SECRET:
        error = _tool_secret_error(source.kind, secret)
        if error:
            errors["secret"] = error
    else:
        secret = signatures.new_secret(source.kind)
    if errors:
        raise ValidationError(errors)
    source.previous_secret = source.secret if grace_hours else ""
    source.previous_valid_until = now + timedelta(hours=grace_hours) if grace_hours else None
    source.secret = secret
    source.secret_changed_at = now
    source.save()
    return source, secret


@transaction.atomic
def delete_source(*, source: Source, actor: Actor) -> None:
    """Remove a source and its deliveries; the issues it created stay."""
    require_manager(program=source.program, actor=actor)
    source.delete()


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Received:
    status: int
    delivery: Delivery
    message: str = ""


def _kept_headers(kind: str, headers: dict[str, str]) -> dict[str, str]:
    names = signatures.COMMON_HEADERS + signatures.KEPT_HEADERS[kind]
    return {name: headers[name][:500] for name in names if headers.get(name)}


def _dedupe_key(kind: str, body: bytes, headers: dict[str, str]) -> str:
    """The tool's own delivery id where it sends one in a header, else the body's SHA-256."""
    if kind == Kind.STANDARD and headers.get("webhook-id"):
        return f"id:{headers['webhook-id'][:180]}"
    return f"sha256:{hashlib.sha256(body).hexdigest()}"


# At most this many refusals a minute are recorded per source, so a flood of forged requests cannot fill the table.
REFUSALS_RECORDED_PER_MINUTE: Final = 60


def refuse(*, source: Source, reason: str, size: int, headers: dict[str, str]) -> Delivery:
    """Record a refused delivery, without its body (it was not from the tool, or too large).

    Beyond the per-minute limit the refusal is returned unsaved: still answered, no longer recorded.
    """
    now = timezone.now()
    recent = Delivery.objects.filter(
        source=source, outcome=Delivery.Outcome.REFUSED, received_at__gte=now - timedelta(minutes=1)
    )
    if recent.count() >= REFUSALS_RECORDED_PER_MINUTE:
        return Delivery(source=source, outcome=Delivery.Outcome.REFUSED, reason=reason[:500], size=size)
    return Delivery.objects.create(
        source=source,
        size=size,
        headers=_kept_headers(source.kind, headers),
        outcome=Delivery.Outcome.REFUSED,
        reason=reason[:500],
        processed_at=timezone.now(),
    )


@transaction.atomic
def receive(
    *, source: Source, body: bytes, headers: dict[str, str], token: str = "", is_test: bool = False
) -> Received:
    """Verify a delivery against the raw body, store it and queue its processing; return what to answer.

    `headers` have lower-case names. Nothing is parsed here: a refused signature
    is recorded (without the body) and answered 401; a delivery already stored
    (same key) is recorded as its duplicate and answered 200.
    """
    if len(body) > MAX_BODY:
        return Received(413, refuse(source=source, reason=TOO_LARGE, size=len(body), headers=headers), TOO_LARGE)
    try:
        signatures.verify(
            kind=source.kind, secrets_in_force=source.secrets_in_force(), body=body, headers=headers, token=token
        )
    except signatures.Refused as refusal:
        reason = f"Refused signature: {refusal}"
        return Received(401, refuse(source=source, reason=reason, size=len(body), headers=headers), str(refusal))
    key = _dedupe_key(source.kind, body, headers)
    kept = _kept_headers(source.kind, headers)
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                source=source, body=body, size=len(body), headers=kept, dedupe_key=key, is_test=is_test
            )
    except IntegrityError:
        original = Delivery.objects.filter(source=source, dedupe_key=key, duplicate_of__isnull=True).first()
        delivery = Delivery.objects.create(
            source=source,
            size=len(body),
            headers=kept,
            dedupe_key=key,
            duplicate_of=original,
            outcome=Delivery.Outcome.DUPLICATE,
            reason=DUPLICATE_OF.format(pk=original.pk if original else "?"),
            issue_id=original.issue_id if original else None,
            is_test=is_test,
            processed_at=timezone.now(),
        )
        return Received(200, delivery, "duplicate")
    enqueue(PROCESS_TASK, args=[delivery.pk])
    return Received(202, delivery, "accepted")


def send_test_delivery(*, source: Source, actor: Actor, bad: bool = True) -> Received:
    """Sign a sample delivery with the source's secret and pass it through the real verification path.

    A test delivery is processed like any other but creates no issue: its
    outcome says what would have been created.
    """
    require_manager(program=source.program, actor=actor)
    body = mapping.sample_body(source.kind, bad=bad, n=secrets.randbelow(10**9))
    headers = signatures.sign(kind=source.kind, secret=source.secret, body=body)
    return receive(source=source, body=body, headers=headers, token=source.secret, is_test=True)


# ---------------------------------------------------------------- processing


@dataclass(frozen=True)
class Mapped:
    bad: bool
    rating: str
    title: str
    words: str
    name: str
    email: str
    link: str
    event_id: str


def _is_rating_event(source: Source, data: dict, headers: dict) -> str | None:
    """Return what the delivery is when it is not a rating (a ping, another topic), else None."""
    if source.kind == Kind.INTERCOM and data.get("topic") != "conversation.rating.added":
        return f"topic “{str(data.get('topic'))[:60]}”"
    if (
        source.kind == Kind.HELPSCOUT
        and headers.get("x-helpscout-event", "satisfaction.ratings") != "satisfaction.ratings"
    ):
        return f"event “{headers['x-helpscout-event'][:60]}”"
    if source.kind == Kind.TYPEFORM and data.get("event_type", "form_response") != "form_response":
        return f"event “{str(data.get('event_type'))[:60]}”"
    return None


def _one_line(text: str, limit: int) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clean_text(text: str) -> str:
    return "".join(c for c in text if c.isprintable() or c in "\n\t").strip()


def _link(value: str) -> str:
    value = value.strip()
    if value and "://" not in value and "." in value.split("/", 1)[0]:
        value = "https://" + value  # Zendesk's {{ticket.link}} may come without its scheme
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    return value if len(value) <= 1000 else ""


def map_delivery(source: Source, data: dict) -> Mapped:
    """Read a delivery with the source's mapping; raise ValueError with a reason a manager understands."""
    verdict = mapping.judge(
        value=mapping.raw(data, source.score_field),
        field=source.score_field,
        bad_values=source.bad_values,
        bad_at_most=source.bad_at_most,
    )
    comment = _clean_text(mapping.extract(data, source.comment_field))[:10_000]
    name = _one_line(mapping.extract(data, source.name_field), 200)
    email = mapping.extract(data, source.email_field)
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    raw_link = mapping.extract(data, source.link_field)
    link = _link(raw_link)
    tool = source.get_kind_display() if source.kind != Kind.STANDARD else source.name
    title = _one_line(mapping.extract(data, source.title_field), 200) or _one_line(comment, 80)
    title = title or f"Bad rating in {tool}"
    words = f"Rated “{verdict.shown}” in {tool}."
    if comment:
        words += f"\n\n{comment}"
    if raw_link and not link:
        words += f"\n\n{_one_line(raw_link, 1000)}"
    return Mapped(
        bad=verdict.bad,
        rating=verdict.shown,
        title=title,
        words=words,
        name=name,
        email=email[:254],
        link=link,
        event_id=_one_line(mapping.extract(data, source.event_id_field), 200),
    )


def _finish(delivery: Delivery, outcome: str, reason: str = "", issue=None) -> str:
    delivery.outcome = outcome
    delivery.reason = reason[:500]
    delivery.issue = issue
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["outcome", "reason", "issue", "processed_at", "event_id"])
    return outcome


def _parse(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(NOT_JSON.format(error="it is not UTF-8 text")) from error
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(NOT_JSON.format(error=str(error)[:200])) from error
    if not isinstance(data, dict):
        raise ValueError(NOT_AN_OBJECT)
    return data


@transaction.atomic
def process_delivery(*, delivery_id: int) -> str:
    """Turn one stored delivery into a hot issue, or record why not; return the outcome.

    Idempotent: the delivery's row is locked and a delivery already processed
    is left as it is.
    """
    delivery = Delivery.objects.select_for_update().select_related("source__program").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if delivery.outcome != Delivery.Outcome.RECEIVED:
        return delivery.outcome
    source = delivery.source
    try:
        data = _parse(bytes(delivery.body))
    except ValueError as error:
        return _finish(delivery, Delivery.Outcome.UNREADABLE, str(error))
    other = _is_rating_event(source, data, delivery.headers)
    if other:
        return _finish(delivery, Delivery.Outcome.IGNORED, NOT_A_RATING.format(what=other))
    try:
        mapped = map_delivery(source, data)
    except ValueError as error:
        return _finish(delivery, Delivery.Outcome.MAPPING_FAILED, str(error))
    if mapped.event_id and not delivery.is_test:
        delivery.event_id = mapped.event_id
        try:
            with transaction.atomic():
                delivery.save(update_fields=["event_id"])
        except IntegrityError:
            delivery.event_id = ""
            original = Delivery.objects.filter(source=source, event_id=mapped.event_id).first()
            delivery.duplicate_of = original
            delivery.save(update_fields=["duplicate_of"])
            return _finish(
                delivery,
                Delivery.Outcome.DUPLICATE,
                DUPLICATE_OF.format(pk=original.pk if original else "?"),
                issue=original.issue if original else None,
            )
    if not mapped.bad:
        return _finish(delivery, Delivery.Outcome.GOOD_RATING, f"Rated “{mapped.rating}”.")
    if delivery.is_test:
        who = mapped.name or mapped.email or "no customer details"
        reason = f"Test passed: would create a level {source.level} issue “{mapped.title}” for {who}."
        return _finish(delivery, Delivery.Outcome.TEST_PASSED, reason)
    try:
        with transaction.atomic():
            issue = issue_services.create_issue(
                program=source.program,
                actor=None,
                title=mapped.title,
                words=mapped.words,
                level=source.level,
                source=IssueSource.SURVEY,
                source_url=mapped.link,
                customer_name=mapped.name,
                customer_email=mapped.email,
            )
    except ValidationError as error:
        return _finish(delivery, Delivery.Outcome.MAPPING_FAILED, ISSUE_FAILED.format(reason=" ".join(error.messages)))
    return _finish(delivery, Delivery.Outcome.ISSUE_CREATED, f"Rated “{mapped.rating}”.", issue=issue)


# A delivery still waiting this long after it arrived lost its job (a worker died mid-way): queue it again.
STUCK_AFTER: Final = timedelta(minutes=10)


# The raw bodies of processed deliveries are kept this long (for a look at what a tool sent), then cleared.
KEEP_BODIES: Final = timedelta(days=30)


def requeue_stuck_deliveries(*, now=None) -> int:
    """Queue again the processing of deliveries still waiting long after they arrived; return how many.

    On the way, clear the bodies of deliveries processed more than KEEP_BODIES ago.
    Forwarded e-mails whose job was lost are queued again the same way (mailin.requeue_stuck_mails).
    """
    now = now or timezone.now()
    Delivery.objects.filter(processed_at__lt=now - KEEP_BODIES, size__gt=0).exclude(body=b"").update(body=b"")
    waiting = Delivery.objects.filter(outcome=Delivery.Outcome.RECEIVED, received_at__lt=now - STUCK_AFTER)
    ids = list(waiting.order_by("pk").values_list("pk", flat=True)[:1000])
    return enqueue_missing(PROCESS_TASK, ids, since=now - STUCK_AFTER) + mailin.requeue_stuck_mails(now=now)
