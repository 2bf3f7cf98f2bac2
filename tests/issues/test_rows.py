"""The log's rows are built as strings for speed: every value must still be escaped."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import selectors, services
from issues.models import Department, HotIssue, Status
from issues.rows import render_row

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)">&"\''


def test_log_row_escapes_every_value_and_links_the_issue(client_for, program, manager, make_issue):
    manager.first_name = HOSTILE
    manager.save()
    department = Department.objects.create(program=program, name=f"Billing {HOSTILE}")
    issue = make_issue(
        title=f"Title {HOSTILE}",
        level=5,
        public=True,
        department=department,
        customer_name=f"Ana {HOSTILE}",
        customer_company=f"Acme {HOSTILE}",
        customer_email="ana@example.com",
        created_at=timezone.now() - timedelta(days=2),
    )
    HotIssue.objects.filter(pk=issue.pk).update(runaround=True, transfer_count=3)
    body = client_for(manager).get(reverse("issues:log")).content.decode()
    row = body[body.index(f'id="issue-{issue.pk}"') :]
    row = row[: row.index("</li>\n") if "</li>\n" in row else row.index("</ul>")]
    assert "<img" not in body.split('<ul class="issue-list">')[1]
    assert 'onerror="alert(1)"' not in body  # nor in the filter bar's owner and department options
    assert body.count("Billing &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&quot;&#x27;</option>") == 1
    assert row.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&quot;&#x27;") >= 5
    assert f'href="{issue.get_absolute_url()}"' in row
    assert "flag-overdue" in row and "flag-runaround" in row and "flag-public" in row
    assert f'hx-post="{issue.get_absolute_url()}status/"' in row


@pytest.mark.parametrize("status", [Status.NEW, Status.CONTACTED, Status.IN_PROGRESS])
def test_row_status_menu_offers_exactly_the_transitions_the_service_allows(make_issue, status):
    issue = make_issue()
    HotIssue.objects.filter(pk=issue.pk).update(status=status)
    html = render_row(selectors.log_row(pk=issue.pk), now=timezone.now(), csrf_input="")
    offered = set(re.findall(r'name="status" value="(\w+)"', html))
    # Closing as unreachable asks for the root cause, so the row links to the issue page's form for it.
    if "?open=unreachable" in html:
        offered.add(Status.UNREACHABLE.value)
    assert offered == {s.value for s in services.ALLOWED[status]}
    assert status.value not in offered
