"""`{% page_url %}`: an argument-less page's address, reversed once, as `{% url %}` gives it."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix


def render(text: str) -> str:
    return engines["django"].from_string(text).render({})


def test_page_url_gives_what_url_gives():
    for name in ("home", "issues:log", "issues:export", "advocacy:my_profile", "logout"):
        assert render(f"{{% page_url '{name}' %}}") == render(f"{{% url '{name}' %}}") == reverse(name)


def test_page_url_follows_the_script_prefix():
    set_script_prefix("/baton/")
    try:
        assert render("{% page_url 'issues:log' %}") == "/baton/issues/"
    finally:
        clear_script_prefix()
    assert render("{% page_url 'issues:log' %}") == "/issues/"


def test_an_unknown_name_fails_as_url_does():
    with pytest.raises(NoReverseMatch):
        render("{% page_url 'no-such-page' %}")
