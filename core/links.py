"""Addresses a page writes on every request, reversed once.

reverse() costs about 50 µs; a page's navigation and a log's rows write the
same dozen addresses on every request. An address only changes with the
URLconf or the script prefix, which are part of what it is remembered by.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=512)
def _reversed(name: str, kwargs: tuple, urlconf, prefix: str) -> str:
    return reverse(name, kwargs=dict(kwargs), urlconf=urlconf)


def reverse_once(name: str, **kwargs) -> str:
    """reverse(name, kwargs=kwargs), remembered per URLconf and script prefix."""
    return _reversed(name, tuple(sorted(kwargs.items())), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
