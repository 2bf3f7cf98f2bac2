"""The hot-issue pages and partials carry nothing a strict CSP would block.

The browser tests catch violations on the pages they open; this catches them
on every issues URL of the access matrix (pages, htmx partials and a log row
with its quick-outreach form) without a browser.
"""

import re

import pytest
from django.urls import reverse

from tests.test_access_matrix import ACCESS, World

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), 'style="" attribute'),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on* handler"),
    (re.compile(r"\shx-on", re.I), "hx-on attribute"),
    (re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I), "javascript: URL"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, a in ACCESS.items() if n.startswith("issues:") and a.method == "get"))
def test_issues_pages_have_no_inline_script_or_style(name, client):
    world = World()
    client.force_login(world.users["manager"])
    urls = [reverse(name, kwargs=ACCESS[name].kwargs(world))]
    if name == "issues:log":
        urls.append(urls[0] + "?level=4")  # the htmx partial
    for url in urls:
        response = client.get(url, headers={"HX-Request": "true"} if "?" in url else {})
        assert response.status_code == 200, url
        if response.streaming:
            continue  # the CSV export
        body = response.content.decode()
        found = [what for pattern, what in INLINE if pattern.search(body)]
        assert not found, (url, found)
