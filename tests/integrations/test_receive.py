"""The endpoint the tools post to, and the task that turns a delivery into a hot issue (on PostgreSQL)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Notification
from core.models import OutboxMessage
from integrations import mapping, services, signatures
from integrations.models import Delivery, Kind
from issues.models import HotIssue, Source

pytestmark = pytest.mark.django_db

ALL = list(Kind.values)
EXPECTED_LINK = {
    Kind.ZENDESK: "https://example.zendesk.com/agent/tickets/1001",
    Kind.INTERCOM: "https://app.intercom.com/a/inbox/_/inbox/conversation/5001",
    Kind.HELPSCOUT: "https://secure.helpscout.net/conversation/1560012",
    Kind.TYPEFORM: "https://admin.typeform.com/form/lT4Z3j/results#responses",
    Kind.FRESHDESK: "https://example.freshdesk.com/a/tickets/2001",
    Kind.STANDARD: "https://shop.example.com/orders/3001",
}


@pytest.mark.parametrize("kind", ALL)
def test_a_bad_rating_becomes_one_hot_issue_for_the_default_owner(kind, make_source, deliver, run_jobs, manager):
    source = make_source(kind)
    response = deliver(source, mapping.sample_body(kind))
    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get()
    assert delivery.outcome == Delivery.Outcome.RECEIVED and bytes(delivery.body) == mapping.sample_body(kind)
    assert not HotIssue.objects.exists()  # the answer came before any processing

    assert run_jobs() == [Delivery.Outcome.ISSUE_CREATED]
    issue = HotIssue.objects.get()
    delivery.refresh_from_db()
    assert delivery.issue == issue and delivery.outcome == Delivery.Outcome.ISSUE_CREATED
    assert issue.program == source.program and issue.owner == manager and issue.level == source.level
    assert issue.source == Source.SURVEY
    assert issue.customer.name == "Sam Sample" and issue.customer.email == "sam.sample1@example.com"
    assert "Waited three days and nobody answered." in issue.words
    assert issue.source_url == EXPECTED_LINK[kind]
    assert issue.title


@pytest.mark.parametrize("kind", ALL)
def test_a_good_rating_is_counted_and_creates_nothing(kind, make_source, deliver, run_jobs):
    source = make_source(kind)
    assert deliver(source, mapping.sample_body(kind, bad=False)).status_code == 202
    assert run_jobs() == [Delivery.Outcome.GOOD_RATING]
    assert not HotIssue.objects.exists()
    assert Delivery.objects.get().outcome == Delivery.Outcome.GOOD_RATING


@pytest.mark.parametrize("kind", ALL)
def test_the_same_delivery_twice_creates_one_issue(kind, make_source, deliver, run_jobs):
    source = make_source(kind)
    body = mapping.sample_body(kind)
    headers = signatures.sign(kind=kind, secret=source.secret, body=body)
    assert deliver(source, body, headers=headers).status_code == 202
    assert deliver(source, body, headers=headers).status_code == 200  # a re-send of the same delivery
    run_jobs()
    assert HotIssue.objects.count() == 1
    outcomes = sorted(Delivery.objects.values_list("outcome", flat=True))
    assert outcomes == [Delivery.Outcome.DUPLICATE, Delivery.Outcome.ISSUE_CREATED]
    duplicate = Delivery.objects.get(outcome=Delivery.Outcome.DUPLICATE)
    assert duplicate.duplicate_of.issue == HotIssue.objects.get() and bytes(duplicate.body) == b""


@pytest.mark.parametrize("kind", [Kind.INTERCOM, Kind.TYPEFORM])
def test_a_resend_with_the_same_event_id_but_another_body_creates_one_issue(kind, make_source, deliver, run_jobs):
    source = make_source(kind)
    first = mapping.sample(kind)
    second = {**first, "resent": True}
    deliver(source, json.dumps(first).encode())
    deliver(source, json.dumps(second).encode())
    assert run_jobs() == [Delivery.Outcome.ISSUE_CREATED, Delivery.Outcome.DUPLICATE]
    assert HotIssue.objects.count() == 1


def test_the_task_run_twice_creates_one_issue(make_source, deliver, run_jobs):
    source = make_source(Kind.HELPSCOUT)
    deliver(source, mapping.sample_body(Kind.HELPSCOUT))
    delivery = Delivery.objects.get()
    run_jobs()
    assert services.process_delivery(delivery_id=delivery.pk) == Delivery.Outcome.ISSUE_CREATED
    assert HotIssue.objects.count() == 1


@pytest.mark.parametrize("kind", [Kind.ZENDESK, Kind.INTERCOM, Kind.HELPSCOUT, Kind.TYPEFORM, Kind.STANDARD])
def test_a_wrong_or_missing_signature_is_refused_and_recorded_without_the_body(kind, make_source, deliver, run_jobs):
    source = make_source(kind)
    body = mapping.sample_body(kind)
    wrong = deliver(source, body, secret=signatures.new_secret(kind))
    missing = deliver(source, body, headers={})
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert "does not match" in wrong.json()["error"] and "no signature" in missing.json()["error"]
    refused = Delivery.objects.filter(outcome=Delivery.Outcome.REFUSED)
    assert refused.count() == 2 and all(bytes(d.body) == b"" for d in refused)
    assert not OutboxMessage.objects.exists()
    assert run_jobs() == [] and not HotIssue.objects.exists()


@pytest.mark.parametrize("kind", [Kind.ZENDESK, Kind.STANDARD])
def test_a_stale_signature_is_refused(kind, make_source, deliver):
    source = make_source(kind)
    body = mapping.sample_body(kind)
    headers = signatures.sign(kind=kind, secret=source.secret, body=body, now=timezone.now() - timedelta(minutes=6))
    response = deliver(source, body, headers=headers)
    assert response.status_code == 401 and "five minutes" in response.json()["error"]


@pytest.mark.parametrize("kind", [Kind.HELPSCOUT, Kind.STANDARD, Kind.FRESHDESK])
def test_a_valid_signature_with_another_programs_secret_is_refused(kind, make_source, deliver, other_program):
    ours, theirs = make_source(kind), make_source(kind, target=other_program)
    body = mapping.sample_body(kind)
    path = ours.endpoint_path().replace(ours.secret, theirs.secret) if kind == Kind.FRESHDESK else None
    response = deliver(ours, body, secret=theirs.secret, path=path)
    assert response.status_code == 401
    assert not Delivery.objects.filter(source=theirs).exists()


def test_freshdesk_needs_the_token_of_its_address(make_source, deliver, client):
    source = make_source(Kind.FRESHDESK)
    body = mapping.sample_body(Kind.FRESHDESK)
    assert deliver(source, body).status_code == 202
    without = client.post(f"/hooks/{source.public_id}/", data=body, content_type="application/json")
    wrong = client.post(f"/hooks/{source.public_id}/{'x' * 43}/", data=body, content_type="application/json")
    assert (without.status_code, wrong.status_code) == (401, 401)


def test_an_unknown_source_is_404_and_stores_nothing(client):
    response = client.post("/hooks/no-such-source/", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert not Delivery.objects.exists()


def test_a_get_is_refused(make_source, client):
    assert client.get(make_source(Kind.STANDARD).endpoint_path()).status_code == 405


def test_a_body_of_10_mb_is_refused_with_413_and_not_stored(make_source, deliver):
    source = make_source(Kind.STANDARD)
    body = b'{"rating": 1, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = deliver(source, body)
    assert response.status_code == 413
    refused = Delivery.objects.get()
    assert refused.outcome == Delivery.Outcome.REFUSED and bytes(refused.body) == b""
    assert refused.size == len(body)


def test_invalid_json_is_recorded_as_unreadable(make_source, deliver, run_jobs):
    source = make_source(Kind.TYPEFORM)
    assert deliver(source, b'{"event_id": "01", "form_response": ').status_code == 202
    assert run_jobs() == [Delivery.Outcome.UNREADABLE]
    delivery = Delivery.objects.get()
    assert delivery.reason.startswith("The body is not JSON") and not HotIssue.objects.exists()


@pytest.mark.parametrize("body", [b"[1, 2]", b"\xff\xfe not text", b"[" * 100_000])
def test_other_unreadable_bodies_are_recorded_too(body, make_source, deliver, run_jobs):
    deliver(make_source(Kind.STANDARD), body)
    assert run_jobs() == [Delivery.Outcome.UNREADABLE]


def test_a_missing_rating_is_a_mapping_failure_with_the_reason(make_source, deliver, run_jobs):
    source = make_source(Kind.STANDARD)
    deliver(source, json.dumps({"comment": "No score here"}).encode())
    assert run_jobs() == [Delivery.Outcome.MAPPING_FAILED]
    assert Delivery.objects.get().reason == "No rating at “rating”."


def test_a_rating_that_is_not_a_number_is_a_mapping_failure(make_source, deliver, run_jobs):
    deliver(make_source(Kind.STANDARD), json.dumps({"rating": "awful"}).encode())
    assert run_jobs() == [Delivery.Outcome.MAPPING_FAILED]
    assert "is not a number" in Delivery.objects.get().reason


def test_intercoms_ping_and_other_topics_are_ignored(make_source, deliver, run_jobs):
    source = make_source(Kind.INTERCOM)
    deliver(source, json.dumps({"type": "notification_event", "topic": "ping", "id": "notif_ping"}).encode())
    assert run_jobs() == [Delivery.Outcome.IGNORED]
    assert not HotIssue.objects.exists()


def test_a_level_5_source_tells_the_owner_at_once(make_source, deliver, run_jobs, manager):
    source = make_source(Kind.ZENDESK)
    services.update_source(source=source, actor=manager, level=5)
    deliver(source, mapping.sample_body(Kind.ZENDESK))
    run_jobs()
    assert Notification.objects.filter(user=manager, kind="issue_angry_customer").count() == 1


def test_an_odd_email_and_link_are_kept_in_the_words_not_lost(make_source, deliver, run_jobs):
    source = make_source(Kind.STANDARD)
    body = {
        "rating": 1,
        "comment": "Bad",
        "customer": {"name": "Al\nEx", "email": "not an email"},
        "url": "javascript:x",
    }
    deliver(source, json.dumps(body).encode())
    assert run_jobs() == [Delivery.Outcome.ISSUE_CREATED]
    issue = HotIssue.objects.get()
    assert issue.customer.name == "Al Ex" and issue.customer.email == ""
    assert issue.source_url == "" and "javascript:x" in issue.words


def test_a_program_without_an_owner_records_why_no_issue_was_made(make_source, deliver, run_jobs, manager, program):
    source = make_source(Kind.STANDARD)
    program.memberships.all().delete()
    deliver(source, mapping.sample_body(Kind.STANDARD))
    assert run_jobs() == [Delivery.Outcome.MAPPING_FAILED]
    assert Delivery.objects.get().reason.startswith("The issue could not be created")


def test_the_previous_secret_works_until_the_grace_period_ends(make_source, deliver, manager):
    source = make_source(Kind.HELPSCOUT)
    old = source.secret
    source, new = services.rotate_secret(source=source, actor=manager, grace_hours=2)
    assert new != old
    assert deliver(source, mapping.sample_body(Kind.HELPSCOUT, n=1), secret=old).status_code == 202
    assert deliver(source, mapping.sample_body(Kind.HELPSCOUT, n=2), secret=new).status_code == 202
    source.previous_valid_until = timezone.now() - timedelta(seconds=1)
    source.save()
    assert deliver(source, mapping.sample_body(Kind.HELPSCOUT, n=3), secret=old).status_code == 401


def test_a_test_delivery_goes_through_verification_and_creates_no_issue(make_source, run_jobs, manager):
    source = make_source(Kind.TYPEFORM)
    received = services.send_test_delivery(source=source, actor=manager)
    assert received.status == 202
    assert run_jobs() == [Delivery.Outcome.TEST_PASSED]
    delivery = Delivery.objects.get()
    assert delivery.is_test and "would create a level 3 issue" in delivery.reason
    assert not HotIssue.objects.exists()


def test_storing_a_delivery_takes_a_few_queries(make_source, deliver, django_assert_max_num_queries):
    source = make_source(Kind.STANDARD)
    body = mapping.sample_body(Kind.STANDARD)
    # The source, the delivery and the outbox row, and the savepoints around them (no reads of the body).
    with django_assert_max_num_queries(7):
        assert deliver(source, body).status_code == 202


def test_stuck_deliveries_are_queued_again(make_source, deliver, run_jobs):
    source = make_source(Kind.STANDARD)
    deliver(source, mapping.sample_body(Kind.STANDARD))
    OutboxMessage.objects.all().delete()  # the job was lost
    Delivery.objects.update(received_at=timezone.now() - timedelta(minutes=11))
    assert services.requeue_stuck_deliveries() == 1
    assert services.requeue_stuck_deliveries() == 0  # already on its way
    assert run_jobs() == [Delivery.Outcome.ISSUE_CREATED]


def test_a_flood_of_forged_requests_is_answered_but_recorded_only_so_often(make_source, deliver):
    source = make_source(Kind.HELPSCOUT)
    for _ in range(services.REFUSALS_RECORDED_PER_MINUTE + 5):
        assert deliver(source, b"{}", headers={}).status_code == 401
    assert Delivery.objects.count() == services.REFUSALS_RECORDED_PER_MINUTE


def test_old_bodies_are_cleared_and_the_rows_kept(make_source, deliver, run_jobs):
    deliver(make_source(Kind.STANDARD), mapping.sample_body(Kind.STANDARD))
    run_jobs()
    Delivery.objects.update(processed_at=timezone.now() - timedelta(days=31))
    services.requeue_stuck_deliveries()
    delivery = Delivery.objects.get()
    assert bytes(delivery.body) == b"" and delivery.outcome == Delivery.Outcome.ISSUE_CREATED
