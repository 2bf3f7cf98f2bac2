"""Layout checks a person sees at once: forms line up with their breadcrumb, inputs show what they hold."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.test_access_matrix import ACCESS, World, rotations_world

pytestmark = pytest.mark.django_db(transaction=True)

# The pages that are one narrow form (or one question) under a breadcrumb, and who sees the form.
NARROW_FORMS = {
    "advocacy:program_settings": "manager",
    "advocacy:member_edit": "manager",
    "advocacy:member_remove": "manager",
    "rotations:term_add": "manager",
    "rotations:term_edit": "manager",
    "rotations:term_handover": "manager",
    "rotations:cover_add": "manager",
    "rotations:swap_request": "advocate",
    "rotations:settings": "manager",
    "issues:settings": "manager",
    "issues:feed_edit": "manager",
    "issues:feed_remove": "manager",
}
LEFT_EDGES = """() => {
  const trail = document.querySelector('main ol.breadcrumb');
  const form = document.querySelector('main form[method=post]');
  const box = form && (form.closest('.card') || form);
  return [trail && trail.getBoundingClientRect().left, box && box.getBoundingClientRect().left];
}"""


@pytest.fixture
def world():
    world = World()
    rotations_world(world)
    return world


def signed_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


@pytest.mark.parametrize("width", [1280, 375])
def test_narrow_forms_start_at_the_left_edge_of_their_breadcrumb(page, live_server, world, width):
    page.set_viewport_size({"width": width, "height": 900})
    misaligned = {}
    for name, role in NARROW_FORMS.items():
        signed_in(page, live_server, world.users[role])
        page.goto(live_server.url + reverse(name, kwargs=ACCESS[name].kwargs(world)))
        trail, box = page.evaluate(LEFT_EDGES)
        assert trail is not None and box is not None, name
        if abs(trail - box) > 1:
            misaligned[name] = (trail, box)
    assert misaligned == {}


# The room a date input needs to show "12/31/2026" in its own font, plus its padding and the calendar button.
DATE_ROOM = """() => [...document.querySelectorAll('.filter-bar input[type=date]')].map((input) => {
  const style = getComputedStyle(input);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const needed = ctx.measureText('12/31/2026').width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 24;
  return [input.name, Math.round(input.getBoundingClientRect().width), Math.round(needed)];
})"""


@pytest.mark.parametrize("width", [1280, 992, 375])
def test_the_logs_date_filters_are_wide_enough_to_show_the_year(page, live_server, world, width):
    signed_in(page, live_server, world.users["manager"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{reverse('issues:log')}?created_after=2026-01-15&created_before=2026-12-31")
    inputs = page.evaluate(DATE_ROOM)
    assert [name for name, *_ in inputs] == ["created_after", "created_before"]
    assert [(name, shown) for name, shown, needed in inputs if shown < needed] == []
