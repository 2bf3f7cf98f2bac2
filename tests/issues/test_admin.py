"""The admin: pages load, and a status or owner change goes through the services with the staff user as actor."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from issues import services
from issues.models import HotIssue, IssueEvent, Mention, MentionFeed, Status
from tests.factories import MembershipFactory, MentionFeedFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_load(client, superuser, make_issue, program):
    issue = make_issue()
    client.force_login(superuser)
    for url in [
        "/admin/issues/hotissue/",
        f"/admin/issues/hotissue/{issue.pk}/change/",
        f"/admin/issues/hotissue/{issue.pk}/history/",
        "/admin/issues/issuesettings/add/",
        "/admin/issues/mentionfeed/",
        "/admin/issues/importjob/",
    ]:
        assert client.get(url).status_code == 200, url


class _FormValues(HTMLParser):
    """Collect what a browser would submit from the admin's change form, as it stands."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values[name] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n")


def _post_change(client, issue, **changes):
    url = f"/admin/issues/hotissue/{issue.pk}/change/"
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    data = {**parser.values, **changes, "_save": "Save"}
    data.pop("csrfmiddlewaretoken", None)
    return client.post(url, data)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def test_admin_status_change_goes_through_the_service_with_the_staff_user(staff_client, superuser, make_issue):
    issue = make_issue()
    response = _post_change(staff_client, issue, status=Status.IN_PROGRESS, title="Invoice charged three times")
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.title) == (Status.IN_PROGRESS, "Invoice charged three times")
    event = issue.events.get(kind=IssueEvent.Kind.STATUS)
    assert event.actor == superuser and event.summary == "Status: New → In progress"
    assert event.detail == "Changed in the admin"


def test_admin_refuses_a_status_change_the_service_refuses_and_saves_nothing(staff_client, make_issue):
    issue = make_issue(title="Before")
    response = _post_change(staff_client, issue, status=Status.RESOLVED, title="After")
    assert response.status_code == 200 and services.USE_RESOLVE in response.content.decode()
    issue.refresh_from_db()
    assert (issue.status, issue.title) == (Status.NEW, "Before")
    assert not issue.events.filter(kind=IssueEvent.Kind.STATUS).exists()


def test_admin_owner_change_is_a_reassignment_with_a_timeline_event(staff_client, superuser, make_issue, program):
    issue = make_issue()
    newcomer = MembershipFactory(program=program, user__username="newcomer", user__first_name="Nia").user
    assert _post_change(staff_client, issue, owner=str(newcomer.pk)).status_code == 302
    issue.refresh_from_db()
    assert issue.owner == newcomer
    event = issue.events.get(kind=IssueEvent.Kind.REASSIGNED)
    assert event.actor == superuser and "Nia" in event.summary


def test_admin_refuses_an_owner_outside_the_program(staff_client, make_issue, manager):
    issue = make_issue()
    stranger = UserFactory(username="stranger")
    response = _post_change(staff_client, issue, owner=str(stranger.pk))
    assert response.status_code == 200 and services.OWNER_NOT_MEMBER in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).owner == manager
    assert not issue.events.filter(kind=IssueEvent.Kind.REASSIGNED).exists()


def test_staff_outside_the_program_cannot_change_status_in_the_admin(client, make_issue, program):
    from django.contrib.auth.models import Permission

    staff = UserFactory(username="staffer", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_hotissue", "change_hotissue"]))
    client.force_login(staff)
    issue = make_issue()
    response = _post_change(client, issue, status=Status.IN_PROGRESS)
    assert response.status_code == 200 and "Only the program&#x27;s members can do that." in response.content.decode()
    assert HotIssue.objects.get(pk=issue.pk).status == Status.NEW


def test_deleting_a_feed_in_the_admin_removes_it_as_the_feeds_page_does(staff_client, program, manager):
    feed = MentionFeedFactory(program=program)
    waiting = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Waiting")
    promoted = Mention.objects.create(feed=feed, program=program, entry_id="2", title="Bad review")
    services.promote_mention(mention=promoted, actor=manager, level=4, public=True)
    url = reverse("admin:issues_mentionfeed_delete", args=[feed.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not MentionFeed.objects.exists() and not Mention.objects.filter(pk=waiting.pk).exists()
    assert Mention.objects.get(pk=promoted.pk).feed is None
