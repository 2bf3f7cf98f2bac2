"""Single-line fields refuse line breaks and control characters, with one message, through the pages."""

import pytest
from django.urls import reverse

from advocacy.models import Program
from core.edge import NOT_SINGLE_LINE, single_line, validate_single_line
from issues.models import Customer, Department, HotIssue

pytestmark = pytest.mark.django_db

PROGRAM = {
    "slug": "",
    "description": "",
    "term_length": "3",
    "custom_months": "",
    "time_zone": "UTC",
    "handoff_time": "09:00",
}


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "a\x1fb", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b"])
def test_the_validator_refuses_every_line_break_and_control_character(value):
    with pytest.raises(Exception, match="single line"):
        validate_single_line(value)
    assert single_line(value) == "a b"


def test_the_validator_lets_ordinary_text_through():
    validate_single_line("Zoë’s desk — “billing” 🚀")
    validate_single_line("")


def test_a_program_name_with_a_line_break_is_refused_on_the_page(client_for, manager, program):
    client = client_for(manager)
    before = Program.objects.count()
    response = client.post(reverse("advocacy:program_create"), {**PROGRAM, "name": "Field\nService"})
    assert response.status_code in (200, 400)
    assert NOT_SINGLE_LINE in response.content.decode()
    assert Program.objects.count() == before


def test_an_issue_title_or_customer_name_with_a_line_break_is_refused_on_the_page(client_for, manager, member, program):
    client = client_for(member)
    url = reverse("issues:create")
    base = {"program": program.slug, "title": "Refund lost", "level": "3", "source": "staff"}
    for data in ({"title": "Refund\nlost"}, {"customer_name": "Greta\r\nBcc: x@example.com"}):
        response = client.post(url, {**base, **data})
        assert response.status_code in (200, 400)
        assert NOT_SINGLE_LINE in response.content.decode()
    assert not HotIssue.objects.exists() and not Customer.objects.exists()
    assert client.post(url, {**base, "customer_name": "Greta Albers"}).status_code == 302
    assert HotIssue.objects.get().customer.name == "Greta Albers"


def test_a_department_name_with_a_line_break_is_refused_on_the_page(client_for, manager, program):
    response = client_for(manager).post(reverse("issues:settings", args=[program.slug]), {"name": "Bill\ning"})
    assert response.status_code == 400
    assert NOT_SINGLE_LINE in response.content.decode()
    assert not Department.objects.exists()
