"""The public form's limit holds under simultaneous submissions, per program and address."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from advocacy.models import Membership
from issues import services
from issues.models import HotIssue, IntakeAttempt
from tests.factories import MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _program():
    program = ProgramFactory()
    MembershipFactory(program=program, role=Membership.Role.MANAGER)
    return program


def _submit_at_once(program, address: str, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            services.submit_public_form(
                program=program,
                address=address,
                summary="Order missing",
                what_happened=f"Order {n} never came",
                level=3,
                email="jo@example.com",
            )
            outcomes.append("in")
        except ValidationError as error:
            outcomes.append("limited" if services.RATE_LIMITED in error.messages else f"error: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_thirty_simultaneous_submissions_from_one_address_let_only_the_limit_through():
    program = _program()
    outcomes = _submit_at_once(program, "198.51.100.7", 30)
    assert sorted(set(outcomes)) == ["in", "limited"]
    assert outcomes.count("in") == services.PUBLIC_FORM_LIMIT
    assert HotIssue.objects.filter(program=program).count() == services.PUBLIC_FORM_LIMIT
    assert IntakeAttempt.objects.count() == services.PUBLIC_FORM_LIMIT


def test_the_limit_is_per_program():
    first, second = _program(), _program()
    for n in range(services.PUBLIC_FORM_LIMIT):
        services.submit_public_form(
            program=first,
            address="198.51.100.7",
            summary="Late",
            what_happened=f"Late {n}",
            level=2,
            email="jo@example.com",
        )
    with pytest.raises(ValidationError):
        services.submit_public_form(
            program=first,
            address="198.51.100.7",
            summary="Late",
            what_happened="Again",
            level=2,
            email="jo@example.com",
        )
    services.submit_public_form(
        program=second,
        address="198.51.100.7",
        summary="Late",
        what_happened="Another team",
        level=2,
        email="jo@example.com",
    )
    assert HotIssue.objects.filter(program=second).count() == 1
