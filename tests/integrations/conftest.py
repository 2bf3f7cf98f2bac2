"""Sources of each kind in the `program` fixture, and a way to post a signed delivery to one."""

import pytest

from advocacy.permissions import SYSTEM
from integrations import services, signatures
from integrations.models import Kind

# Zendesk and Intercom make their own secrets; the manager pastes them.
TOOL_SECRETS = {Kind.ZENDESK: "zendesk-made-secret-0123456789", Kind.INTERCOM: "intercom-client-secret-0123456789"}


@pytest.fixture
def make_source(program, manager):
    def make(kind: str, *, target=None, name: str = ""):
        source, _ = services.create_source(
            program=target or program,
            actor=manager if target is None else SYSTEM,
            kind=kind,
            name=name or f"{Kind(kind).label} source",
            secret=TOOL_SECRETS.get(kind, ""),
        )
        return source

    return make


def meta(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the test client takes them."""
    return {name: value for name, value in headers.items() if name != "content-type"}


@pytest.fixture
def deliver(client):
    """Post `body` to a source's endpoint, signed with `secret` (the source's own by default)."""

    def post(source, body: bytes, *, secret: str | None = None, headers: dict | None = None, path: str | None = None):
        signed = signatures.sign(kind=source.kind, secret=secret or source.secret, body=body)
        if headers is not None:
            signed = headers
        return client.post(
            path or source.endpoint_path(), data=body, content_type="application/json", headers=meta(signed)
        )

    return post
