"""The customer's tracking link: only the exact token opens it, it shows only public fields, and it asks
how satisfied the customer is once the issue is resolved."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from advocacy.models import Notification
from issues import services
from issues.models import HotIssue, IssueEvent, new_tracking_token
from tests.factories import DepartmentFactory, MembershipFactory, ProgramFactory, UserFactory, closing

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(program):
    return MembershipFactory(
        program=program,
        user=UserFactory(username="dana", first_name="Dana", last_name="Hiddenlast", email="dana@staff.example"),
    ).user


@pytest.fixture
def issue(program, owner, member):
    billing, shipping = DepartmentFactory(program=program, name="Billing"), DepartmentFactory(program=program)
    issue = services.create_issue(
        program=program,
        actor=member,
        owner=owner,
        title="Parcel lost",
        words="PRIVATE-WORDS the courier was rude",
        level=5,
        public=True,
        source_url="https://reviews.example/PRIVATE-SOURCE",
        department=billing,
        customer_name="PRIVATE-NAME Ana",
        customer_email="private-email@example.com",
        customer_phone="+49 30 999888",
        customer_company="PRIVATE-COMPANY GmbH",
    )
    services.log_outreach(issue=issue, actor=owner, channel="phone", outcome="spoke", note="PRIVATE-NOTE")
    services.transfer_issue(issue=issue, actor=owner, reason="PRIVATE-REASON", to_department=shipping, to_owner=owner)
    services.resolve(issue=issue, actor=owner, resolution="PRIVATE-RESOLUTION refunded", **closing(issue))
    return HotIssue.objects.get(pk=issue.pk)


def forged_tokens(token: str, pk: int) -> list[str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [
        new_tracking_token(),  # well-formed, random
        flipped,  # one character off
        token.swapcase(),
        token.upper(),
        token[:-1],  # truncated by one
        token[:20],
        token[:8],
        token + "x",  # extended
        token + "/../",
        str(pk),
        str(pk).zfill(32),
        "x" * 32,
        "-" * 32,
        token[:16] + "\x00" + token[17:],  # a NUL byte must not reach PostgreSQL
    ]


def test_forged_or_truncated_tokens_get_404(client, issue):
    assert client.get(issue.get_tracking_url()).status_code == 200
    for token in forged_tokens(issue.tracking_token, issue.pk):
        url = "/track/" + token + "/"
        # A token with a NUL byte is refused at the edge (400), before any lookup; any other forgery is not found.
        expected = 400 if "\x00" in token else 404
        for response in (client.get(url), client.post(url, {"satisfaction": "5"})):
            assert response.status_code == expected, (token, response.status_code)
            assert "Parcel lost" not in response.content.decode()
    issue.refresh_from_db()
    assert issue.satisfaction is None


def test_another_issues_token_opens_only_that_issue(client, issue, program):
    other_program = ProgramFactory(name="Other Team", slug="other-team")
    manager = MembershipFactory(program=other_program, role="manager", user__first_name="Olga").user
    other = services.create_issue(
        program=other_program, actor=manager, title="Wrong size shoes", words="OTHER-WORDS", level=2
    )
    body = client.get(other.get_tracking_url()).content.decode()
    assert "Wrong size shoes" in body and "Your advocate is Olga" in body
    assert "Parcel lost" not in body and "Dana" not in body and program.name not in body
    mine = client.get(issue.get_tracking_url()).content.decode()
    assert "Wrong size shoes" not in mine and "OTHER-WORDS" not in mine
    # A deleted issue's link stops working.
    token = other.tracking_token
    other.delete()
    assert client.get(reverse("issues:track", args=[token])).status_code == 404


def test_tracking_page_shows_only_the_issues_public_fields(client, issue, program):
    response = client.get(issue.get_tracking_url())
    body = response.content.decode()
    assert response.status_code == 200
    for public in ("Parcel lost", "Your advocate is Dana", "Resolved", program.name, "How satisfied are you now?"):
        assert public in body, public
    for private in (
        "PRIVATE",
        "private-email@example.com",
        "999888",
        "Hiddenlast",
        "dana@staff.example",
        "Billing",
        "reviews.example",
        "Leaving",  # the dissatisfaction level is internal
        "/issues/",  # no links into the staff pages
    ):
        assert private not in body, private
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert "noindex" in body


def test_tracking_page_follows_an_open_issue_without_internal_notes(client, make_issue, advocate, term, member):
    issue = make_issue(title="Parcel late", words="Private words", customer_email="ana@example.com")
    services.log_outreach(issue=issue, actor=member, channel="phone", outcome="spoke", note="internal note")
    body = client.get(issue.get_tracking_url()).content.decode()
    assert "Your advocate is Dana" in body and "Parcel late" in body and "Contacted" in body
    assert "How satisfied are you now?" not in body  # asked only once it is resolved
    for secret in ("Private words", "ana@example.com", "internal note"):
        assert secret not in body


def test_close_the_loop_satisfaction(client, make_issue, member):
    issue = make_issue()
    url = issue.get_tracking_url()
    assert client.post(url, {"satisfaction": "4"}).status_code == 400
    services.resolve(issue=issue, actor=member, resolution="Refunded", **closing(issue))
    assert client.post(url, {"satisfaction": "9"}).status_code == 400
    assert client.post(url, {"satisfaction": "4"}).status_code == 302
    issue.refresh_from_db()
    assert issue.satisfaction == 4
    assert "rated your satisfaction 4" in client.get(url).content.decode()


# ------------------------------------------------------------ what happened, in the customer's words


@pytest.fixture
def new_york(program):
    program.time_zone = "America/New_York"
    program.save()
    return program


def test_the_history_shows_what_happened_in_the_programs_zone_newest_last(client, new_york, owner, member):
    billing, shipping = DepartmentFactory(program=new_york, name="Billing"), DepartmentFactory(program=new_york)
    received = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)  # 00:30 in New York
    issue = services.create_issue(
        program=new_york,
        actor=member,
        owner=owner,
        title="Parcel lost",
        level=3,
        department=billing,
        customer_email="private-email@example.com",
        created_at=received,
    )
    services.log_outreach(
        issue=issue,
        actor=owner,
        channel="phone",
        outcome="no_answer",
        note="PRIVATE-NOTE",
        at=datetime(2026, 11, 30, 14, 0, tzinfo=UTC),  # 09:00 in New York
    )
    services.log_outreach(
        issue=issue,
        actor=owner,
        channel="phone",
        outcome="spoke",
        at=datetime(2026, 11, 30, 16, 15, tzinfo=UTC),  # 11:15
    )
    services.transfer_issue(issue=issue, actor=owner, reason="PRIVATE-REASON", to_department=shipping)
    services.resolve(issue=issue, actor=owner, resolution="PRIVATE-RESOLUTION", **closing(issue))
    body = client.get(issue.get_tracking_url()).content.decode()
    history = body[body.index('id="history"') :]
    steps = ["We received your message", "We tried to reach you", "We contacted you", "Passed to another team"]
    steps.append("Resolved")
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions), positions
    assert "30 Nov 2026, 00:30" in history and "30 Nov 2026, 09:00" in history
    assert "30 Nov 2026, 11:15" in history
    for private in ("PRIVATE", "Billing", "Hiddenlast", "private-email@example.com", member.last_name):
        assert private not in body, private


def test_an_unanswered_call_shows_we_tried_to_reach_you_not_contacted(client, make_issue, member):
    issue = make_issue()
    services.log_outreach(issue=issue, actor=member, channel="phone", outcome="left_message")
    services.log_outreach(issue=issue, actor=member, channel="phone", outcome="no_answer")
    response = client.get(issue.get_tracking_url())
    assert response.context["tracking"].status == "We tried to reach you"
    body = response.content.decode()
    assert "Contacted" not in body and body.count("We tried to reach you") == 3  # the status and both attempts
    services.log_outreach(issue=issue, actor=member, channel="email", outcome="spoke")
    assert client.get(issue.get_tracking_url()).context["tracking"].status == "Contacted"


def test_a_new_advocate_and_a_reopening_show_without_staff_names(client, make_issue, manager, member):
    issue = make_issue()
    services.reassign(issue=issue, actor=manager, owner=member, note="PRIVATE-NOTE")
    services.change_status(issue=issue, actor=member, status="unreachable", action="Called twice", **closing(issue))
    services.reopen(issue=issue, actor=member, reason="PRIVATE-REASON")
    body = client.get(issue.get_tracking_url()).content.decode()
    for step in ("A new advocate took over your problem", "Closed — we could not reach you", "Reopened"):
        assert step in body, step
    assert "PRIVATE" not in body and manager.last_name not in body and member.last_name not in body


# ------------------------------------------------------------ the customer adds information


def note_url(issue):
    return reverse("issues:track_note", args=[issue.tracking_token])


def test_the_customer_adds_information_that_reaches_the_owner_once(client, client_for, issue, owner, run_jobs):
    response = client.post(note_url(issue), {"information": "My order number is <b>4711</b>."})
    assert response.status_code == 302 and response.url == issue.get_tracking_url() + "#history"
    event = IssueEvent.objects.get(issue=issue, kind=IssueEvent.Kind.CUSTOMER_NOTE)
    assert event.detail == "My order number is <b>4711</b>." and event.actor is None
    page = client.get(issue.get_tracking_url()).content.decode()
    assert "You added information" in page and "My order number is &lt;b&gt;4711&lt;/b&gt;." in page
    # The owner is told in the app and by e-mail, once.
    [note] = Notification.objects.filter(user=owner, kind="issue_customer_note")
    assert note.url == issue.get_absolute_url() and "4711" in note.body
    run_jobs()
    run_jobs()
    assert [m.to for m in mail.outbox if "added information" in m.subject] == [[owner.email]]
    # And reads it on the issue's timeline.
    staff_page = client_for(owner).get(issue.get_absolute_url()).content.decode()
    assert "The customer added information" in staff_page and "&lt;b&gt;4711&lt;/b&gt;" in staff_page


def test_customer_notes_are_checked_and_limited_per_link(client, issue, make_issue):
    assert client.post(note_url(issue), {"information": "   "}).status_code == 400
    too_long = "x" * (services.CUSTOMER_NOTE_MAX + 1)
    assert client.post(note_url(issue), {"information": too_long}).status_code == 400
    assert client.get(note_url(issue)).status_code == 405
    for n in range(services.CUSTOMER_NOTE_LIMIT):
        assert client.post(note_url(issue), {"information": f"Note {n}"}).status_code == 302
    response = client.post(note_url(issue), {"information": "One more"})
    assert response.status_code == 429 and services.CUSTOMER_NOTES_LIMITED in response.content.decode()
    assert IssueEvent.objects.filter(kind=IssueEvent.Kind.CUSTOMER_NOTE).count() == services.CUSTOMER_NOTE_LIMIT
    # Another link is not limited by this one, and does not show its notes.
    other = make_issue(title="Other problem")
    assert client.post(note_url(other), {"information": "Mine"}).status_code == 302
    assert "Note 0" not in client.get(other.get_tracking_url()).content.decode()
    # A forged token adds nothing.
    assert client.post(f"/track/{new_tracking_token()}/add/", {"information": "x"}).status_code == 404
