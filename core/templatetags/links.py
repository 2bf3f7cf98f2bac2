"""`{% page_url 'name' %}`: the address of a page that takes no arguments, reversed once (core.links).

Every page's navigation links to a dozen such pages; `{% url %}` reverses each
on every request.
"""

from django import template

from core.links import reverse_once

register = template.Library()


@register.simple_tag
def page_url(name: str) -> str:
    """{% page_url 'issues:log' %} → "/issues/", as {% url 'issues:log' %} gives it."""
    return reverse_once(name)
