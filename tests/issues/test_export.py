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
