"""Input at the edge: a NUL byte anywhere is a plain 400 that changes nothing; redirects stay on this site."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from advocacy.models import ThanksNote
from core.edge import IMPOSSIBLE_DATE, UNSTORABLE, safe_next

pytestmark = pytest.mark.django_db


def test_a_nul_in_an_anonymous_path_segment_is_a_400_not_a_500(client):
    response = client.get("/calendar/abc%00def.ics")
    assert response.status_code == 400
    assert UNSTORABLE in response.content.decode()


def test_a_nul_in_a_query_parameter_or_its_name_is_a_400(client_for, program, member):
    client = client_for(member)
    log = reverse("issues:log")
    assert client.get(log, {"q": "refund\x00"}).status_code == 400
    assert client.get(log + "?le%00vel=5").status_code == 400
    assert client.get(log, {"q": "refund"}).status_code == 200


def test_a_nul_in_a_form_field_saves_nothing(client_for, program, manager, member):
    client = client_for(member)
    url = reverse("advocacy:thanks_list", kwargs={"slug": program.slug})
    response = client.post(url, {"recipient": manager.pk, "message": "Thank you\x00 for the call"})
    assert response.status_code == 400
    assert not ThanksNote.objects.exists()


def test_a_nul_in_a_multipart_field_is_a_400(client_for, program, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(manager)
    url = reverse("advocacy:thanks_list", kwargs={"slug": program.slug})
    upload = SimpleUploadedFile("issues.csv", b"title\nx\n", content_type="text/csv")
    response = client.post(url, {"file": upload, "message": "a\x00b", "recipient": manager.pk})
    assert response.status_code == 400
    assert not ThanksNote.objects.exists()


@pytest.mark.parametrize(
    "target",
    ["thanks", "https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", "", None],
)
def test_safe_next_keeps_only_paths_on_this_site(target):
    request = RequestFactory().get("/")
    assert safe_next(request, target, "/fallback/") == "/fallback/"


def test_safe_next_keeps_a_local_path_with_its_query():
    request = RequestFactory().get("/")
    assert safe_next(request, "/programs/desk/?page=2", "/fallback/") == "/programs/desk/?page=2"


@pytest.mark.parametrize("target", ["thanks", "https://evil.example/", "javascript:alert(1)", "//evil.example"])
def test_thanks_with_a_foreign_next_is_saved_once_and_lands_on_the_thanks_page(
    client_for, program, manager, member, target
):
    client = client_for(member)
    url = reverse("advocacy:thanks_list", kwargs={"slug": program.slug})
    response = client.post(url, {"recipient": manager.pk, "message": "Thanks for the call", "next": target})
    assert response.status_code == 302
    assert response["Location"] == url
    assert ThanksNote.objects.count() == 1


@pytest.mark.parametrize("typed", ["9998-01-01", "1899-12-31", "2100-01-01"])
def test_a_date_outside_the_sensible_range_is_a_form_error(typed, program):
    from core.edge import DATE_OUT_OF_RANGE
    from rotations.forms import LeaveForm, PlanForm

    plan = PlanForm({"count": 4, "start_date": typed})
    assert not plan.is_valid() and plan.errors["start_date"] == [DATE_OUT_OF_RANGE]
    leave = LeaveForm({"first_day": typed, "last_day": typed})
    assert not leave.is_valid() and DATE_OUT_OF_RANGE in leave.errors["first_day"]


def test_an_outreach_next_attempt_at_the_end_of_year_9999_is_refused():
    from core.edge import DATE_OUT_OF_RANGE
    from issues.forms import OutreachForm

    form = OutreachForm({"channel": "phone", "outcome": "spoke", "next_attempt_due_at": "9999-12-31T23:00"})
    assert not form.is_valid() and form.errors["next_attempt_due_at"] == [DATE_OUT_OF_RANGE]
    form = OutreachForm({"channel": "phone", "outcome": "spoke", "next_attempt_due_at": "2026-12-03T09:00"})
    assert form.is_valid(), form.errors


def test_the_log_date_filter_refuses_year_9999_without_a_500(client_for, program, member):
    response = client_for(member).get(reverse("issues:log"), {"created_after": "9999-12-31"})
    assert response.status_code in (200, 400)
    assert "Choose a date between 2000 and 2099." in response.content.decode()


def test_an_admin_date_drilldown_past_9998_is_a_400_not_a_500(client_for, superuser):
    client = client_for(superuser)
    url = reverse("admin:issues_hotissue_changelist")
    for year in ("9999", "99999999999999999999", "0"):
        response = client.get(url, {"created_at__year": year})
        assert response.status_code == 400, year
        assert IMPOSSIBLE_DATE in response.content.decode()
    assert client.get(url, {"created_at__year": "2026", "created_at__month": "12"}).status_code == 200
    assert client.get(url, {"created_at__year": "2026", "created_at__month": "13"}).status_code == 400
