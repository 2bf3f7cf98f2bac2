"""Report, reflection, recognition and My page through the test client."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from insights import reports, selectors, services
from insights.models import Recognition, TermReport
from issues.models import Status
from rotations.models import Term
from tests.factories import (
    HotIssueFactory,
    MembershipFactory,
    ProgramFactory,
    RecognitionFactory,
    TermFactory,
    ThanksNoteFactory,
)


@pytest.fixture
def report(finished_term):
    Term.objects.filter(pk=finished_term.pk).update(declaration="Customers first, out loud.")
    return reports.build_term_report(term=finished_term)


def reflection_url(report):
    return reverse("insights:report_reflection", args=[report.program.slug, report.pk])


def detail_url(report):
    return reverse("insights:report_detail", args=[report.program.slug, report.pk])


# ---------------------------------------------------------------- report pages


def test_members_read_the_report_but_only_managers_and_the_advocate_read_the_reflection(
    client_for, report, ann, ben, boss
):
    reports.save_reflection(report=report, actor=ann, notes={"0": "Raised the refund rule in planning."})
    for user, sees in [(ann, True), (boss, True), (ben, False)]:
        body = client_for(user).get(detail_url(report)).content.decode()
        assert "Customers first, out loud." in body
        assert ("Raised the refund rule in planning." in body) is sees, user


def test_report_pages_are_hidden_from_other_programs(client_for, report, outsider):
    client = client_for(outsider)
    assert client.get(detail_url(report)).status_code == 404
    assert client.get(reverse("insights:report_list", args=["desk"])).status_code == 404


def test_report_list_shows_an_empty_state_then_the_reports(client_for, desk, boss, finished_term):
    url = reverse("insights:report_list", args=[desk.slug])
    assert "No term has ended yet" in client_for(boss).get(url).content.decode()
    reports.build_term_report(term=finished_term)
    body = client_for(boss).get(url).content.decode()
    assert "1 Jan 2025 – 31 Mar 2025" in body and "No reflection yet" in body


def test_report_list_is_paginated(client_for, desk, boss, ann):
    for year in range(2000, 2022):
        term = TermFactory(program=desk, advocate=ann, start_date=date(year, 1, 1), status="completed")
        reports.build_term_report(term=term)
    response = client_for(boss).get(reverse("insights:report_list", args=[desk.slug]) + "?page=2")
    assert len(response.context["page"].object_list) == 2


def test_a_report_of_another_program_is_not_found_under_this_program(client_for, report, boss):
    other = ProgramFactory(slug="elsewhere")
    MembershipFactory(program=other, user=boss)
    response = client_for(boss).get(reverse("insights:report_detail", args=["elsewhere", report.pk]))
    assert response.status_code == 404


# ---------------------------------------------------------------- reflection


def test_the_advocate_writes_a_reflection(client_for, report, ann):
    response = client_for(ann).post(reflection_url(report), {"q0": "  I raised it.  ", "q3": "", "q4": "Thanked Leo."})
    assert response.status_code == 302 and response.url == detail_url(report)
    report.refresh_from_db()
    assert report.reflection == {"0": "I raised it.", "4": "Thanked Leo."}
    assert report.reflection_updated_at is not None
    assert report.figures == reports.build_term_report(term=report.term).figures  # the figures stay frozen


@pytest.mark.parametrize("who, status", [("ben", 403), ("boss", 403), ("outsider", 404)])
def test_only_the_advocate_may_edit_the_reflection(client_for, report, who, status, request):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reflection_url(report)).status_code == status
    assert client.post(reflection_url(report), {"q0": "Not mine to write"}).status_code == status
    report.refresh_from_db()
    assert report.reflection == {}


def test_a_too_long_note_is_refused_with_a_clear_message_and_nothing_is_saved(client_for, report, ann):
    response = client_for(ann).post(reflection_url(report), {"q0": "fine", "q1": "x" * 2001})
    assert response.status_code == 200
    assert f"Keep each note under {reports.REFLECTION_MAX} characters." in response.content.decode()
    report.refresh_from_db()
    assert report.reflection == {}


def test_the_service_refuses_anyone_but_the_advocate(report, boss):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reports.save_reflection(report=report, actor=boss, notes={"0": "x"})


# ---------------------------------------------------------------- recognition


def recognition_url(program):
    return reverse("insights:recognition", args=[program.slug])


def test_a_manager_recognizes_a_member_who_is_told(client_for, desk, boss, ann, finished_term):
    response = client_for(boss).post(
        recognition_url(desk), {"recipient": ann.pk, "term": finished_term.pk, "note": "Four customers back."}
    )
    assert response.status_code == 302
    recognition = Recognition.objects.get()
    assert (recognition.recipient, recognition.given_by, recognition.term) == (ann, boss, finished_term)
    note = Notification.objects.get(user=ann, kind="recognition")
    assert note.body == "Four customers back." and note.url == recognition_url(desk)
    assert "Four customers back." in client_for(ann).get(recognition_url(desk)).content.decode()


def test_members_cannot_give_recognitions(client_for, desk, ann, ben):
    response = client_for(ben).post(recognition_url(desk), {"recipient": ann.pk, "note": "Great work"})
    assert response.status_code == 403
    assert not Recognition.objects.exists()
    assert "Recognize a champion" not in client_for(ben).get(recognition_url(desk)).content.decode()


def test_the_recipient_must_be_a_member_of_the_program(client_for, desk, boss, outsider):
    response = client_for(boss).post(recognition_url(desk), {"recipient": outsider.pk, "note": "Great work"})
    assert response.status_code == 200
    assert services.RECIPIENT_NOT_MEMBER in response.content.decode()
    assert not Recognition.objects.exists()
    assert not Notification.objects.filter(kind="recognition").exists()


def test_a_recognition_needs_a_note(client_for, desk, boss, ann):
    response = client_for(boss).post(recognition_url(desk), {"recipient": ann.pk, "note": "   "})
    assert services.NOTE_REQUIRED in response.content.decode()
    assert not Recognition.objects.exists()


def test_the_service_checks_manager_membership_and_term(desk, boss, ann, outsider):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.give_recognition(program=desk, actor=ann, recipient=boss, note="x")
    other_term = TermFactory(start_date=date(2025, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.give_recognition(program=desk, actor=boss, recipient=outsider, note="x", term=other_term)
    assert set(error.value.message_dict) == {"recipient", "term"}


def test_champions_are_the_most_satisfied_customers_and_most_thanks_per_term(
    client_for, desk, boss, ann, ben, finished_term, days
):
    for owner, score in [(ann, 5), (ann, 4), (ben, 5), (ben, 3)]:
        HotIssueFactory(
            program=desk,
            owner=owner,
            status=Status.RESOLVED,
            resolved_at=days(finished_term, 10),
            satisfaction=score,
            created_at=days(finished_term, 9),
        )
    for sender, recipient in [(ann, ben), (boss, ben), (ben, ann)]:
        note = ThanksNoteFactory(program=desk, sender=sender, recipient=recipient)
        type(note).objects.filter(pk=note.pk).update(created_at=days(finished_term, 20))
    from insights.report_selectors import champions

    (row,) = champions(program=desk, terms=[finished_term])
    assert row.satisfied == [(ann, 2)]
    assert row.thanked == [(ben, 2)]
    body = client_for(ben).get(recognition_url(desk)).content.decode()
    assert "Most customers helped back to satisfied" in body


def test_recognition_page_never_shows_another_programs_data(client_for, desk, boss, ann, outsider):
    other = outsider.memberships.get().program
    RecognitionFactory(program=other, recipient=outsider, given_by=outsider, note="Zanzibar secret praise")
    ThanksNoteFactory(program=other, sender=outsider, recipient=ann, message="Zanzibar secret thanks")
    body = client_for(boss).get(recognition_url(desk)).content.decode()
    assert "Zanzibar" not in body


# ---------------------------------------------------------------- my page


def test_my_page_shows_only_my_things(client_for, desk, ann, ben, boss, report):
    mine = HotIssueFactory(program=desk, owner=ann, title="Angry customer of Ann", level=5)
    HotIssueFactory(program=desk, owner=ben, title="Customer of Ben")
    HotIssueFactory(program=desk, owner=ann, title="Closed one of Ann", status=Status.RESOLVED)
    ThanksNoteFactory(program=desk, sender=ben, recipient=ann, message="Thanks for Ann")
    ThanksNoteFactory(program=desk, sender=ann, recipient=ben, message="Thanks for Ben")
    RecognitionFactory(program=desk, recipient=ben, given_by=boss, note="Ben recognized")
    Notification.objects.create(user=ben, kind="x", title="Notice for Ben", dedupe_key="ben-1")
    TermFactory(program=desk, advocate=ben, start_date=date(2099, 1, 1))
    upcoming = TermFactory(program=desk, advocate=ann, start_date=date(2098, 1, 1))
    response = client_for(ann).get(reverse("insights:my_page"))
    body = response.content.decode()
    assert mine.title in body and "Closed one of Ann" not in body and "Customer of Ben" not in body
    assert "Thanks for Ann" in body and "Thanks for Ben" not in body
    assert "Ben recognized" not in body and "Notice for Ben" not in body
    assert "Your Desk term report is ready" in body
    assert detail_url(report) in body and reflection_url(report) in body
    assert list(response.context["terms"]) == [upcoming]
    assert "Get your calendar address" in body


def test_my_page_has_empty_states(client_for, outsider):
    body = client_for(outsider).get(reverse("insights:my_page")).content.decode()
    assert "No open issues are yours right now." in body
    assert "No terms planned for you." in body
    assert "When one of your terms ends, its report appears here." in body


def test_my_page_needs_a_sign_in(client):
    response = client.get(reverse("insights:my_page"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_navigation_links_to_my_page(client_for, ann):
    body = client_for(ann).get(reverse("advocacy:program_list")).content.decode()
    assert f'href="{reverse("insights:my_page")}"' in body


def test_the_program_page_links_to_reports_and_recognition(client_for, desk, ben, report):
    body = client_for(ben).get(reverse("advocacy:program_detail", args=[desk.slug])).content.decode()
    assert reverse("insights:report_list", args=[desk.slug]) in body
    assert detail_url(report) in body
    assert TermReport.objects.count() == 1


@pytest.mark.django_db
def test_admin_pages_for_insights_load(client, superuser, finished_term):
    report = reports.build_term_report(term=finished_term)
    client.force_login(superuser)
    for url in [
        "/admin/insights/termreport/",
        f"/admin/insights/termreport/{report.pk}/change/",
        "/admin/insights/recognition/",
        "/admin/insights/recognition/add/",
        "/admin/insights/briefsubscription/",
        "/admin/insights/briefquestion/",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/insights/termreport/add/").status_code == 403


def test_the_health_tables_name_each_week_by_its_monday_in_the_program_zone(client_for, desk, boss):
    HotIssueFactory(program=desk, level=4, created_at=timezone.now() - timedelta(minutes=1))
    WEEKS = selectors.WEEKS_SHOWN
    body = client_for(boss).get(reverse("insights:health", args=[desk.slug])).content.decode()
    labels = re.findall(r'<th scope="row" class="fw-normal text-nowrap">([^<]+)</th>', body)
    weeks = selectors.program_health(program=desk).weeks
    expected = [f"{w.week.day} {w.week:%b %Y}" for w in weeks]
    assert labels == expected * 5  # five tables, one row per week
    assert all(w.week.weekday() == 0 and w.week.hour == 0 for w in weeks)
    last_week = re.findall(r"<tr><th scope=\"row\" class=\"fw-normal text-nowrap\">[^<]+</th>(.*?)</tr>", body)[
        WEEKS - 1
    ]
    assert last_week == "".join(f'<td class="text-end">{n}</td>' for n in (0, 0, 0, 1, 0, 1))
