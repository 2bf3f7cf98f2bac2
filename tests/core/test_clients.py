"""The client's address, directly and behind a real nginx: a spoofed X-Forwarded-For changes nothing."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import path

from core.clients import ClientAddressMiddleware, _networks, client_ip, resolve_client

PROXIES = _networks(("10.0.0.0/8", "127.0.0.3/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # an untrusted peer's header is ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),  # one trusted proxy
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # spoofed left part ignored
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two proxies of ours
        ("10.0.0.2", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # only proxies: the left-most
        ("10.0.0.2", "garbage, 198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"),  # unreadable last hop: stop at the proxy
        ("10.0.0.2", "[2001:db8::5]:443", "2001:db8::5"),
        ("10.0.0.2", "198.51.100.7:5123", "198.51.100.7"),
        ("::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7"),
    ],
)
def test_resolve_client(peer, forwarded, client):
    assert resolve_client(peer, forwarded, PROXIES) == client


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_never_believed():
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1/32"])
def test_the_middleware_sets_remote_addr_once_and_keeps_the_peer():
    seen = {}

    def view(request):
        seen.update(remote=request.META["REMOTE_ADDR"], peer=request.META["PEER_ADDR"], again=client_ip(request))
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    ClientAddressMiddleware(view)(request)
    assert seen == {"remote": "198.51.100.7", "peer": "127.0.0.1", "again": "198.51.100.7"}


# ---------------------------------------------------------------- behind a real nginx


def echo_address(request):
    return HttpResponse(request.META["REMOTE_ADDR"], content_type="text/plain")


urlpatterns = [path("whoami/", echo_address)]

NGINX_CONF = """
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.2:{port};
    location / {{
      proxy_pass {upstream};
      proxy_bind 127.0.0.3;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(live_server):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.fail("nginx is not installed: bin/system-packages installs it")
    port = _free_port("127.0.0.2")
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=folder, port=port, upstream=live_server.url))
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", folder], stderr=subprocess.PIPE)
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.2", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            proc.kill()
            pytest.fail(f"nginx did not start: {proc.stderr.read().decode()}")
        yield f"http://127.0.0.2:{port}"
        proc.terminate()
        proc.wait(timeout=10)


def _get_from(source: str, url: str, headers: dict | None = None) -> str:
    """GET `url` over a socket bound to `source`, as a client on that address would."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0)) as sock:
        lines = ["GET /whoami/ HTTP/1.1", f"Host: {host}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return body.decode().strip()


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_behind_nginx_the_client_is_the_client_and_a_spoofed_header_is_ignored(nginx, live_server, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.3/32"]
    settings.ALLOWED_HOSTS = ["*"]
    assert _get_from("127.0.0.5", nginx) == "127.0.0.5"
    assert _get_from("127.0.0.6", nginx, {"X-Forwarded-For": "203.0.113.66"}) == "127.0.0.6"
    # Straight to the app (not through the proxy), the same spoofed header is not believed either.
    assert _get_from("127.0.0.7", live_server.url, {"X-Forwarded-For": "203.0.113.66"}) == "127.0.0.7"


@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_behind_an_untrusted_proxy_every_client_is_the_proxy(nginx, settings):
    settings.TRUSTED_PROXIES = []
    settings.ALLOWED_HOSTS = ["*"]
    assert _get_from("127.0.0.5", nginx) == "127.0.0.3"


@pytest.mark.django_db
def test_the_sign_in_lockout_is_per_client_behind_the_proxy(client, member, password, settings):
    from django.urls import reverse

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    login = reverse("login")
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            login, {"username": member.username, "password": "wrong"}, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy
        )
    locked = client.post(
        login, {"username": member.username, "password": password}, HTTP_X_FORWARDED_FOR="198.51.100.7", **via_proxy
    )
    assert locked.status_code == 429
    # Another customer behind the same proxy, same username, is not locked out.
    other = client.post(
        login, {"username": member.username, "password": password}, HTTP_X_FORWARDED_FOR="198.51.100.8", **via_proxy
    )
    assert other.status_code == 302
