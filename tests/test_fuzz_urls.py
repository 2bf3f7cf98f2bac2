"""Hostile values in every URL: every query parameter a page reads and every path segment. Never a 500.

The URLs are found, not listed: every named pattern of the URLconf (the access
matrix's ACCESS, which `test_every_url_declares_its_access` keeps complete),
with the matrix's world for the valid parts of each address, requested as a
signed-in manager and anonymously; then the admin changelist of every
registered model with hostile values in its search, filter and date
parameters, as a superuser. Values are a sample, not the whole product, to
keep the run short.
"""

import re
import traceback
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from django.contrib import admin
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from issues.filters import HotIssueFilter
from tests.test_access_matrix import ACCESS, World

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00",
    "x" * 10_000,
    "9999-12-31",
    "0000-00-00",
    "\r\n",
    "🙂🚀",
    "../../etc/passwd",
    "99999999999999999999",
    "-1",
]
# Path segments of an int converter can only be digits.
HOSTILE_INTS = ["99999999999999999999", "0"]
ROLES = ("manager", "anonymous")
HEALTH = reverse("health")

# Read by many pages: pagination, search, where to go back to.
GENERIC_KEYS = ["page", "q", "next"]
LOG_KEYS = [*HotIssueFilter.base_filters, "page", "after", "open"]
# The parameters each page reads (request.GET and the forms bound to it), and the
# valid ones without which it would not read them (the plan previews only with a count).
PAGE_KEYS: dict[str, tuple[list[str], dict]] = {
    "issues:log": (LOG_KEYS, {}),
    "issues:create": (["program"], {}),
    "issues:detail": (["open"], {}),
    "rotations:plan": (["count", "start_date", "only"], {"count": "3"}),
    "rotations:schedule": (["past"], {}),
    "rotations:term_edit": (["advocate"], {}),
    "rotations:cover_add": (["person", "first_day", "last_day", "reason"], {}),
    "login": (["next"], {}),
}


def converters(patterns=None, namespace="", inherited=None):
    """Yield (full URL name, {kwarg: converter class name}) for every named pattern outside the admin."""
    inherited = inherited or {}
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        own = {key: type(conv).__name__ for key, conv in getattr(entry.pattern, "converters", {}).items()}
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = entry.namespace or ""
            yield from converters(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace, inherited | own)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", inherited | own


class Probe:
    """A test client that renders a 500 instead of raising, and remembers what failed and why."""

    def __init__(self):
        self.client = Client(raise_request_exception=False)
        self.failures: list[str] = []
        self._last_error = ""
        got_request_exception.connect(self._record, weak=False)

    def _record(self, sender, request=None, **kwargs):
        self._last_error = traceback.format_exc(limit=-3)

    def close(self):
        got_request_exception.disconnect(self._record)

    def as_role(self, world, role):
        self.client.logout()
        if world.users[role] is not None:
            self.client.force_login(world.users[role])

    def get(self, role: str, path: str, params: dict | None = None) -> None:
        self._last_error = ""
        url = f"{path}?{urlencode(params)}" if params else path
        response = self.client.get(url)
        # /health/ answers 500 on purpose when a service is down (no worker runs here); a crash is still one.
        reported = path == HEALTH and not self._last_error
        if response.status_code >= 500 and not reported:
            shown = {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in (params or {}).items()}
            self.failures.append(f"{role} GET {path[:120]} {shown}: {response.status_code}\n{self._last_error}")

    def check(self):
        assert not self.failures, f"{len(self.failures)} requests failed with a 500:\n\n" + "\n\n".join(
            self.failures[:15]
        )


@pytest.fixture
def world():
    return World()


@pytest.fixture
def probe():
    probe = Probe()
    yield probe
    probe.close()


def _path(name: str, world) -> str:
    return reverse(name, kwargs=ACCESS[name].kwargs(world))


def test_hostile_query_parameters_never_fail(world, probe):
    for role in ROLES:
        probe.as_role(world, role)
        for name in sorted(ACCESS):
            path = _path(name, world)
            keys, base = PAGE_KEYS.get(name, ([], {}))
            for value in HOSTILE:
                probe.get(role, path, {**base, **dict.fromkeys(GENERIC_KEYS + keys, value)})
            if role == "anonymous":
                continue  # the signed-in pages send an anonymous person to sign in before reading anything
            for key in keys:
                for value in HOSTILE[1:]:  # a NUL is refused before any view (tests/core/test_edge.py)
                    probe.get(role, path, {**base, key: value})
    probe.check()


def test_hostile_path_segments_never_fail(world, probe):
    """Every str, slug and int segment of every pattern, the other segments valid."""
    patterns = dict(converters())
    assert set(patterns) == set(ACCESS)
    for role in ROLES:
        probe.as_role(world, role)
        for name in sorted(ACCESS):
            kwargs = ACCESS[name].kwargs(world)
            for key, converter in patterns[name].items():
                marker = 987654321 if converter == "IntConverter" else "zz-marker-zz"
                template = reverse(name, kwargs={**kwargs, key: marker})
                values = HOSTILE_INTS if converter == "IntConverter" else HOSTILE
                for value in values:
                    probe.get(role, template.replace(str(marker), quote(value, safe="")))
    probe.check()


FILTER_LINK = re.compile(r'href="\?([^"]*)"')


def test_hostile_admin_search_filters_and_dates_never_fail(world, probe):
    probe.as_role(world, "superuser")
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = probe.client.get(path).content.decode()
        # The filter sidebar links name every parameter its filters read.
        keys = {key for link in FILTER_LINK.findall(page) for key, _ in parse_qsl(link.replace("&amp;", "&"))}
        for key in sorted(keys | {"q", "o", "p"}):
            for value in ("\x00", "x" * 10_000, "99999999999999999999"):
                probe.get("superuser", path, {key: value})
        if model_admin.date_hierarchy:
            for part in ("year", "month", "day"):
                for value in ("9999", "99999999999999999999", "0"):
                    probe.get("superuser", path, {f"{model_admin.date_hierarchy}__{part}": value})
    probe.check()
