"""The source pages: a manager adds a source, sees its secret once, edits, rotates, tests and removes it."""

import pytest
from django.urls import reverse

from integrations import services
from integrations.models import Delivery, Kind, Source

pytestmark = pytest.mark.django_db


def test_the_program_page_links_managers_to_the_sources(client_for, manager, member, program):
    page = client_for(manager).get(program.get_absolute_url()).content.decode()
    assert reverse("integrations:source_list", args=[program.slug]) in page
    page = client_for(member).get(program.get_absolute_url()).content.decode()
    assert reverse("integrations:source_list", args=[program.slug]) not in page


def test_adding_a_source_shows_its_address_secret_and_steps_once(client_for, manager, program):
    client = client_for(manager)
    response = client.post(
        reverse("integrations:source_add", args=[program.slug]), {"kind": Kind.HELPSCOUT, "name": "Help Scout EU"}
    )
    source = Source.objects.get()
    assert response.status_code == 302 and response.url == source.get_absolute_url()
    page = client.get(source.get_absolute_url()).content.decode()
    assert source.secret in page and "shown only this once" in page
    assert f"/hooks/{source.public_id}/" in page and "Rating Received" in page
    again = client.get(source.get_absolute_url()).content.decode()
    assert source.secret not in again
    # The mapping starts from Help Scout's defaults.
    assert source.score_field == "rating" and source.bad_values == "bad"


def test_a_zendesk_source_needs_the_secret_zendesk_made(client_for, manager, program):
    client = client_for(manager)
    url = reverse("integrations:source_add", args=[program.slug])
    response = client.post(url, {"kind": Kind.ZENDESK, "name": "Zendesk"})
    assert response.status_code == 400 and "Paste the signing secret Zendesk shows" in response.content.decode()
    assert not Source.objects.exists()
    response = client.post(url, {"kind": Kind.ZENDESK, "name": "Zendesk", "secret": "z" * 40})
    source = Source.objects.get()
    assert response.status_code == 302 and source.secret == "z" * 40
    page = client.get(source.get_absolute_url()).content.decode()
    assert "z" * 40 not in page and "satisfaction.current_rating" in page


def test_a_freshdesk_address_carries_its_token_and_says_why(client_for, manager, program):
    client = client_for(manager)
    client.post(reverse("integrations:source_add", args=[program.slug]), {"kind": Kind.FRESHDESK, "name": "FD"})
    source = Source.objects.get()
    page = client.get(source.get_absolute_url()).content.decode()
    assert f"/hooks/{source.public_id}/{source.secret}/" in page and "cannot sign" in page


def test_editing_the_mapping(client_for, manager, make_source):
    source = make_source(Kind.STANDARD)
    client = client_for(manager)
    url = reverse("integrations:source_edit", args=[source.program.slug, source.pk])
    data = {
        "name": "Shop",
        "score_field": "survey.score",
        "bad_values": "",
        "bad_at_most": "3",
        "level": "4",
        "title_field": "",
        "name_field": "{who.first} {who.last}",
        "email_field": "who.mail",
        "comment_field": "survey.text",
        "link_field": "",
        "event_id_field": "id",
    }
    assert client.post(url, data).status_code == 302
    source.refresh_from_db()
    assert (source.score_field, source.level, source.name_field) == ("survey.score", 4, "{who.first} {who.last}")
    # Without any rule for "bad", nothing changes.
    response = client.post(url, {**data, "bad_at_most": "", "name": "Changed"})
    assert response.status_code == 400
    source.refresh_from_db()
    assert source.name == "Shop"


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_the_grace(client_for, manager, make_source):
    source = make_source(Kind.TYPEFORM)
    old = source.secret
    client = client_for(manager)
    url = reverse("integrations:source_rotate", args=[source.program.slug, source.pk])
    assert client.post(url, {"grace_hours": "6"}).status_code == 302
    source.refresh_from_db()
    assert source.secret != old and source.previous_secret == old
    assert source.secrets_in_force() == [source.secret, old]
    assert source.secret in client.get(source.get_absolute_url()).content.decode()
    assert client.post(url, {"grace_hours": "99999"}).status_code == 400


def test_the_test_delivery_button_records_a_test_and_no_issue(client_for, manager, make_source, run_jobs):
    source = make_source(Kind.INTERCOM)
    client = client_for(manager)
    response = client.post(reverse("integrations:source_test", args=[source.program.slug, source.pk]))
    assert response.status_code == 302
    run_jobs()
    page = client.get(source.get_absolute_url()).content.decode()
    assert "Test passed" in page and "would create a level 3 issue" in page
    assert Delivery.objects.get().is_test


def test_the_delivery_list_links_the_issue_created(client_for, manager, make_source, run_jobs):
    from integrations import mapping, signatures

    source = make_source(Kind.STANDARD)
    body = mapping.sample_body(Kind.STANDARD)
    services.receive(
        source=source, body=body, headers=signatures.sign(kind=source.kind, secret=source.secret, body=body)
    )
    run_jobs()
    delivery = Delivery.objects.get()
    page = client_for(manager).get(source.get_absolute_url()).content.decode()
    assert reverse("issues:detail", args=[delivery.issue_id]) in page and "Issue created" in page


def test_removing_a_source_keeps_its_issues(client_for, manager, make_source, run_jobs):
    from integrations import mapping, signatures
    from issues.models import HotIssue

    source = make_source(Kind.HELPSCOUT)
    body = mapping.sample_body(Kind.HELPSCOUT)
    headers = signatures.sign(kind=source.kind, secret=source.secret, body=body)
    services.receive(source=source, body=body, headers=headers)
    services.receive(source=source, body=body, headers=headers)  # its duplicate goes with it
    run_jobs()
    response = client_for(manager).post(reverse("integrations:source_delete", args=[source.program.slug, source.pk]))
    assert response.status_code == 302
    assert not Source.objects.exists() and not Delivery.objects.exists() and HotIssue.objects.count() == 1


def test_a_source_of_another_program_is_not_found(client_for, manager, make_source, other_program):
    theirs = make_source(Kind.STANDARD, target=other_program)
    response = client_for(manager).get(reverse("integrations:source_detail", args=["support-desk", theirs.pk]))
    assert response.status_code == 404
