"""`{% page_url 'name' %}`: the address of a page that takes no arguments, reversed once.

Every page's navigation links to a dozen such pages; `{% url %}` reverses each
on every request (about 50 µs apiece). The address only changes with the
URLconf or the script prefix, which are part of what it is remembered by.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=512)
def _reversed(name: str, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def page_url(name: str) -> str:
    """{% page_url 'issues:log' %} → "/issues/", as {% url 'issues:log' %} gives it."""
    return _reversed(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
