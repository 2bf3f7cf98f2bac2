"""The Slack and Teams pages: a manager adds a channel, never sees its address again, tests, pauses, edits, removes it."""

import pytest
from django.urls import reverse

from integrations import chat
from integrations.models import Channel, ChannelMessage, ChatKind, Event

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T000/B000/SECRETPARTOFTHEADDRESS"


def form(**values):
    data = {"kind": ChatKind.SLACK, "name": "#escalations", "url": SLACK, "on_new_angry": "on", "on_overdue": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_the_program_page_links_managers_to_the_channels(client_for, manager, member, program):
    url = reverse("integrations:channel_list", args=[program.slug])
    assert url in client_for(manager).get(program.get_absolute_url()).content.decode()
    assert url not in client_for(member).get(program.get_absolute_url()).content.decode()


def test_the_list_says_what_to_do_when_there_is_no_channel(client_for, manager, program):
    page = client_for(manager).get(reverse("integrations:channel_list", args=[program.slug])).content.decode()
    assert "No channels yet" in page


def test_adding_a_channel_shows_the_steps_and_never_the_address_again(client_for, manager, program):
    client = client_for(manager)
    add = reverse("integrations:channel_add", args=[program.slug])
    page = client.get(add).content.decode()
    assert "Add New Webhook to Workspace" in page and "Post to a channel when a webhook request is received" in page
    response = client.post(add, form())
    channel = Channel.objects.get()
    assert response.status_code == 302 and response.url == channel.get_absolute_url()
    assert (channel.on_new_angry, channel.on_overdue, channel.on_weekly_brief) == (True, True, False)
    for url in (channel.get_absolute_url(), reverse("integrations:channel_edit", args=[program.slug, channel.pk])):
        page = client.get(url).content.decode()
        assert "SECRETPARTOFTHEADDRESS" not in page and "https://hooks.slack.com/…RESS" in page


def test_a_bad_address_is_refused_on_the_form_and_nothing_is_saved(client_for, manager, program):
    response = client_for(manager).post(
        reverse("integrations:channel_add", args=[program.slug]), form(url="https://example.com/x")
    )
    assert response.status_code == 400 and chat.URL_NOT_SLACK in response.content.decode()
    response = client_for(manager).post(
        reverse("integrations:channel_add", args=[program.slug]), form(on_new_angry=None, on_overdue=None)
    )
    assert response.status_code == 400 and chat.NO_EVENT in response.content.decode()
    assert not Channel.objects.exists()


def test_editing_keeps_the_address_unless_a_new_one_is_given(client_for, manager, program):
    channel = chat.create_channel(program=program, actor=manager, kind="slack", name="#a", url=SLACK, on_overdue=True)
    edit = reverse("integrations:channel_edit", args=[program.slug, channel.pk])
    response = client_for(manager).post(edit, {"name": "#b", "url": "", "on_weekly_brief": "on"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.url, channel.events) == ("#b", SLACK, [Event.WEEKLY_BRIEF])


def test_test_pause_resume_and_remove(client_for, manager, program):
    channel = chat.create_channel(program=program, actor=manager, kind="teams", name="Desk", url=SLACK, on_overdue=True)
    client = client_for(manager)
    response = client.post(reverse("integrations:channel_test", args=[program.slug, channel.pk]))
    assert response.status_code == 302
    assert ChannelMessage.objects.get().event == Event.TEST
    page = client.get(channel.get_absolute_url()).content.decode()
    assert "Test message from Baton for Support Desk" in page and "Waiting to be sent" in page
    client.post(reverse("integrations:channel_pause", args=[program.slug, channel.pk]), {"paused": "1"})
    channel.refresh_from_db()
    assert channel.state == Channel.State.PAUSED
    assert "Resume" in client.get(channel.get_absolute_url()).content.decode()
    client.post(reverse("integrations:channel_pause", args=[program.slug, channel.pk]), {"paused": "0"})
    channel.refresh_from_db()
    assert channel.state == Channel.State.ACTIVE
    delete = reverse("integrations:channel_delete", args=[program.slug, channel.pk])
    assert "Remove the channel" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not Channel.objects.exists() and not ChannelMessage.objects.exists()


def test_a_disabled_channel_says_why_and_offers_no_test(client_for, manager, program):
    channel = chat.create_channel(program=program, actor=manager, kind="slack", name="#a", url=SLACK, on_overdue=True)
    Channel.objects.filter(pk=channel.pk).update(state=Channel.State.DISABLED, disabled_reason="It answered 410.")
    client = client_for(manager)
    page = client.get(channel.get_absolute_url()).content.decode()
    assert "It answered 410." in page and "Send a test message</button>" not in page
    client.post(reverse("integrations:channel_test", args=[program.slug, channel.pk]))
    assert not ChannelMessage.objects.exists()


def test_another_programs_manager_gets_404(client_for, outsider, manager, program):
    channel = chat.create_channel(program=program, actor=manager, kind="slack", name="#a", url=SLACK, on_overdue=True)
    response = client_for(outsider).get(channel.get_absolute_url())
    assert response.status_code == 404
