"""Pages drawn by third-party templates keep the strict Content-Security-Policy too."""

import pytest

from tests.e2e.signin import sign_in_through_page
from tests.factories import PASSWORD, HotIssueFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_health_page_is_styled_without_inline_styles(page, live_server):
    response = page.goto(f"{live_server.url}/health/")
    assert response.status in (200, 500)  # 500 while no worker answers; the page still renders
    assert page.get_by_role("heading", name="System status").is_visible()
    assert page.get_by_role("rowheader", name="Database").is_visible()
    # The page fixture fails the test on any CSP violation reported by Chromium.


def test_the_admin_history_pages_keep_the_policy(page, live_server, sign_in, program):
    admin = UserFactory(username="staff", is_staff=True, is_superuser=True)
    issue = HotIssueFactory(program=program, owner=admin)
    issue.title = "Changed title"
    issue.save()
    sign_in_through_page(page, live_server.url, admin.username, PASSWORD)  # staff give their authenticator code
    page.goto(f"{live_server.url}/admin/issues/hotissue/{issue.pk}/history/")
    assert page.get_by_text("Changed title").first.is_visible()
