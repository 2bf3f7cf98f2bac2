"""Each tool's signature scheme: good, bad, missing and stale signatures, and the rotation's grace."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from integrations import signatures
from integrations.models import Kind
from integrations.signatures import Refused, sign, verify

NOW = datetime(2026, 4, 13, 12, 0, tzinfo=UTC)
BODY = b'{"rating": "Bad", "comment": "Nobody answered."}'
SIGNED = [Kind.ZENDESK, Kind.INTERCOM, Kind.HELPSCOUT, Kind.TYPEFORM, Kind.STANDARD]
TIMED = [Kind.ZENDESK, Kind.STANDARD]


def secret_for(kind: str) -> str:
    return signatures.new_secret(kind)


@pytest.mark.parametrize("kind", SIGNED)
def test_a_body_signed_with_the_secret_is_accepted(kind):
    secret = secret_for(kind)
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW)
    verify(kind=kind, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


@pytest.mark.parametrize("kind", SIGNED)
def test_a_changed_body_is_refused(kind):
    secret = secret_for(kind)
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW)
    with pytest.raises(Refused, match="does not match"):
        verify(kind=kind, secrets_in_force=[secret], body=BODY + b" ", headers=headers, now=NOW)


@pytest.mark.parametrize("kind", SIGNED)
def test_another_secret_is_refused(kind):
    headers = sign(kind=kind, secret=secret_for(kind), body=BODY, now=NOW)
    with pytest.raises(Refused, match="does not match"):
        verify(kind=kind, secrets_in_force=[secret_for(kind)], body=BODY, headers=headers, now=NOW)


@pytest.mark.parametrize("kind", SIGNED)
def test_a_missing_signature_is_refused(kind):
    secret = secret_for(kind)
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW)
    del headers[signatures.SIGNATURE_HEADER[kind]]
    with pytest.raises(Refused, match="no signature"):
        verify(kind=kind, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


@pytest.mark.parametrize("kind", TIMED)
@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_a_signature_more_than_five_minutes_away_is_refused(kind, skew):
    secret = secret_for(kind)
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW - skew)
    with pytest.raises(Refused, match="five minutes"):
        verify(kind=kind, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)
    # Four minutes is fine (clocks drift, tools retry).
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW - timedelta(minutes=4))
    verify(kind=kind, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


@pytest.mark.parametrize("kind", TIMED)
def test_a_timestamp_that_cannot_be_read_is_refused(kind):
    secret = secret_for(kind)
    headers = sign(kind=kind, secret=secret, body=BODY, now=NOW)
    stamp = "x-zendesk-webhook-signature-timestamp" if kind == Kind.ZENDESK else "webhook-timestamp"
    headers[stamp] = "yesterday"
    with pytest.raises(Refused, match="cannot be read"):
        verify(kind=kind, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


@pytest.mark.parametrize("kind", SIGNED)
def test_the_previous_secret_counts_while_it_is_in_force(kind):
    old, new = secret_for(kind), secret_for(kind)
    headers = sign(kind=kind, secret=old, body=BODY, now=NOW)
    verify(kind=kind, secrets_in_force=[new, old], body=BODY, headers=headers, now=NOW)
    with pytest.raises(Refused):
        verify(kind=kind, secrets_in_force=[new], body=BODY, headers=headers, now=NOW)


def test_zendesk_signs_the_timestamp_then_the_body_in_base64_sha256():
    secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
    stamp = "2026-04-13T12:00:00Z"
    digest = hmac.new(secret.encode(), stamp.encode() + BODY, hashlib.sha256).digest()
    headers = {
        "x-zendesk-webhook-signature": base64.b64encode(digest).decode(),
        "x-zendesk-webhook-signature-timestamp": stamp,
    }
    verify(kind=Kind.ZENDESK, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


def test_intercom_signs_with_sha1_in_hex_after_sha1_equals():
    secret = "intercom-client-secret"
    headers = {"x-hub-signature": "sha1=" + hmac.new(secret.encode(), BODY, hashlib.sha1).hexdigest()}
    verify(kind=Kind.INTERCOM, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)
    headers = {"x-hub-signature": hmac.new(secret.encode(), BODY, hashlib.sha1).hexdigest()}  # without the prefix
    with pytest.raises(Refused):
        verify(kind=Kind.INTERCOM, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


def test_help_scout_signs_with_sha1_in_base64():
    secret = "help-scout-secret-key"
    headers = {
        "x-helpscout-signature": base64.b64encode(hmac.new(secret.encode(), BODY, hashlib.sha1).digest()).decode()
    }
    verify(kind=Kind.HELPSCOUT, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


def test_typeform_signs_with_sha256_in_base64_after_sha256_equals():
    secret = "typeform-secret"
    digest = base64.b64encode(hmac.new(secret.encode(), BODY, hashlib.sha256).digest()).decode()
    verify(
        kind=Kind.TYPEFORM,
        secrets_in_force=[secret],
        body=BODY,
        headers={"typeform-signature": f"sha256={digest}"},
        now=NOW,
    )


def test_standard_webhooks_matches_the_specifications_example():
    """The example of the Standard Webhooks specification's reference libraries."""
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    at = datetime.fromtimestamp(1614265330, tz=UTC)
    body = b'{"test": 2432232314}'
    verify(
        kind=Kind.STANDARD,
        secrets_in_force=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        body=body,
        headers=headers,
        now=at,
    )


def test_standard_webhooks_accepts_one_good_signature_among_several():
    secret = secret_for(Kind.STANDARD)
    headers = sign(kind=Kind.STANDARD, secret=secret, body=BODY, now=NOW)
    headers["webhook-signature"] = f"v1,bm90IHRoaXMgb25l {headers['webhook-signature']} v1a,ignored"
    verify(kind=Kind.STANDARD, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


def test_standard_webhooks_refuses_a_signature_without_its_id():
    secret = secret_for(Kind.STANDARD)
    headers = sign(kind=Kind.STANDARD, secret=secret, body=BODY, now=NOW)
    del headers["webhook-id"]
    with pytest.raises(Refused, match="no signature"):
        verify(kind=Kind.STANDARD, secrets_in_force=[secret], body=BODY, headers=headers, now=NOW)


def test_freshdesk_is_let_in_by_the_token_of_its_address_only():
    secret = secret_for(Kind.FRESHDESK)
    verify(kind=Kind.FRESHDESK, secrets_in_force=[secret], body=BODY, headers={}, token=secret, now=NOW)
    for token in ["", secret[:-1], secret_for(Kind.FRESHDESK)]:
        with pytest.raises(Refused, match="token"):
            verify(kind=Kind.FRESHDESK, secrets_in_force=[secret], body=BODY, headers={}, token=token, now=NOW)


def test_new_secrets_are_long_and_fit_each_tool():
    assert signatures.new_secret(Kind.STANDARD).startswith("whsec_")
    assert len(base64.b64decode(signatures.new_secret(Kind.STANDARD).removeprefix("whsec_"))) == 32
    assert len(signatures.new_secret(Kind.HELPSCOUT)) == 40  # Help Scout's limit
    assert len(signatures.new_secret(Kind.FRESHDESK)) >= 40
