"""Handing over early: the outgoing note is asked for, a program may require it, cancelled covers are told."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from rotations import boundaries, services
from rotations.models import Cover, RotationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def current(desk, people):
    today = boundaries.local_date(program=desk, at=timezone.now())
    term = services.create_term(program=desk, start_date=today.replace(day=1), advocate=people[0])
    services.run_due_handoffs()
    term.refresh_from_db()
    return term


def test_the_hand_over_page_asks_for_the_note_prefilled_with_the_draft(client_for, people, boss, current):
    services.write_handoff_note(term=current, author=people[0], note="Draft: ring Globex on Monday.")
    url = reverse("rotations:term_handover", kwargs={"slug": "desk", "pk": current.pk})
    body = client_for(boss).get(url).content.decode()
    assert '<textarea name="handoff_note"' in body
    assert "Draft: ring Globex on Monday." in body
    client_for(boss).post(url, {"to": people[1].pk, "handoff_note": "Final: ring Globex on Monday."})
    current.refresh_from_db()
    assert current.handoff_note == "Final: ring Globex on Monday."


def test_a_program_can_require_a_note_before_handing_over_early(client_for, desk, people, boss, current):
    services.save_rotation_settings(
        program=desk,
        actor=boss,
        allow_back_to_back=False,
        max_terms_per_year=0,
        auto_approve_swaps=False,
        require_note_to_hand_over_early=True,
    )
    with pytest.raises(ValidationError) as refused:
        services.hand_over_now(term=current, to=people[1], actor=boss, note="  ")
    assert refused.value.messages == [services.NOTE_REQUIRED]
    url = reverse("rotations:term_handover", kwargs={"slug": "desk", "pk": current.pk})
    response = client_for(boss).post(url, {"to": people[1].pk, "handoff_note": ""})
    assert response.status_code == 200
    assert services.NOTE_REQUIRED.split(":")[0] in response.content.decode()
    current.refresh_from_db()
    assert current.status == current.Status.ACTIVE
    handoff = services.hand_over_now(term=current, to=people[1], actor=boss, note="Globex waits for a call.")
    assert handoff.outgoing_term.handoff_note == "Globex waits for a call."


def test_the_rule_is_a_manager_setting_on_the_rules_page(client_for, desk, boss):
    url = reverse("rotations:settings", kwargs={"slug": "desk"})
    assert "Require a handoff note before handing over early" in client_for(boss).get(url).content.decode()
    client_for(boss).post(url, {"max_terms_per_year": 0, "require_note_to_hand_over_early": "on"})
    assert RotationSettings.objects.get(program=desk).require_note_to_hand_over_early


def test_a_planned_cover_removed_by_the_early_handover_is_told_to_the_cover_person(desk, people, boss, current):
    today = boundaries.local_date(program=desk, at=timezone.now())
    first = today + timedelta(days=3)
    services.add_cover(
        term=current, actor=boss, person=people[3], first_day=first, last_day=first + timedelta(days=1), reason=""
    )
    services.hand_over_now(term=current, to=people[1], actor=boss)
    assert not Cover.objects.filter(person=people[3]).exists()
    notice = Notification.objects.get(user=people[3], kind="cover_cancelled")
    assert "cancelled" in notice.title and "handed over early" in notice.body
