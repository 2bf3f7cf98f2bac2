import pytest
from django.core.management import call_command

from integrations.models import Delivery, Source

pytestmark = pytest.mark.django_db


def test_demo_adds_sources_with_deliveries_of_each_kind_and_can_run_twice():
    call_command("demo")
    call_command("demo")
    assert Source.objects.filter(program__slug="support-desk").count() == 2
    outcomes = set(Delivery.objects.values_list("outcome", flat=True))
    assert {"issue_created", "good_rating", "duplicate", "refused"} <= outcomes
