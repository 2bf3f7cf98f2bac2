"""The demo shows Support Desk mid-term with history and future terms, and Web Shop's monthly terms."""

from io import StringIO

import pytest
from django.core.management import call_command

from advocacy.models import Program
from rotations.models import Handoff, Term
from rotations.selectors import current_advocate


@pytest.mark.django_db
def test_demo_builds_a_program_mid_term_and_can_run_twice():
    for _ in range(2):
        call_command("demo", "--quiet-logins", stdout=StringIO())
    desk = Program.objects.get(slug="support-desk")
    assert current_advocate(program=desk).username == "dana"
    statuses = list(Term.objects.filter(program=desk).values_list("status", flat=True))
    assert statuses.count("completed") >= 3 and statuses.count("active") == 1 and statuses.count("planned") >= 3
    assert Handoff.objects.filter(program=desk).exists()
    shop = Program.objects.get(slug="web-shop")
    assert Term.objects.filter(program=shop, status="planned").count() >= 6
    assert current_advocate(program=shop) is not None
