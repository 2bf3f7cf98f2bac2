"""Fetch outside addresses without letting a feed reach inside our own network.

A mention feed's address is typed by a program member, so polling it must not
become a way to read internal services (server-side request forgery). Every
connection, including each redirect, is refused unless the host resolves only
to public internet addresses, and the address actually connected to is checked
again after connecting (so a DNS answer that changes in between is caught).
ISSUES_FEED_ALLOWED_NETWORKS lists private networks to allow anyway.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlparse

from django.conf import settings


class PrivateAddressError(OSError):
    """The address belongs to this machine or a private network."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} is not a public internet address")
        self.host = host


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in getattr(settings, "ISSUES_FEED_ALLOWED_NETWORKS", [])]


def is_public_address(ip: str) -> bool:
    """Return whether `ip` is on the public internet (or in an explicitly allowed network)."""
    address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in _allowed_networks()):
        return True
    return address.is_global and not address.is_multicast


def check_host(host: str) -> None:
    """Raise PrivateAddressError unless every address `host` resolves to is public."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return  # the connection attempt reports the unknown name
    for *_, sockaddr in infos:
        if not is_public_address(sockaddr[0]):
            raise PrivateAddressError(host)


def private_literal(url: str) -> bool:
    """Return whether `url` names this machine or a private network without needing DNS (for forms)."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return not is_public_address("127.0.0.1")
    try:
        return not is_public_address(host)
    except ValueError:
        return False  # a name, checked when polled


class _Guard:
    def connect(self) -> None:
        check_host(self.host)
        super().connect()
        if not is_public_address(self.sock.getpeername()[0]):
            self.sock.close()
            raise PrivateAddressError(self.host)


class _GuardedHTTPConnection(_Guard, http.client.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guard, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


def public_opener() -> urllib.request.OpenerDirector:
    """Return a urllib opener that only connects to public addresses (redirects included), without proxies.

    Built by hand rather than with build_opener, which would add urllib's ftp:,
    file: and data: handlers: a redirect to ftp://10.0.0.5/ would then reach a
    private host past the guard. Here any scheme but http and https is refused.
    """
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler({}),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        _HTTPHandler(),
        _HTTPSHandler(),
    ):
        opener.add_handler(handler)
    return opener
