"""The CSV export: no text column can run as a formula in a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from advocacy.models import Membership
from tests.factories import CustomerFactory, DepartmentFactory, HotIssueFactory, MembershipFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["=2+2", "+1", "-1+cmd", "@SUM(A1)", "\t=1", ' =HYPERLINK("http://x")', "\uff1d1+1"]


def test_every_text_column_is_neutralised(client_for):
    program = ProgramFactory(name='=HYPERLINK("http://evil.example","x")', slug="formula")
    owner = MembershipFactory(program=program, role=Membership.Role.MANAGER, user__username="-owner").user
    department = DepartmentFactory(program=program, name='=HYPERLINK("http://evil.example")')
    for index, value in enumerate(HOSTILE):
        customer = CustomerFactory(
            program=program, name=value, email=f"={index}+2@example.com", phone=value, company=value
        )
        HotIssueFactory(
            program=program, owner=owner, customer=customer, department=department, title=value, words=value
        )
    response = client_for(owner).get(reverse("issues:export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, data = rows[0], rows[1:]
    assert len(data) == len(HOSTILE)
    for row in data:
        for column, cell in zip(header, row, strict=True):
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\uff1d")), (column, cell)
    assert {row[header.index("email")] for row in data} == {f"'={i}+2@example.com" for i in range(len(HOSTILE))}


def test_times_are_written_in_the_programs_zone_with_their_offset_and_the_zone_named(client_for):
    from datetime import UTC, datetime

    program = ProgramFactory(name="New York desk", slug="ny", time_zone="America/New_York")
    owner = MembershipFactory(program=program, role=Membership.Role.MANAGER).user
    HotIssueFactory(
        program=program,
        owner=owner,
        created_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC),
        first_outreach_due_at=datetime(2026, 7, 1, 13, 0, tzinfo=UTC),
    )
    response = client_for(owner).get(reverse("issues:export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    cell = dict(zip(header, row, strict=True))
    assert cell["time_zone"] == "America/New_York"
    assert cell["created_at"] == "2026-12-02T09:00:00-05:00"  # winter
    assert cell["first_outreach_due_at"] == "2026-07-01T09:00:00-04:00"  # summer
    assert cell["first_outreach_at"] == "" and cell["resolved_at"] == ""
