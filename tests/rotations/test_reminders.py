"""Reminders, each sent once however often the job runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Notification
from rotations import boundaries, reminders, services

pytestmark = pytest.mark.django_db


def test_reminders_are_each_sent_once(desk, people, boss, now):
    # A fixed clock: the closer reminders fall due three days on only after 08:00 in Berlin, so the real
    # time of day would decide the outcome.
    today = boundaries.local_date(program=desk, at=now)
    current = services.create_term(
        program=desk, start_date=today - timedelta(days=60), end_date=today + timedelta(days=5), advocate=people[0]
    )
    services.run_due_handoffs(now=now)
    incoming = services.create_term(
        program=desk, start_date=current.end_date, end_date=current.end_date + timedelta(days=90), advocate=people[1]
    )
    services.create_term(program=desk, start_date=incoming.end_date, end_date=incoming.end_date + timedelta(days=30))
    first = reminders.send_due_reminders(now=now)
    assert reminders.send_due_reminders(now=now) == 0
    kinds = sorted(Notification.objects.values_list("kind", flat=True))
    assert kinds.count("term_starting") == 1 and kinds.count("term_ending") == 1
    assert first >= 2
    # Within two days of the boundary the closer reminders go out, once each. (Counted from the
    # boundary itself, so the test does not depend on the time of day it runs at.)
    current.refresh_from_db()
    later = current.ends_at - timedelta(days=2) + timedelta(minutes=1)
    reminders.send_due_reminders(now=later)
    reminders.send_due_reminders(now=later)
    keys = set(Notification.objects.values_list("dedupe_key", flat=True))
    assert f"term:{incoming.pk}:start3:{people[1].pk}" in keys and f"term:{current.pk}:end2:{people[0].pk}" in keys
    assert Notification.objects.filter(kind="term_starting").count() == 2


def test_managers_hear_of_unassigned_terms_and_unacknowledged_handoffs_once(desk, people, boss):
    now = timezone.now()
    today = boundaries.local_date(program=desk, at=now)
    services.create_term(program=desk, start_date=today + timedelta(days=20))
    reminders.send_due_reminders(now=now)
    reminders.send_due_reminders(now=now + timedelta(days=1))
    assert Notification.objects.filter(user=boss, kind="term_unassigned").count() == 1
    services.run_due_handoffs(now=now + timedelta(days=21))
    reminders.send_due_reminders(now=now + timedelta(days=22))
    assert not Notification.objects.filter(kind="handoff_unacknowledged").exists()  # no advocate to wait for


def test_unacknowledged_handoff_escalates_after_two_working_days(desk, people, boss):
    now = timezone.now()
    today = boundaries.local_date(program=desk, at=now)
    services.create_term(
        program=desk, start_date=today - timedelta(days=1), end_date=today + timedelta(days=60), advocate=people[0]
    )
    services.run_due_handoffs(now=now)
    reminders.send_due_reminders(now=now + timedelta(days=1))
    assert not Notification.objects.filter(kind="handoff_unacknowledged").exists()
    for _ in range(2):
        reminders.send_due_reminders(now=now + timedelta(days=5))
    assert Notification.objects.filter(user=boss, kind="handoff_unacknowledged").count() == 1


def test_open_swaps_get_follow_ups_once_per_round(desk, people, boss):
    today = boundaries.local_date(program=desk, at=timezone.now())
    term = services.create_term(program=desk, start_date=today + timedelta(days=100), advocate=people[0])
    swap = services.request_swap(term=term, requester=people[0], target=people[1])
    later = swap.created_at + timedelta(days=3, hours=1)
    reminders.send_due_reminders(now=later)
    reminders.send_due_reminders(now=later)
    assert Notification.objects.filter(user=people[1], kind="swap_follow_up").count() == 1
    reminders.send_due_reminders(now=later + timedelta(days=3))
    assert Notification.objects.filter(user=people[1], kind="swap_follow_up").count() == 2
    services.accept_swap(swap=swap, user=people[1])
    reminders.send_due_reminders(now=later + timedelta(days=3))
    assert Notification.objects.filter(user=boss, kind="swap_follow_up").count() == 1


def test_managers_hear_once_when_nothing_is_planned_after_a_term(desk, people, boss):
    now = timezone.now()
    today = boundaries.local_date(program=desk, at=now)
    last = services.create_term(
        program=desk, start_date=today - timedelta(days=30), end_date=today + timedelta(days=30), advocate=people[0]
    )
    reminders.send_due_reminders(now=now)
    reminders.send_due_reminders(now=now + timedelta(days=1))
    notes = Notification.objects.filter(user=boss, kind="coverage_gap")
    assert notes.count() == 1 and notes.get().dedupe_key == f"gap:{last.pk}:{boss.pk}"
