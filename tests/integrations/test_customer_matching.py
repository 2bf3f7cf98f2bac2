"""A webhook's customer joins the program's customer of the same e-mail (issues.services.customers)."""

import pytest

from integrations import mapping
from integrations.models import Delivery, Kind
from issues import services as issue_services
from issues.models import Customer, HotIssue

pytestmark = pytest.mark.django_db


def test_two_bad_ratings_from_one_address_are_one_customer_and_the_second_is_a_repeat(
    make_source, deliver, run_jobs, program, manager
):
    staff = issue_services.create_issue(
        program=program, actor=manager, title="Called about the bill", level=2, customer_email="Sam.Sample1@example.com"
    )
    source = make_source(Kind.STANDARD)
    assert deliver(source, mapping.sample_body(Kind.STANDARD, n=1)).status_code == 202
    assert run_jobs() == [Delivery.Outcome.ISSUE_CREATED]
    rated = HotIssue.objects.exclude(pk=staff.pk).get()
    assert rated.customer_id == staff.customer_id and rated.is_repeat
    customer = Customer.objects.get()
    assert customer.name == "Sam Sample"  # learnt from the webhook, filled in
