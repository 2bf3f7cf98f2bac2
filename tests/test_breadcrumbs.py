"""Every program page's breadcrumb trail starts at "My programs", then the program."""

import re

import pytest
from django.urls import reverse

from tests.test_access_matrix import ACCESS, World

pytestmark = pytest.mark.django_db
TRAIL = re.compile(r'<ol class="breadcrumb">(.*?)</ol>', re.S)
ITEM = re.compile(r'<li class="breadcrumb-item[^"]*"[^>]*>(.*?)</li>', re.S)
TAG = re.compile(r"<[^>]+>")


def trail(html: str) -> list[str]:
    found = TRAIL.search(html)
    return [TAG.sub("", item).strip() for item in ITEM.findall(found.group(1))] if found else []


def test_every_program_page_starts_its_breadcrumb_at_my_programs(client):
    world = World()
    client.force_login(world.users["superuser"])
    checked, wrong = [], []
    for name, access in ACCESS.items():
        if access.method != "get" or access.post_only:
            continue
        kwargs = access.kwargs(world)
        if "slug" not in kwargs or name.startswith("issues:public"):
            continue
        response = client.get(reverse(name, kwargs=kwargs))
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        items = trail(response.content.decode())
        if not items:
            continue
        checked.append(name)
        if items[:2] != ["My programs", world.program.name] and items[:1] != ["My programs"]:
            wrong.append(f"{name}: {' / '.join(items)}")
    assert {"insights:health", "insights:brief", "issues:feed_list", "issues:mention_list"} <= set(checked)
    assert {"issues:import_start", "issues:settings", "advocacy:member_edit", "issues:feed_edit"} <= set(checked)
    assert wrong == []
