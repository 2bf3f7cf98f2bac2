"""The customer's tracking link: only the exact token opens it, it shows only public fields, and it asks
how satisfied the customer is once the issue is resolved."""

import pytest
from django.urls import reverse

from issues import services
from issues.models import HotIssue, new_tracking_token
from tests.factories import DepartmentFactory, MembershipFactory, ProgramFactory, UserFactory

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
    services.resolve(issue=issue, actor=owner, resolution="PRIVATE-RESOLUTION refunded")
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
    services.resolve(issue=issue, actor=member, resolution="Refunded")
    assert client.post(url, {"satisfaction": "9"}).status_code == 400
    assert client.post(url, {"satisfaction": "4"}).status_code == 302
    issue.refresh_from_db()
    assert issue.satisfaction == 4
    assert "rated your satisfaction 4" in client.get(url).content.decode()
