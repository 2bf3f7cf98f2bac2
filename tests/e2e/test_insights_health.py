"""Journey: a manager looks at the program's health charts, then prepares and prints the brief."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advocacy.models import Membership
from issues import services
from rotations.models import Term
from tests.factories import PASSWORD, HotIssueFactory, MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "shots"

CANVAS_DRAWN = """() => [...document.querySelectorAll('canvas[data-chart]')].map((c) => {
  const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return true; }
  return false;
})"""


@pytest.fixture
def desk():
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    maria = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="maria").user
    dana = MembershipFactory(program=program, user__username="dana", user__first_name="Dana").user
    now = timezone.now()
    for start, end, who in [(-95, -5, maria), (-5, 85, dana)]:
        Term.objects.create(
            program=program,
            advocate=who,
            start_date=(now + timedelta(days=start)).date(),
            end_date=(now + timedelta(days=end)).date(),
            starts_at=now + timedelta(days=start),
            ends_at=now + timedelta(days=end),
        )
    for i in range(40):
        created = now - timedelta(days=i * 7 + 1)
        HotIssueFactory(
            program=program,
            owner=dana,
            level=i % 5 + 1,
            created_at=created,
            first_outreach_due_at=created + timedelta(hours=24),
            first_outreach_at=created + timedelta(hours=i % 9 + 1),
            status="resolved" if i % 3 else "contacted",
            resolved_at=created + timedelta(hours=30) if i % 3 else None,
            satisfaction=i % 5 + 1 if i % 3 else None,
        )
    services.create_issue(
        program=program,
        actor=maria,
        title="Charged twice",
        words="Call me on 0171 2345678, this is the third time!",
        level=5,
        customer_name="Greta Albers",
        customer_email="greta@example.com",
    )
    return program


def test_manager_reads_the_health_charts_and_prints_the_brief(page, live_server, sign_in, desk):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/{desk.slug}/")
    page.get_by_role("link", name="Program health").click()
    expect(page.get_by_role("heading", name="Program health")).to_be_visible()
    expect(page.locator("canvas[data-chart]")).to_have_count(5)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(CANVAS_DRAWN) == [True] * 5
    expect(page.locator(".current-term")).to_contain_text("Dana")
    page.screenshot(path=str(SHOTS / "e2e-health.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(300)  # Chart.js redraws on resize
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "e2e-health-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Customer's-chair brief").first.click()
    expect(page.get_by_role("heading", name="Top hot issues")).to_be_visible()
    expect(page.locator(".brief-issue", has_text="this is the third time")).to_have_count(1)
    body = page.content()
    assert "0171 2345678" not in body and "Greta" not in body and "greta@example.com" not in body
    page.get_by_label("A question for the team").fill("Who owns refunds over €100?")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".question-list")).to_contain_text("Who owns refunds over €100?")
    page.get_by_role("button", name="E-mail me this brief every Monday").click()
    expect(page.get_by_role("button", name="Stop the weekly e-mail")).to_be_visible()
    page.screenshot(path=str(SHOTS / "e2e-brief.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Add the question")).to_be_hidden()
    page.pdf(path=str(SHOTS / "e2e-brief.pdf"), format="A4")


# For each chart: the x-axis labels as drawn, and whether any two of them overlap or run off the canvas.
X_LABELS = """() => [...document.querySelectorAll('canvas[data-chart]')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const x = chart.scales.x;
  const ctx = chart.ctx;
  ctx.save();
  ctx.font = Chart.helpers.toFont(x.options.ticks.font).string;
  const boxes = x.ticks.map((tick, i) => {
    const width = ctx.measureText(String(tick.label)).width;
    const centre = x.getPixelForTick(i);
    return [centre - width / 2, centre + width / 2];
  });
  ctx.restore();
  const overlap = boxes.some((box, i) => i > 0 && box[0] < boxes[i - 1][1] + 2);
  const outside = boxes.some(([left, right]) => left < 0 || right > chart.width);
  return { chart: canvas.dataset.chart, labels: x.ticks.map((t) => t.label), overlap, outside };
})"""
# Each table caption's right edge against the right edge of what shows of its scrolling box.
CAPTIONS = """() => [...document.querySelectorAll('.table-responsive caption')].map((caption) => {
  const box = caption.closest('.table-responsive').getBoundingClientRect();
  return Math.round(caption.getBoundingClientRect().right - box.right);
})"""


@pytest.mark.parametrize("width", [375, 1280])
def test_health_charts_labels_never_overlap_and_captions_stay_on_screen(page, live_server, sign_in, desk, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/{desk.slug}/health/")
    page.wait_for_load_state("networkidle")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    charts = page.evaluate(X_LABELS)
    assert len(charts) == 5
    assert [c["chart"] for c in charts if c["overlap"] or c["outside"]] == [], charts
    assert all(len(c["labels"]) >= 2 for c in charts), charts
    assert [over for over in page.evaluate(CAPTIONS) if over > 0] == []


def test_health_charts_relabel_when_the_window_narrows(page, live_server, sign_in, desk):
    sign_in(page, "maria", PASSWORD)
    page.goto(f"{live_server.url}/programs/{desk.slug}/health/")
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')].every((c) => Chart.getChart(c).width < 400)"
    )
    charts = page.evaluate(X_LABELS)
    assert [c["chart"] for c in charts if c["overlap"] or c["outside"]] == [], charts
