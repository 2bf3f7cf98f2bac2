"""Fetch outside addresses without letting a feed reach inside our own network.

A mention feed's address is typed by a program member, so polling it must not
become a way to read internal services (server-side request forgery). Every
connection, including each redirect, is refused unless the host resolves only
to public internet addresses, and the address actually connected to is checked
again after connecting (so a DNS answer that changes in between is caught).
ISSUES_FEED_ALLOWED_NETWORKS lists private networks to allow anyway.

Every fetch also has a total deadline (connect, headers and the whole body),
not only a timeout per read: a peer that sends one byte every few seconds would
otherwise hold a worker for as long as it likes.
"""

import http.client
import ipaddress
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlparse

from django.conf import settings


class PrivateAddressError(OSError):
    """The address belongs to this machine or a private network."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} is not a public internet address")
        self.host = host


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The private networks allowed anyway: the current fetch's own list, else ISSUES_FEED_ALLOWED_NETWORKS."""
    listed = getattr(_current, "allowed", None)
    if listed is None:
        listed = getattr(settings, "ISSUES_FEED_ALLOWED_NETWORKS", [])
    return [ipaddress.ip_network(n, strict=False) for n in listed]


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


@contextmanager
def allowing(networks: list[str] | None):
    """Inside the block, `networks` (CIDR) replace ISSUES_FEED_ALLOWED_NETWORKS (None: leave it)."""
    outer = getattr(_current, "allowed", None)
    if networks is not None:
        _current.allowed = list(networks)
    try:
        yield
    finally:
        _current.allowed = outer


def private_literal(url: str) -> bool:
    """Return whether `url` names this machine or a private network without needing DNS (for forms)."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return not is_public_address("127.0.0.1")
    try:
        return not is_public_address(host)
    except ValueError:
        return False  # a name, checked when polled


class DeadlineExceeded(TimeoutError):
    """The whole fetch took longer than its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class _Deadline:
    """The sockets one fetch opened, shut down by a timer when its time is up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise DeadlineExceeded(self.seconds)
            self._sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked in another thread
                except OSError:
                    pass


_current = threading.local()


@contextmanager
def total_deadline(seconds: float, *, allowed_networks: list[str] | None = None):
    """Bound every connection opened through `public_opener` inside the block to `seconds` in all.

    When the time is up the connections are shut down, and whatever error that
    causes inside the block is raised as DeadlineExceeded. `allowed_networks`
    (CIDR) replaces ISSUES_FEED_ALLOWED_NETWORKS inside the block, for a caller
    with an allowlist of its own (outgoing webhooks).
    """
    deadline = _Deadline(seconds)
    outer = getattr(_current, "deadline", None)
    _current.deadline = deadline
    allowed = allowing(allowed_networks)
    allowed.__enter__()
    timer = threading.Timer(seconds, deadline.expire)
    timer.daemon = True
    timer.start()
    try:
        yield deadline
        if deadline.expired:  # a body cut short by the shutdown reads as a short body, not an error
            raise DeadlineExceeded(seconds)
    except DeadlineExceeded:
        raise
    except Exception as error:
        if deadline.expired:
            raise DeadlineExceeded(seconds) from error
        raise
    finally:
        timer.cancel()
        _current.deadline = outer
        allowed.__exit__(None, None, None)


class _Guard:
    def connect(self) -> None:
        check_host(self.host)
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise DeadlineExceeded(deadline.seconds)
            self.timeout = min(self.timeout, left) if isinstance(self.timeout, int | float) else left
        super().connect()
        if deadline is not None:
            deadline.watch(self.sock)
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


def fetch(
    request: urllib.request.Request,
    *,
    deadline: float,
    read_timeout: float,
    max_bytes: int,
    allowed_networks: list[str] | None = None,
) -> tuple[int, bytes, dict]:
    """Fetch `request` from a public address within `deadline` seconds in all; return (status, body, headers).

    Reads at most `max_bytes + 1` bytes, so the caller can tell an oversized
    answer. An HTTP error status is raised as urllib's HTTPError, except 304
    (Not Modified), which is returned with an empty body. `allowed_networks`:
    see `total_deadline`.
    """
    with total_deadline(deadline, allowed_networks=allowed_networks):
        try:
            with public_opener().open(request, timeout=min(read_timeout, deadline)) as response:
                return response.status, response.read(max_bytes + 1), dict(response.headers)
        except urllib.error.HTTPError as error:
            if error.code == 304:
                return 304, b"", dict(error.headers)
            raise
