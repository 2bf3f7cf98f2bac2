"""Each tool's own way of signing a webhook, checked against the raw body before anything parses it.

As each tool documents it:

- Zendesk: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp + body)),
  the timestamp (ISO 8601) in `X-Zendesk-Webhook-Signature-Timestamp`.
- Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>`.
- Help Scout: `X-HelpScout-Signature` = base64(HMAC-SHA1(secret key, body)).
- Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, body)>`.
- Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` (several,
  space-separated, during a rotation), the key being the base64 part of the `whsec_` secret, with
  `webhook-id` and `webhook-timestamp` (Unix seconds).
- Freshdesk cannot sign: its endpoint address carries a long random token instead.

A signature made more than five minutes before (or after) now is refused where
the tool sends a time. Every comparison is constant-time. `sign` makes the
headers a tool would send, for "send a test delivery" and the tests.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from .models import Kind

TOLERANCE = timedelta(minutes=5)

MISSING = "The request carries no signature."
BAD_SIGNATURE = "The signature does not match this source's secret."
STALE = "The signature's time is more than five minutes away from now (a replay, or a wrong clock)."
BAD_TIMESTAMP = "The signature's time cannot be read."
BAD_TOKEN = "The address's token does not match this source's secret."  # noqa: S105 — a message, not a secret

# The headers each tool sends that the processing or the delivery list needs (lower case).
KEPT_HEADERS = {
    Kind.ZENDESK: ["x-zendesk-webhook-signature-timestamp", "x-zendesk-webhook-id", "x-zendesk-webhook-invocation-id"],
    Kind.INTERCOM: [],
    Kind.HELPSCOUT: ["x-helpscout-event"],
    Kind.TYPEFORM: [],
    Kind.FRESHDESK: [],
    Kind.STANDARD: ["webhook-id", "webhook-timestamp"],
}
COMMON_HEADERS = ["content-type", "user-agent"]


class Refused(Exception):
    """The request is not from the tool: the message says why (never which secret was tried)."""


def new_secret(kind: str) -> str:
    """Return a fresh secret in the form the tool takes (Help Scout allows at most 40 characters)."""
    if kind == Kind.STANDARD:
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    if kind == Kind.HELPSCOUT:
        return secrets.token_urlsafe(30)  # 40 characters
    return secrets.token_urlsafe(32)


def _hmac(key: bytes, message: bytes, digest) -> bytes:
    return hmac.new(key, message, digest).digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _standard_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def _check_time(when: datetime, now: datetime) -> None:
    if abs(now - when) > TOLERANCE:
        raise Refused(STALE)


def _zendesk_time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Refused(BAD_TIMESTAMP) from error
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _unix_time(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise Refused(BAD_TIMESTAMP) from error


def expected_signatures(kind: str, secret: str, body: bytes, headers: dict[str, str]) -> list[str]:
    """Return the header values that a request signed with `secret` may carry (compared as a whole)."""
    key = secret.encode()
    if kind == Kind.ZENDESK:
        stamp = headers.get("x-zendesk-webhook-signature-timestamp", "").encode()
        return [_b64(_hmac(key, stamp + body, hashlib.sha256))]
    if kind == Kind.INTERCOM:
        return ["sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()]
    if kind == Kind.HELPSCOUT:
        return [_b64(_hmac(key, body, hashlib.sha1))]
    if kind == Kind.TYPEFORM:
        return ["sha256=" + _b64(_hmac(key, body, hashlib.sha256))]
    if kind == Kind.STANDARD:
        message = f"{headers.get('webhook-id', '')}.{headers.get('webhook-timestamp', '')}.".encode() + body
        return ["v1," + _b64(_hmac(_standard_key(secret), message, hashlib.sha256))]
    raise ValueError(kind)


SIGNATURE_HEADER = {
    Kind.ZENDESK: "x-zendesk-webhook-signature",
    Kind.INTERCOM: "x-hub-signature",
    Kind.HELPSCOUT: "x-helpscout-signature",
    Kind.TYPEFORM: "typeform-signature",
    Kind.STANDARD: "webhook-signature",
}


def verify(
    *, kind: str, secrets_in_force: list[str], body: bytes, headers: dict[str, str], token: str = "", now=None
) -> None:
    """Return if `body` was signed with one of `secrets_in_force` the tool's way; else raise Refused.

    `headers` are lower-cased names. `token` is the address's token (Freshdesk).
    """
    now = now or datetime.now(UTC)
    if kind == Kind.FRESHDESK:
        if not token or not any(hmac.compare_digest(token.encode(), s.encode()) for s in secrets_in_force):
            raise Refused(BAD_TOKEN)
        return
    given = headers.get(SIGNATURE_HEADER[kind], "").strip()
    if not given:
        raise Refused(MISSING)
    if kind == Kind.ZENDESK:
        stamp = headers.get("x-zendesk-webhook-signature-timestamp", "")
        if not stamp:
            raise Refused(MISSING)
        _check_time(_zendesk_time(stamp), now)
    if kind == Kind.STANDARD:
        if not headers.get("webhook-id") or not headers.get("webhook-timestamp"):
            raise Refused(MISSING)
        _check_time(_unix_time(headers["webhook-timestamp"]), now)
    # Standard Webhooks may send several signatures (space-separated) while its sender rotates keys.
    offered = given.split() if kind == Kind.STANDARD else [given]
    for secret in secrets_in_force:
        for expected in expected_signatures(kind, secret, body, headers):
            if any(hmac.compare_digest(expected.encode(), value.encode()) for value in offered):
                return
    raise Refused(BAD_SIGNATURE)


def sign(*, kind: str, secret: str, body: bytes, now=None, event_id: str = "") -> dict[str, str]:
    """Return the headers (lower case) the tool would send with `body` signed by `secret`."""
    now = now or datetime.now(UTC)
    headers: dict[str, str] = {"content-type": "application/json"}
    if kind == Kind.FRESHDESK:
        return headers
    if kind == Kind.ZENDESK:
        headers["x-zendesk-webhook-signature-timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == Kind.HELPSCOUT:
        headers["x-helpscout-event"] = "satisfaction.ratings"
    if kind == Kind.STANDARD:
        headers["webhook-id"] = event_id or f"msg_{secrets.token_hex(12)}"
        headers["webhook-timestamp"] = str(int(now.timestamp()))
    headers[SIGNATURE_HEADER[kind]] = expected_signatures(kind, secret, body, headers)[0]
    return headers
