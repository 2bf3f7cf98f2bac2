import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from advocacy.models import Membership, Program, ThanksNote

pytestmark = pytest.mark.django_db


def test_demo_creates_programs_people_and_thanks_and_can_run_twice(capsys):
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert "password for all: baton-demo" in out
    assert "maria" in out
    assert Program.objects.filter(slug__in=["support-desk", "web-shop"]).count() == 2
    assert get_user_model().objects.count() >= 10
    assert Membership.objects.filter(program__slug="support-desk", role="manager").exists()
    assert ThanksNote.objects.count() >= 4
    assert get_user_model().objects.get(username="maria").check_password("baton-demo")
