"""Planning without dead ends: fill gaps, assign someone to a gap, never plan into the past, plan exactly a year."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Notification
from core.edge import DATE_OUT_OF_RANGE
from rotations import boundaries, services
from rotations.models import Term
from tests.factories import MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_gap(desk, people, make_term, now):
    """Ann's current term (Apr-Jun 2026), then nothing in Jul-Sep, then Ben from October 2026."""
    current = make_term(date(2026, 4, 1), people[0])
    services.run_due_handoffs(now=now)
    later = make_term(date(2026, 10, 1), people[1])
    return current, later


def test_fill_gaps_proposes_a_term_for_every_uncovered_span_and_saves_it(desk, people, boss, with_gap, now):
    preview = services.preview_plan(program=desk, count=1, now=now, fill_gaps=True)
    assert [(r.start_date, r.end_date, r.is_new) for r in preview.rows] == [(date(2026, 7, 1), date(2026, 10, 1), True)]
    assert preview.rows[0].new != people[0]  # not back to back after her term
    services.save_plan(program=desk, actor=boss, count=1, fingerprint=preview.fingerprint, now=now, fill_gaps=True)
    starts = list(Term.objects.filter(program=desk).order_by("starts_at").values_list("start_date", flat=True))
    assert starts == [date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]


def test_fill_gaps_says_so_when_there_is_none(desk, people, make_term, now):
    make_term(date(2026, 4, 1), people[0])
    services.run_due_handoffs(now=now)
    with pytest.raises(ValidationError) as refused:
        services.preview_plan(program=desk, count=1, now=now, fill_gaps=True)
    assert refused.value.messages == [services.NO_GAPS]


def test_the_current_gap_on_the_schedule_offers_assign_someone(client_for, desk, people, boss):
    today = boundaries.local_date(program=desk, at=timezone.now())
    later = services.create_term(
        program=desk, start_date=boundaries.add_months(today.replace(day=1), 1), advocate=people[1]
    )
    body = client_for(boss).get(reverse("rotations:schedule", kwargs={"slug": "desk"})).content.decode()
    link = f"{reverse('rotations:term_add', kwargs={'slug': 'desk'})}?start={today:%Y-%m-%d}&amp;until={later.start_date:%Y-%m-%d}"
    assert link in body
    url = reverse("rotations:term_add", kwargs={"slug": "desk"})
    page = client_for(boss).get(url, {"start": f"{today:%Y-%m-%d}", "until": f"{later.start_date:%Y-%m-%d}"})
    assert page.context["form"].initial == {"start_date": today, "end_date": later.start_date}
    response = client_for(boss).post(
        url, {"advocate": people[2].pk, "start_date": f"{today:%Y-%m-%d}", "end_date": f"{later.start_date:%Y-%m-%d}"}
    )
    assert response.status_code == 302
    term = Term.objects.get(program=desk, start_date=today)
    assert term.advocate == people[2] and term.pinned
    assert Notification.objects.filter(user=people[2], kind="term_assigned").exists()
    assert client_for(people[3]).get(url).status_code == 403


def test_a_term_by_hand_cannot_start_in_the_past(desk, people, boss):
    today = boundaries.local_date(program=desk, at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        services.add_term(program=desk, actor=boss, start_date=date(2020, 1, 1), end_date=today, advocate=people[0])
    assert refused.value.code == "past"


def test_planning_into_the_past_is_refused_with_a_clear_message(client_for, desk, people, boss, now):
    with pytest.raises(ValidationError) as refused:
        services.preview_plan(program=desk, count=2, start_date=date(2026, 1, 1), now=now)
    assert refused.value.messages == [services.PLAN_IN_PAST % {"day": "1 Jan 2026"}]
    response = client_for(boss).get(
        reverse("rotations:plan", kwargs={"slug": "desk"}), {"count": 2, "start_date": "2020-01-01"}
    )
    assert "A plan cannot start in the past" in response.content.decode()
    assert response.context["preview"] is None


def test_planning_after_a_term_long_over_starts_from_next_month_not_in_the_past(desk, people, make_term, now):
    make_term(date(2025, 1, 1), people[0])  # ended April 2025
    preview = services.preview_plan(program=desk, count=1, now=now)
    assert preview.rows[0].start_date == date(2026, 6, 1)


def test_plan_the_next_year_plans_exactly_twelve_months_for_any_term_length(client_for, boss, desk, people, now):
    assert services.terms_to_cover(program=desk, now=now) == 4  # quarterly
    monthly = ProgramFactory(slug="monthly", term_months=1)
    assert services.terms_to_cover(program=monthly, now=now) == 12
    response = client_for(boss).get(reverse("rotations:plan", kwargs={"slug": "desk"}), {"year": "1"})
    assert len(response.context["preview"].rows) == services.terms_to_cover(program=desk)


def test_the_planner_prefers_whoever_serves_less_in_other_programs(desk, people, now):
    other = ProgramFactory(slug="other")
    MembershipFactory(program=other, user=people[0])
    services.create_term(program=other, start_date=date(2026, 6, 1), advocate=people[0])
    services.create_term(program=other, start_date=date(2026, 9, 1), advocate=people[0])
    preview = services.preview_plan(program=desk, count=3, now=now)
    assert people[0] not in [r.new for r in preview.rows]
    assert preview.elsewhere == {people[0].pk: 2}


def test_the_preview_ledger_shows_terms_in_other_programs(client_for, desk, people, boss):
    other = ProgramFactory(slug="other")
    MembershipFactory(program=other, user=people[0])
    today = boundaries.local_date(program=other, at=timezone.now())
    services.create_term(program=other, start_date=boundaries.first_of_next_month(today), advocate=people[0])
    body = client_for(boss).get(reverse("rotations:plan", kwargs={"slug": "desk"}), {"count": 2}).content.decode()
    assert "(1 term in other programs)" in body


def test_the_services_refuse_dates_outside_the_sensible_range(desk, people):
    for call in (
        lambda: services.create_term(program=desk, start_date=date(1900, 1, 1), advocate=people[0]),
        lambda: services.record_leave(user=people[0], first_day=date(1999, 12, 31), last_day=date(2026, 1, 1)),
        lambda: services.preview_plan(program=desk, count=1, start_date=date(2150, 1, 1)),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.messages == [DATE_OUT_OF_RANGE]
