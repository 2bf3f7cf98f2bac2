"""Every limited form holds its limit under simultaneous requests, each on its own database connection.

The public form's limit has its own test (tests/issues/test_intake_limit.py).
Here: the tracking page's "add information" note, a customer's one
satisfaction answer, and sign-in (the admin signs in through the same page), whose lockout
must let exactly the limit of wrong passwords be tried however many arrive at
once, and then refuse the right one too.

Each request goes through the whole middleware stack (Django's test client, one
per thread) and its own PostgreSQL connection, all released at once by a barrier.
"""

import threading
from collections import Counter

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.test import Client
from django.urls import reverse

from advocacy.models import Membership
from issues import services
from issues.models import HotIssue, IssueEvent, Status
from tests.factories import PASSWORD, MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

AT_ONCE = 30


def post_at_once(url: str, data: list[dict], **extra) -> list:
    """POST each of `data` to `url` from its own thread, client and connection at the same instant."""
    barrier = threading.Barrier(len(data))
    responses: list = [None] * len(data)

    def post(n: int) -> None:
        client = Client(**extra)
        client.raise_request_exception = False
        try:
            barrier.wait(timeout=30)
            responses[n] = client.post(url, data[n])
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(len(data))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in responses), "a request did not finish"
    return responses


@pytest.fixture
def tracked_issue():
    program = ProgramFactory()
    owner = MembershipFactory(program=program, role=Membership.Role.MANAGER).user
    return services.create_issue(
        program=program, actor=owner, title="Parcel lost", words="It never came.", level=3, customer_email="jo@ex.com"
    )


def test_simultaneous_notes_on_one_tracking_link_let_only_the_limit_through(tracked_issue):
    url = reverse("issues:track_note", args=[tracked_issue.tracking_token])
    responses = post_at_once(url, [{"information": f"Order {n}"} for n in range(AT_ONCE)])
    assert Counter(r.status_code for r in responses) == {
        302: services.CUSTOMER_NOTE_LIMIT,
        429: AT_ONCE - services.CUSTOMER_NOTE_LIMIT,
    }
    notes = IssueEvent.objects.filter(issue=tracked_issue, kind=IssueEvent.Kind.CUSTOMER_NOTE)
    assert notes.count() == services.CUSTOMER_NOTE_LIMIT


def test_simultaneous_satisfaction_answers_store_one(tracked_issue):
    HotIssue.objects.filter(pk=tracked_issue.pk).update(status=Status.RESOLVED)
    url = reverse("issues:track", args=[tracked_issue.tracking_token])
    responses = post_at_once(url, [{"satisfaction": str(1 + n % 5)} for n in range(10)])
    assert Counter(r.status_code for r in responses) == {302: 1, 400: 9}
    tracked_issue.refresh_from_db()
    answers = IssueEvent.objects.filter(issue=tracked_issue, kind=IssueEvent.Kind.SATISFACTION)
    assert answers.count() == 1 and tracked_issue.satisfaction is not None


@pytest.fixture
def password_checks(monkeypatch):
    """Count the sign-ins whose password was actually checked (axes let them past its lockout)."""
    checked = Counter()
    lock = threading.Lock()
    real = AbstractBaseUser.check_password

    def counting(self, raw_password):
        with lock:
            checked[raw_password] += 1
        return real(self, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting)
    return checked


def test_simultaneous_wrong_passwords_are_tried_only_up_to_the_limit_then_the_right_one_is_refused(password_checks):
    user = MembershipFactory(program=ProgramFactory(), user__is_staff=True).user
    url = reverse("login")
    limit = settings.AXES_FAILURE_LIMIT
    guesses = [{"username": user.username, "password": f"guess-{n}"} for n in range(AT_ONCE)]
    responses = post_at_once(url, guesses)

    # Exactly the limit of guesses reached the password check; every other one was refused unchecked
    # (by the lockout, 429, or by the per-account limit on failed sign-ins, the form again).
    assert len(password_checks) == limit  # (each checked as a username and as an e-mail address)
    assert {r.status_code for r in responses} <= {200, 429} and 429 in {r.status_code for r in responses}
    assert AccessAttempt.objects.filter(username=user.username).count() == 1

    # Locked: the right password is refused too, and is not even checked.
    right = Client().post(url, {"username": user.username, "password": PASSWORD})
    assert right.status_code in (200, 429) and "_auth_user_id" not in right.client.session
    assert password_checks[PASSWORD] == 0


def test_the_admin_signs_in_through_the_same_page():
    response = Client().get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
