"""What a channel reads: Block Kit for Slack, an Adaptive Card for Teams, customer text kept plain and private."""

import json

from integrations import chat_format
from integrations.chat_format import Post
from integrations.models import ChatKind
from tests.integrations.chat_servers import slack_problem, teams_problem

NASTY = "Refund <!channel> @here & <https://evil.example|click> *bold* [link](https://evil.example) ana@example.com +49 170 1234567"


def test_a_slack_message_has_blocks_a_text_fallback_and_an_absolute_link(settings):
    settings.SITE_URL = "https://baton.example.com/"
    body = chat_format.slack_payload(Post(title="Leaving: Charged twice", lines=["New in Desk."], path="/issues/7/"))
    assert slack_problem(body) == ""
    assert body["text"].startswith("Leaving: Charged twice — New in Desk.")
    assert "https://baton.example.com/issues/7/" in body["text"]
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Leaving: Charged twice", "emoji": False},
    }
    assert body["blocks"][-1]["elements"][0]["url"] == "https://baton.example.com/issues/7/"


def test_slack_control_characters_and_broadcasts_from_a_customer_are_neutralised():
    body = chat_format.slack_payload(Post(title=NASTY, lines=[NASTY], facts=[("Owner", NASTY)]))
    mrkdwn = [body["text"], body["blocks"][1]["text"]["text"], body["blocks"][2]["fields"][0]["text"]]
    for text in mrkdwn:
        assert "<" not in text and ">" not in text
        assert "&lt;!channel&gt;" in text and "&amp;" in text
        assert "@here" not in text and f"@{chat_format.WORD_JOINER}here" in text
    everything = json.dumps(body, ensure_ascii=False)
    assert "ana@example.com" not in everything and "1234567" not in everything
    assert "[email]" in everything and "[phone]" in everything


def test_a_teams_message_is_one_adaptive_card_with_its_markdown_neutralised(settings):
    settings.SITE_URL = "https://baton.example.com"
    body = chat_format.teams_payload(Post(title=NASTY, lines=["- not a list", "1. nor this"], path="/issues/7/"))
    assert teams_problem(body) == ""
    card = body["attachments"][0]["content"]
    title, first, second = (block["text"] for block in card["body"][:3])
    assert r"\*bold\*" in title and r"\[link\](https://evil.example)" in title
    assert "ana@example.com" not in title and "[email]" not in title.replace("\\[email\\]", "")
    assert first == r"\- not a list" and second == r"1\. nor this"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Baton", "url": "https://baton.example.com/issues/7/"}
    ]


def test_long_titles_are_cut_to_what_slack_takes_and_the_note_keeps_its_first_lines():
    body = chat_format.payload(ChatKind.SLACK, Post(title="x" * 400))
    assert len(body["blocks"][0]["text"]["text"]) == chat_format.TITLE_MAX
    assert chat_format.first_lines("one\n\n two \nthree\nfour", lines=3) == ["one", "two", "three"]
