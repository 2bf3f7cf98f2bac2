"""What a Slack or Teams channel reads: one Post, written as Block Kit for Slack and as an Adaptive Card for Teams.

Every text that came from a customer or a person (a title, the handoff note,
an answer) is treated as plain text in each format: contact details are
scrubbed (core.scrub), Slack's control characters (& < >) are escaped and its
broadcast words (@channel, @here, @everyone) broken, so nobody can ping a whole
channel or hide a link; in an Adaptive Card the TextBlock markdown characters
are escaped, so a title cannot turn into a link or a list. Only Baton's own
link to the issue is a link.
"""

import re
from dataclasses import dataclass, field
from typing import Final

from django.conf import settings

from core.scrub import redact

from .models import ChatKind

# Slack's header block takes at most 150 characters, a section's text 3000; Teams is roomier, we are not.
TITLE_MAX: Final = 150
LINE_MAX: Final = 600
LINES_MAX: Final = 8
FALLBACK_MAX: Final = 3000

# A word joiner after the @ keeps the word visible and stops it from being a broadcast.
WORD_JOINER: Final = "\u2060"
BROADCAST = re.compile(r"@(channel|here|everyone|all)\b", re.IGNORECASE)
# What Adaptive Card markdown reads: emphasis, links ([text](url)), code, escapes; and, at a line's start, lists.
CARD_MARKDOWN = re.compile(r"([\\*_\[\]`~])")
LIST_START = re.compile(r"^(\s*)([-+#>])", re.MULTILINE)
NUMBERED = re.compile(r"^(\s*\d+)\.", re.MULTILINE)


@dataclass(frozen=True)
class Post:
    """A message for a channel: a title, a few lines, label/value facts and a link back to Baton (a path)."""

    title: str
    lines: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    path: str = ""
    link_label: str = "Open in Baton"


def absolute(path: str) -> str:
    """Return the absolute address of a Baton page (SITE_URL, as the e-mails link)."""
    if not path:
        return ""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def clean(text: str, limit: int = LINE_MAX) -> str:
    """Return `text` as one safe plain line: printable, contact details scrubbed, at most `limit` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_lines(text: str, *, lines: int = 3, limit: int = 300) -> list[str]:
    """Return the first non-empty lines of a longer text (a handoff note), each cleaned."""
    found = [clean(line, limit) for line in str(text or "").splitlines() if line.strip()]
    return found[:lines]


def slack_escape(text: str) -> str:
    """Escape text for Slack mrkdwn: & < > as entities, and @channel-style broadcasts broken."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return BROADCAST.sub(lambda m: f"@{WORD_JOINER}{m.group(1)}", text)


def card_escape(text: str) -> str:
    """Escape text for an Adaptive Card TextBlock: every markdown character backslash-escaped, no numbered list."""
    text = CARD_MARKDOWN.sub(r"\\\1", text)
    text = LIST_START.sub(r"\1\\\2", text)
    text = NUMBERED.sub(r"\1\\.", text)
    return BROADCAST.sub(lambda m: f"@{WORD_JOINER}{m.group(1)}", text)


def _cleaned(post: Post) -> Post:
    return Post(
        title=clean(post.title, TITLE_MAX) or "Baton",
        lines=[clean(line) for line in post.lines if clean(line)][:LINES_MAX],
        facts=[(clean(label, 40), clean(value, 200)) for label, value in post.facts if clean(value, 200)],
        path=post.path,
        link_label=clean(post.link_label, 60),
    )


def slack_payload(post: Post) -> dict:
    """Return the Slack incoming-webhook body: Block Kit blocks and a plain `text` fallback (notifications)."""
    post = _cleaned(post)
    url = absolute(post.path)
    fallback = " — ".join([post.title, *post.lines[:1]])
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": post.title, "emoji": False}}]
    if post.lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(map(slack_escape, post.lines))}})
    if post.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{slack_escape(label)}*\n{slack_escape(value)}"}
                    for label, value in post.facts[:10]
                ],
            }
        )
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": post.link_label}, "url": url}],
            }
        )
        fallback += f" {url}"
    return {"text": slack_escape(fallback)[:FALLBACK_MAX], "blocks": blocks, "unfurl_links": False}


def teams_payload(post: Post) -> dict:
    """Return the Teams workflow body: a message whose one attachment is an Adaptive Card."""
    post = _cleaned(post)
    url = absolute(post.path)
    body: list[dict] = [
        {"type": "TextBlock", "text": card_escape(post.title), "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    body += [{"type": "TextBlock", "text": card_escape(line), "wrap": True} for line in post.lines]
    if post.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": card_escape(label), "value": card_escape(value)} for label, value in post.facts],
            }
        )
    card: dict = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": post.link_label, "url": url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def payload(kind: str, post: Post) -> dict:
    """Return the body for a channel of `kind` (Slack or Teams)."""
    return slack_payload(post) if kind == ChatKind.SLACK else teams_payload(post)
