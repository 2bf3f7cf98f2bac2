"""Whatever a stranger types into the public form, nothing breaks and nothing is shown raw."""

import itertools

import pytest
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues.models import HotIssue

addresses = (f"198.51.100.{n % 250}" for n in itertools.count())


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.text(max_size=300),
    summary=st.text(max_size=100),
    level=st.one_of(st.integers(-3, 9).map(str), st.text(max_size=5)),
    email=st.one_of(st.just(""), st.emails(), st.text(max_size=30)),
    phone=st.text(max_size=60),
)
def test_public_form_never_fails_and_escapes(client, program, manager, words, summary, level, email, phone):
    response = client.post(
        reverse("issues:public_form", args=[program.slug]),
        {"summary": summary, "what_happened": words, "level": level, "email": email, "phone": phone},
        REMOTE_ADDR=next(addresses),
    )
    assert response.status_code in (201, 400)
    if response.status_code == 201:
        issue = HotIssue.objects.latest("pk")
        page = client.get(issue.get_tracking_url())
        assert page.status_code == 200
        assert escape(issue.title) in page.content.decode()
