"""Who the client is, also behind a reverse proxy.

Behind a TLS proxy every request comes from the proxy's address, so a rate
limit or a login lockout keyed on REMOTE_ADDR would treat every customer as one.
`TRUSTED_PROXIES` lists the proxies' networks (CIDR). When a request comes from
one of them, the client is the right-most address in `X-Forwarded-For` that is
not itself a trusted proxy: each proxy appends the address it saw, so the hops
to the right of that one are ours and the ones to its left are whatever the
client chose to send (a spoofed header from outside is ignored). A request that
does not come from a trusted proxy is its own client, whatever it claims.

`ClientAddressMiddleware` puts the answer in REMOTE_ADDR (keeping the peer's in
PEER_ADDR), so every use of the address (the public form's limit, django-axes,
logs) reads the same one.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def trusted_networks() -> tuple[Network, ...]:
    """Return the networks of the reverse proxies whose X-Forwarded-For we believe."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:51234
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def resolve_client(peer: str, forwarded_for: str | None, networks: tuple[Network, ...]) -> str:
    """Return the client's address for a connection from `peer` carrying `forwarded_for`."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "0.0.0.0"  # noqa: S104 — a placeholder address for a peer we cannot read, not a bind
    if not forwarded_for or not _trusted(peer_address, networks):
        return str(peer_address)
    client = peer_address
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:  # garbage in the chain: stop at the last hop we could read
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent `request` (see the module docstring)."""
    if "PEER_ADDR" in request.META:  # already resolved by the middleware
        return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 — a placeholder, not a bind
    return resolve_client(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR"), trusted_networks()
    )


class ClientAddressMiddleware:
    """Replace REMOTE_ADDR with the real client's address before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "PEER_ADDR" not in request.META:
            client = client_ip(request)
            request.META["PEER_ADDR"] = request.META.get("REMOTE_ADDR", "")
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)
