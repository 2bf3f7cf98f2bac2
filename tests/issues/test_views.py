import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from issues import services
from issues.models import HotIssue, ImportJob, IntakeAttempt, Mention, MentionFeed, Outreach, Status
from issues.services import FEED_HTTP_ONLY, FEED_NOT_PUBLIC
from tests.factories import DepartmentFactory, MentionFeedFactory, closing, root_cause_for

pytestmark = pytest.mark.django_db

LOG = reverse("issues:log")


def test_log_lists_open_issues_of_my_programs_in_priority_order(
    client_for, member, make_issue, other_program, outsider
):
    calm = make_issue(title="Calm one", level=1)
    hostile = make_issue(title="Hostile one", level=4)
    done = make_issue(title="Done one")
    services.resolve(issue=done, actor=member, resolution="ok", **closing(done))
    services.create_issue(program=other_program, actor=outsider, title="Elsewhere", level=5)
    response = client_for(member).get(LOG)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Hostile one") < body.index("Calm one")
    assert "Done one" not in body and "Elsewhere" not in body
    assert [i.pk for i in response.context["page"].object_list] == [hostile.pk, calm.pk]
    assert response.context["counts"][4]["n"] == 1


def test_outsider_sees_nothing(client, outsider, make_issue):
    issue = make_issue(title="Secret")
    client.force_login(outsider)
    assert "Secret" not in client.get(LOG).content.decode()
    assert client.get(issue.get_absolute_url()).status_code == 404
    response = client.post(reverse("issues:outreach", args=[issue.pk]), {"channel": "phone", "outcome": "spoke"})
    assert response.status_code == 404
    assert b"".join(client.get(reverse("issues:export")).streaming_content).decode().count("\n") == 1


def test_filters_and_search_and_htmx_partial(client_for, member, make_issue, departments):
    make_issue(title="Billing mess", level=3, department=departments[0], public=True)
    make_issue(title="Shipping delay", level=2, words="parcel lost", department=departments[1])
    client = client_for(member)
    response = client.get(LOG, {"department": departments[1].pk})
    assert [i.title for i in response.context["page"].object_list] == ["Shipping delay"]
    response = client.get(LOG, {"q": "parcel"}, headers={"HX-Request": "true"})
    assert [i.title for i in response.context["page"].object_list] == ["Shipping delay"]
    assert "<html" not in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    assert "HX-Request" in response["Vary"]
    restored = client.get(LOG, {"q": "parcel"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()
    response = client.get(LOG, {"public": "yes", "level": ["3", "4"]})
    assert [i.title for i in response.context["page"].object_list] == ["Billing mess"]
    response = client.get(LOG, {"level": "9", "status": "bogus"})
    assert response.status_code == 200
    assert "not understood" in response.content.decode()


def test_overdue_filter_and_red_marker(client_for, member, make_issue):
    make_issue(title="Late one", level=5, created_at=timezone.now() - timedelta(hours=7))
    make_issue(title="Fresh one", level=5)
    response = client_for(member).get(LOG, {"overdue": "yes"})
    assert [i.title for i in response.context["page"].object_list] == ["Late one"]
    body = response.content.decode()
    assert "is-overdue" in body and "3 h late" in body


def _log_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LOG, {"q": "charged"}).status_code == 200
        assert client.get(LOG).status_code == 200
    return len(ctx.captured_queries)


def test_log_query_count_does_not_grow_with_issues(client_for, member, make_issue, departments):
    client = client_for(member)
    for i in range(3):
        make_issue(department=departments[i % 3], customer_name=f"C{i}")
    small = _log_queries(client)
    for i in range(40):
        make_issue(department=departments[i % 3], customer_name=f"D{i}", level=1 + i % 5)
    assert _log_queries(client) == small


def test_detail_query_count_does_not_grow_with_events(client_for, member, make_issue):
    client = client_for(member)
    issue = make_issue()
    url = issue.get_absolute_url()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    few = len(ctx.captured_queries)
    for _ in range(20):
        services.log_outreach(issue=issue, actor=member, channel="phone", outcome="no_answer")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert len(ctx.captured_queries) == few
    assert response.content.decode().count("Attempt ") == 20


def test_quick_outreach_from_the_row(client_for, member, make_issue):
    issue = make_issue(title="Row issue")
    client = client_for(member)
    response = client.get(reverse("issues:outreach_quick", args=[issue.pk]), headers={"HX-Request": "true"})
    assert 'name="outcome"' in response.content.decode()
    response = client.post(
        reverse("issues:outreach", args=[issue.pk]),
        {"channel": "phone", "outcome": "left_message", "note": "voicemail"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="issue-{issue.pk}"' in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.CONTACTED and issue.outreach.count() == 1


def test_quick_status_and_bad_status(client_for, member, make_issue):
    issue = make_issue()
    client = client_for(member)
    url = reverse("issues:status", args=[issue.pk])
    response = client.post(url, {"status": "in_progress"}, headers={"HX-Request": "true"})
    assert "In progress" in response.content.decode()
    response = client.post(url, {"status": "resolved"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("outreach", {"channel": "phone", "outcome": "nonsense"}, "Select a valid choice"),
        (
            "outreach",
            {"channel": "phone", "outcome": "spoke", "next_attempt_due_at": "2001-01-01T10:00"},
            services.NEXT_ATTEMPT_IN_PAST,
        ),
        ("transfer", {"reason": ""}, "This field is required"),
        ("transfer", {"reason": "why not"}, services.TRANSFER_NOTHING),
        ("reassign", {"owner": "999999"}, "Select a valid choice"),
        ("resolve", {"resolution": ""}, "This field is required"),
        ("resolve", {"resolution": "ok", "satisfaction": "9"}, "Select a valid choice"),
        ("resolve", {"resolution": "ok", "lasting_fix_needed": "no"}, services.ROOT_CAUSE_REQUIRED),
        ("resolve", {"resolution": "ok", "root_cause": "999999"}, services.ROOT_CAUSE_UNKNOWN),
        ("resolve", {"resolution": "ok", "root_cause": "999999"}, services.LASTING_FIX_REQUIRED),
        ("unreachable", {"action": "", "lasting_fix_needed": "yes"}, services.ROOT_CAUSE_REQUIRED),
        ("unreachable", {"action": "", "lasting_fix_needed": "yes"}, "This field is required"),
        ("reopen", {"reason": "x"}, services.ISSUE_NOT_CLOSED),
    ],
)
def test_bad_input_on_issue_forms_shows_errors_and_saves_nothing(client_for, member, make_issue, action, data, message):
    issue = make_issue()
    before = HotIssue.objects.filter(pk=issue.pk).values().get()
    response = client_for(member).post(reverse(f"issues:{action}", args=[issue.pk]), data)
    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert HotIssue.objects.filter(pk=issue.pk).values().get() == before
    assert not Outreach.objects.exists()


def test_resolve_then_reopen_through_the_page(client_for, member, make_issue):
    issue = make_issue()
    client = client_for(member)
    cause = root_cause_for(issue.program)
    data = {"resolution": "Refunded", "satisfaction": "", "root_cause": cause.pk, "lasting_fix_needed": "no"}
    response = client.post(reverse("issues:resolve", args=[issue.pk]), data)
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Status.RESOLVED
    client.post(reverse("issues:reopen", args=[issue.pk]), {"reason": "Still broken"})
    issue.refresh_from_db()
    assert issue.is_open
    body = client.get(issue.get_absolute_url()).content.decode()
    assert "Reopened by" in body and "Still broken" in body


def test_new_issue_form_defaults_owner_and_rejects_bad_input(client_for, member, manager, program):
    client = client_for(member)
    response = client.get(reverse("issues:create"), {"program": program.slug})
    assert response.status_code == 200
    response = client.post(reverse("issues:create"), {"program": program.slug, "title": "", "level": "7"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not HotIssue.objects.exists()
    response = client.post(
        reverse("issues:create"),
        {"program": program.slug, "title": "Rude driver", "level": "3", "source": "phone", "words": "He shouted."},
    )
    issue = HotIssue.objects.get()
    assert response.status_code == 302 and issue.owner == manager and issue.created_by == member


def test_program_page_shows_the_panel(client_for, member, program, make_issue):
    make_issue(level=5, created_at=timezone.now() - timedelta(hours=5))
    body = client_for(member).get(program.get_absolute_url()).content.decode()
    assert "Hot issues" in body and "overdue" in body


def test_export_csv_follows_the_filters(client_for, member, make_issue):
    make_issue(title="=HYPERLINK(evil)", level=5, customer_name="Greta Albers")
    make_issue(title="Calm", level=1)
    response = client_for(member).get(reverse("issues:export"), {"level": "5"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "program", "title"]
    assert len(rows) == 2 and rows[1][2] == "'=HYPERLINK(evil)" and rows[1][3] == "Greta Albers"


# ------------------------------------------------------------ public pages


def test_public_form_creates_issue_and_shows_private_link(client, program, manager):
    url = reverse("issues:public_form", args=[program.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "summary": "<script>alert(1)</script> order gone",
            "what_happened": "<script>alert(1)</script> my order",
            "level": "4",
            "email": "ana@example.com",
        },
    )
    assert response.status_code == 201
    issue = HotIssue.objects.get()
    assert issue.source == "customer_form" and issue.words.startswith("<script>")
    assert issue.get_tracking_url() in response.content.decode()
    track = client.get(issue.get_tracking_url()).content.decode()
    assert "<script>alert(1)" not in track and "&lt;script&gt;" in track
    assert f"Your advocate is {manager.first_name}" in track


def test_public_form_bad_input_and_honeypot_and_rate_limit(client, program, manager):
    url = reverse("issues:public_form", args=[program.slug])
    response = client.post(url, {"what_happened": "", "level": "12"})
    assert response.status_code == 400 and not HotIssue.objects.exists()
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"summary": "x", "what_happened": "x", "level": "2"})
    assert services.CONTACT_REQUIRED in response.content.decode()
    response = client.post(
        url, {"summary": "x", "what_happened": "spam", "level": "2", "email": "a@b.example", "website": "http://x"}
    )
    assert response.status_code == 200 and not HotIssue.objects.exists()
    for _ in range(services.PUBLIC_FORM_LIMIT):
        assert client.post(url, {"summary": "x", "what_happened": "x", "level": "2", "phone": "555"}).status_code == 201
    response = client.post(url, {"summary": "x", "what_happened": "x", "level": "2", "phone": "555"})
    assert response.status_code == 429 and services.RATE_LIMITED in response.content.decode()
    assert IntakeAttempt.objects.count() == services.PUBLIC_FORM_LIMIT
    assert client.get(reverse("issues:public_form", args=["no-such"])).status_code == 404


# ------------------------------------------------------------ import


def test_import_round_trip(client_for, member, manager, program, run_jobs):
    content = (
        "date,name,email,score,comment,location\n"
        "2026-03-01,Ana Lopez,ana@example.com,1,Rude staff and a dirty store,Main St\n"
        "2026-03-02,Ben,,5,Lovely,Main St\n"
        "2026-03-03,Cleo,,2,Waited 40 minutes,Airport\n"
    )
    client = client_for(member)
    upload = io.BytesIO(content.encode())
    upload.name = "visits.csv"
    response = client.post(
        reverse("issues:import_start", args=[program.slug]), {"kind": "mystery_shop", "file": upload}
    )
    run_jobs()
    job = ImportJob.objects.get()
    assert job.errors == []
    assert response.status_code == 302 and job.state == ImportJob.State.DONE and job.created_issues == 2
    assert "2 became hot issues" in client.get(reverse("issues:import_detail", args=[job.pk])).content.decode()
    exported = b"".join(client.get(reverse("issues:export")).streaming_content).decode()
    rows = {r["words"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert set(rows) == {"Rude staff and a dirty store", "Waited 40 minutes"}
    assert rows["Rude staff and a dirty store"]["customer"] == "Ana Lopez"
    assert rows["Rude staff and a dirty store"]["source"] == "Mystery shop"


def test_import_is_all_or_nothing_with_row_errors(client_for, member, program, run_jobs):
    content = "score,comment,email,date\n1,Bad,,\n7,Worse,,\n2,,not-an-email,31/02/2026\n"
    upload = io.BytesIO(content.encode())
    upload.name = "survey.csv"
    client_for(member).post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": upload})
    run_jobs()
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and not HotIssue.objects.exists()
    assert [e["row"] for e in job.errors] == [3, 4]
    assert "score must be" in job.errors[0]["message"]
    assert "comment is empty" in job.errors[1]["message"] and "date" in job.errors[1]["message"]
    body = client_for(member).get(reverse("issues:import_detail", args=[job.pk])).content.decode()
    assert "Nothing was imported" in body


def test_import_rejects_a_file_without_the_columns(client_for, member, program, run_jobs):
    upload = io.BytesIO(b"foo,bar\n1,2\n")
    upload.name = "x.csv"
    client_for(member).post(reverse("issues:import_start", args=[program.slug]), {"kind": "survey", "file": upload})
    run_jobs()
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and "needs the columns" in job.errors[0]["message"]


def test_department_of_another_program_is_refused(client_for, member, program, other_program):
    foreign = DepartmentFactory(program=other_program)
    response = client_for(member).post(
        reverse("issues:create"),
        {"program": program.slug, "title": "x", "level": "3", "source": "staff", "department": foreign.pk},
    )
    assert response.status_code == 200 and not HotIssue.objects.exists()


def test_issue_page_loads_other_forms_on_demand(client_for, member, make_issue, outsider, client):
    issue = make_issue()
    page = client_for(member).get(issue.get_absolute_url()).content.decode()
    assert 'id="outreach"' in page and 'id="transfer"' not in page and "form/transfer/" in page
    form = client_for(member).get(reverse("issues:action_form", args=[issue.pk, "transfer"])).content.decode()
    assert 'id="transfer"' in form and 'name="reason"' in form
    assert client_for(member).get(reverse("issues:action_form", args=[issue.pk, "nonsense"])).status_code == 404
    assert (
        client_for(member).get(issue.get_absolute_url() + "?open=resolve").content.decode().count('id="resolve"') == 1
    )
    client.force_login(outsider)
    assert client.get(reverse("issues:action_form", args=[issue.pk, "transfer"])).status_code == 404


def test_manager_sets_targets_and_departments(client_for, manager, member, program, make_issue):
    url = reverse("issues:settings", args=[program.slug])
    assert client_for(member).get(url).status_code == 403
    client = client_for(manager)
    data = {f"target_hours_{n}": str(h) for n, h in {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}.items()}
    data |= {f"untouched_days_{n}": "7" for n in range(1, 6)}
    data |= {"first_contact_goal": "80", "recovery_days": "14"}
    bad = {**data, "runaround_transfers": "0", "import_threshold": "3"}
    assert client.post(url, bad).status_code == 400
    assert client.post(url, {**data, "runaround_transfers": "2", "import_threshold": "3"}).status_code == 302
    program.refresh_from_db()
    issue = make_issue(level=5)
    assert issue.first_outreach_due_at - issue.created_at == timedelta(hours=1)
    assert client.post(url, {"name": "Billing"}).status_code == 302
    response = client.post(url, {"name": "billing"})
    assert response.status_code == 400 and "already exists" in response.content.decode()


def test_change_history_lists_field_changes_in_constant_queries(client_for, member, manager, make_issue, departments):
    issue = make_issue(department=departments[0])
    services.transfer_issue(issue=issue, actor=manager, to_department=departments[1], reason="x", to_owner=member)
    services.change_status(issue=issue, actor=member, status=Status.IN_PROGRESS)
    client = client_for(member)
    url = reverse("issues:history", args=[issue.pk])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).content.decode()
    assert "Billing</span> → Shipping" in body
    assert 'Status: <span class="text-body-secondary">New</span> → In progress' in body
    few = len(ctx.captured_queries)
    for _ in range(5):
        services.log_outreach(issue=issue, actor=member, channel="phone", outcome="no_answer")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx.captured_queries) == few


# ------------------------------------------------------------ web mentions


def test_feed_form_bad_input_and_permissions(client_for, manager, member, program):
    url = reverse("issues:feed_list", args=[program.slug])
    assert client_for(member).post(url, {"name": "x", "url": "https://x.example/feed"}).status_code == 403
    response = client_for(manager).post(url, {"name": "", "url": "javascript:alert(1)"})
    assert response.status_code == 200 and FEED_HTTP_ONLY in response.content.decode()
    assert not MentionFeed.objects.exists()
    assert (
        client_for(manager)
        .post(url, {"name": "Alerts", "url": "https://x.example/feed", "is_active": "on"})
        .status_code
        == 302
    )


def test_mention_decide_with_bad_level_says_so(client_for, member, program):
    feed = MentionFeedFactory(program=program)
    mention = Mention.objects.create(feed=feed, program=program, entry_id="1", title="x")
    response = client_for(member).post(
        reverse("issues:mention_decide", args=[program.slug, mention.pk]),
        {"action": "promote", "level": "99"},
        headers={"HX-Request": "true"},
    )
    assert "Choose how upset" in response.content.decode()
    mention.refresh_from_db()
    assert mention.state == "new"


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8000/x",
        "http://10.0.0.8/rss",
        "http://169.254.169.254/latest",
        "http://[::1]/feed",
        "http://[::ffff:192.168.1.1]/f",
        "http://0.0.0.0/",
    ],
)
def test_feed_form_refuses_addresses_inside_our_network(client_for, manager, program, address, settings):
    settings.ISSUES_FEED_ALLOWED_NETWORKS = []
    response = client_for(manager).post(
        reverse("issues:feed_list", kwargs={"slug": program.slug}),
        {"name": "Inside", "url": address, "is_active": "on"},
    )
    assert response.status_code == 200
    assert FEED_NOT_PUBLIC in response.content.decode()
    assert not MentionFeed.objects.filter(name="Inside").exists()


@pytest.mark.parametrize("address", ["file:///etc/passwd", "ftp://ftp.example.com/feed.rss", "gopher://x.example/"])
def test_feed_form_says_only_http_and_https_feeds_work(client_for, manager, program, address):
    response = client_for(manager).post(
        reverse("issues:feed_list", kwargs={"slug": program.slug}), {"name": "Local", "url": address}
    )
    body = response.content.decode()
    assert response.status_code == 200 and FEED_HTTP_ONLY in body and "Enter a valid URL" not in body
    assert not MentionFeed.objects.exists()


def test_manager_edits_a_feed_and_a_new_address_starts_afresh(client_for, manager, program):
    feed = MentionFeedFactory(program=program, name="Alerts", url="https://x.example/old", etag='"v1"')
    MentionFeed.objects.filter(pk=feed.pk).update(last_error="The server had a problem (500).", failures=3)
    url = reverse("issues:feed_edit", args=[program.slug, feed.pk])
    page = client_for(manager).get(url).content.decode()
    assert 'value="Alerts"' in page and "https://x.example/old" in page and "My programs" in page
    bad = client_for(manager).post(url, {"name": "", "url": "file:///etc/passwd"})
    assert bad.status_code == 200 and FEED_HTTP_ONLY in bad.content.decode()
    feed.refresh_from_db()
    assert (feed.name, feed.url) == ("Alerts", "https://x.example/old")
    response = client_for(manager).post(url, {"name": "Brand alerts", "url": "x.example/new", "is_active": "on"})
    assert response.status_code == 302
    feed.refresh_from_db()
    assert (feed.name, feed.url, feed.is_active) == ("Brand alerts", "https://x.example/new", True)
    assert (feed.etag, feed.last_error, feed.failures) == ("", "", 0)


def test_only_managers_edit_pause_or_remove_a_feed(client_for, member, program):
    feed = MentionFeedFactory(program=program)
    client = client_for(member)
    for name in ("feed_edit", "feed_remove"):
        assert client.get(reverse(f"issues:{name}", args=[program.slug, feed.pk])).status_code == 403
    assert client.post(reverse("issues:feed_pause", args=[program.slug, feed.pk])).status_code == 403
    assert client.post(reverse("issues:feed_remove", args=[program.slug, feed.pk])).status_code == 403
    body = client.get(reverse("issues:feed_list", args=[program.slug])).content.decode()
    assert "Poll now" in body and ">Edit<" not in body and "Pause" not in body
    assert MentionFeed.objects.get(pk=feed.pk).is_active


def test_paused_feed_says_paused_and_offers_resume_instead_of_poll(client_for, manager, program):
    feed = MentionFeedFactory(program=program, name="Alerts")
    client = client_for(manager)
    response = client.post(reverse("issues:feed_pause", args=[program.slug, feed.pk]), {"action": "pause"}, follow=True)
    body = response.content.decode()
    assert "Paused “Alerts”" in body and '<span class="badge text-bg-secondary">Paused</span>' in body
    assert "Resume" in body and "Poll now" not in body
    assert not MentionFeed.objects.get(pk=feed.pk).is_active
    client.post(reverse("issues:feed_pause", args=[program.slug, feed.pk]), {"action": "resume"})
    assert MentionFeed.objects.get(pk=feed.pk).is_active


def test_removing_a_feed_asks_first_and_keeps_the_issues_made_from_it(client_for, manager, program):
    feed = MentionFeedFactory(program=program, name="Alerts")
    waiting = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Waiting")
    promoted = Mention.objects.create(
        feed=feed, program=program, entry_id="2", title="Bad review", link="https://x.example"
    )
    issue = services.promote_mention(mention=promoted, actor=manager, level=4, public=True)
    url = reverse("issues:feed_remove", args=[program.slug, feed.pk])
    page = client_for(manager).get(url).content.decode()
    assert "Remove the feed “Alerts”?" in page and "1 mention still waiting" in page
    assert MentionFeed.objects.filter(pk=feed.pk).exists()
    response = client_for(manager).post(url)
    assert response.status_code == 302
    assert not MentionFeed.objects.filter(pk=feed.pk).exists()
    assert not Mention.objects.filter(pk=waiting.pk).exists()
    promoted.refresh_from_db()
    assert promoted.feed is None and promoted.issue_id == issue.pk
    assert HotIssue.objects.filter(pk=issue.pk).exists()


def test_feed_page_shows_the_error(client_for, member, program):
    MentionFeedFactory(program=program, name="Forum", last_error="The server answered 500 Internal Server Error.")
    body = client_for(member).get(f"/programs/{program.slug}/feeds/").content.decode()
    assert "Broken" in body and "500 Internal Server Error" in body


def test_promote_and_dismiss_mentions(client_for, member, manager, program):
    feed = MentionFeedFactory(program=program)
    m1 = Mention.objects.create(feed=feed, program=program, entry_id="1", title="Bad review", link="https://x.example")
    m2 = Mention.objects.create(feed=feed, program=program, entry_id="2", title="Neutral news")
    client = client_for(member)
    response = client.post(
        f"/programs/{program.slug}/mentions/{m1.pk}/",
        {"action": "promote", "level": "4", "public": "on"},
        headers={"HX-Request": "true"},
    )
    assert "Now a hot issue" in response.content.decode()
    client.post(f"/programs/{program.slug}/mentions/{m2.pk}/", {"action": "dismiss"})
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert m1.state == "promoted" and m1.issue.source == "web_mention" and m1.issue.public
    assert m1.issue.source_url == "https://x.example"
    assert m2.state == "dismissed"
    response = client.post(f"/programs/{program.slug}/mentions/{m2.pk}/", {"action": "promote", "level": "3"})
    assert m2.issue is None


def test_level_chips_show_the_level_in_the_circle_and_the_count_in_words(client_for, member, make_issue):
    make_issue(level=4)
    make_issue(level=4)
    page = client_for(member).get(reverse("issues:log")).content.decode()
    assert (
        '<span class="lvl" aria-hidden="true">4</span> Hostile <span class="chip-count" id="count-4">2 open</span>'
        in page
    )
    assert '<span class="chip-count zero" id="count-5">0 open</span>' in page


@pytest.mark.parametrize("address", ["[", "http://[::1", "https://[example.com/feed"])
def test_feed_form_refuses_an_address_with_an_unclosed_bracket_plainly(client_for, manager, program, address):
    response = client_for(manager).post(
        reverse("issues:feed_list", kwargs={"slug": program.slug}), {"name": "Broken", "url": address}
    )
    assert response.status_code == 200 and "Enter a valid URL" in response.content.decode()
    assert not MentionFeed.objects.exists()
