"""What the webhook journeys share: a desk with a manager and an advocate on duty, and a plain HTTP post."""

import urllib.request
from datetime import timedelta

from django.utils import timezone

from advocacy.models import Membership
from rotations.models import Term
from tests.factories import MembershipFactory, ProgramFactory

ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="


def staffed_desk():
    """Return a Support Desk program with manager maria and Dana holding the baton for two months."""
    program = ProgramFactory(name="Support Desk", slug="support-desk")
    MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="maria")
    dana = MembershipFactory(program=program, user__username="dana", user__first_name="Dana").user
    now = timezone.now()
    Term.objects.create(
        program=program,
        advocate=dana,
        start_date=(now - timedelta(days=5)).date(),
        end_date=(now + timedelta(days=60)).date(),
        starts_at=now - timedelta(days=5),
        ends_at=now + timedelta(days=60),
        status=Term.Status.ACTIVE,
    )
    return program


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 — the test server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status
