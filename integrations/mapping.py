"""Reading a tool's JSON: the default mapping of each tool, the path language, and sample deliveries.

A mapping field is a dotted path into the JSON (`customer.emails.0.value`), where
a segment `name[key=value]` picks the first item of the list `name` whose `key`
(itself a path) equals `value` (`form_response.answers[type=email].email`);
or a template holding such paths in braces (`{customer.firstName} {customer.lastName}`).
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .models import Kind

# What a source of each kind starts with; the manager can change every value.
DEFAULTS: dict[str, dict] = {
    # Zendesk's webhook body is whatever its trigger sends: the instructions give the JSON below.
    Kind.ZENDESK: {
        "score_field": "rating",
        "bad_values": "bad",
        "bad_at_most": None,
        "title_field": "subject",
        "name_field": "name",
        "email_field": "email",
        "comment_field": "comment",
        "link_field": "url",
        "event_id_field": "",
    },
    # The conversation.rating.added notification: a conversation with its conversation_rating (1–5).
    Kind.INTERCOM: {
        "score_field": "data.item.conversation_rating.rating",
        "bad_values": "",
        "bad_at_most": Decimal(2),
        "title_field": "",
        "name_field": "data.item.source.author.name",
        "email_field": "data.item.source.author.email",
        "comment_field": "data.item.conversation_rating.remark",
        "link_field": "https://app.intercom.com/a/inbox/_/inbox/conversation/{data.item.id}",
        "event_id_field": "id",
    },
    # The satisfaction.ratings event: a Rating object, rated Great, Okay or Bad.
    Kind.HELPSCOUT: {
        "score_field": "rating",
        "bad_values": "bad",
        "bad_at_most": None,
        "title_field": "",
        "name_field": "{customer.firstName} {customer.lastName}",
        "email_field": "customer.emails.0.value",
        "comment_field": "comments",
        "link_field": "https://secure.helpscout.net/conversation/{ticketId}",
        "event_id_field": "",
    },
    # The form_response event: a rating or opinion-scale answer (an NPS 0–10: 6 and below are detractors).
    Kind.TYPEFORM: {
        "score_field": "form_response.answers[type=number].number",
        "bad_values": "",
        "bad_at_most": Decimal(6),
        "title_field": "form_response.definition.title",
        "name_field": "form_response.hidden.name",
        "email_field": "form_response.answers[type=email].email",
        "comment_field": "form_response.answers[type=text].text",
        "link_field": "https://admin.typeform.com/form/{form_response.form_id}/results#responses",
        "event_id_field": "event_id",
    },
    # Freshdesk's automation rule sends the JSON the instructions give.
    Kind.FRESHDESK: {
        "score_field": "rating",
        "bad_values": "bad, unhappy, not satisfied",
        "bad_at_most": None,
        "title_field": "subject",
        "name_field": "name",
        "email_field": "email",
        "comment_field": "comment",
        "link_field": "url",
        "event_id_field": "",
    },
    Kind.STANDARD: {
        "score_field": "rating",
        "bad_values": "",
        "bad_at_most": Decimal(2),
        "title_field": "title",
        "name_field": "customer.name",
        "email_field": "customer.email",
        "comment_field": "comment",
        "link_field": "url",
        "event_id_field": "",
    },
}

# The JSON body the Zendesk trigger and the Freshdesk rule are told to send (their placeholders).
ZENDESK_BODY = {
    "ticket_id": "{{ticket.id}}",
    "subject": "{{ticket.title}}",
    "rating": "{{satisfaction.current_rating}}",
    "comment": "{{satisfaction.current_comment}}",
    "name": "{{ticket.requester.name}}",
    "email": "{{ticket.requester.email}}",
    "url": "{{ticket.link}}",
}
FRESHDESK_BODY = {
    "ticket_id": "{{ticket.id}}",
    "subject": "{{ticket.subject}}",
    "rating": "bad",
    "comment": "{{ticket.latest_public_comment}}",
    "name": "{{ticket.requester.name}}",
    "email": "{{ticket.requester.email}}",
    "url": "{{ticket.url}}",
}


def sample(kind: str, *, bad: bool = True, n: int = 1) -> dict:
    """Return a delivery shaped as the tool documents it: a bad (or good) rating by a made-up customer."""
    email = f"sam.sample{n}@example.com"
    comment = "Waited three days and nobody answered." if bad else "Quick and kind, thank you."
    if kind == Kind.ZENDESK:
        return {
            "ticket_id": str(1000 + n),
            "subject": "My order never arrived",
            "rating": "Bad" if bad else "Good",
            "comment": comment,
            "name": "Sam Sample",
            "email": email,
            "url": f"https://example.zendesk.com/agent/tickets/{1000 + n}",
        }
    if kind == Kind.INTERCOM:
        return {
            "type": "notification_event",
            "app_id": "abc123",
            "id": f"notif_{n:08d}-sample",
            "topic": "conversation.rating.added",
            "created_at": 1700000000,
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": str(5000 + n),
                    "source": {
                        "type": "conversation",
                        "author": {"type": "user", "name": "Sam Sample", "email": email},
                    },
                    "conversation_rating": {"rating": 1 if bad else 5, "remark": comment, "created_at": 1700000000},
                },
            },
        }
    if kind == Kind.HELPSCOUT:
        return {
            "id": 5434 + n,
            "customer": {
                "id": 449379,
                "firstName": "Sam",
                "lastName": "Sample",
                "emails": [{"id": 1220012, "value": email, "location": "work"}],
            },
            "ticketId": 1560011 + n,
            "threadId": 3002084,
            "mailbox": {"id": 1234, "name": "Support"},
            "rating": "Bad" if bad else "Great",
            "comments": comment,
            "createdAt": "2026-04-13T12:34:12Z",
            "modifiedAt": "2026-04-13T12:34:12Z",
        }
    if kind == Kind.TYPEFORM:
        return {
            "event_id": f"01SAMPLE{n:010d}",
            "event_type": "form_response",
            "form_response": {
                "form_id": "lT4Z3j",
                "token": f"a3a12ec67a1365927098a606107fac1{n}",
                "submitted_at": "2026-04-13T12:34:12Z",
                "hidden": {"name": "Sam Sample"},
                "definition": {"id": "lT4Z3j", "title": "How did we do?", "fields": []},
                "answers": [
                    {"type": "number", "number": 2 if bad else 9, "field": {"id": "nps1", "type": "opinion_scale"}},
                    {"type": "text", "text": comment, "field": {"id": "why1", "type": "long_text"}},
                    {"type": "email", "email": email, "field": {"id": "mail1", "type": "email"}},
                ],
            },
        }
    if kind == Kind.FRESHDESK:
        return {
            "ticket_id": str(2000 + n),
            "subject": "Refund still missing",
            "rating": "bad" if bad else "happy",
            "comment": comment,
            "name": "Sam Sample",
            "email": email,
            "url": f"https://example.freshdesk.com/a/tickets/{2000 + n}",
        }
    return {
        "title": "Checkout failed twice",
        "rating": 1 if bad else 5,
        "comment": comment,
        "customer": {"name": "Sam Sample", "email": email},
        "url": f"https://shop.example.com/orders/{3000 + n}",
    }


def sample_body(kind: str, *, bad: bool = True, n: int = 1) -> bytes:
    return json.dumps(sample(kind, bad=bad, n=n)).encode()


# ---------------------------------------------------------------- paths

_FILTER = re.compile(r"^(?P<name>[^\[\]]*)\[(?P<key>[^=\]]+)=(?P<value>[^\]]*)\]$")
_TEMPLATE = re.compile(r"\{([^{}]+)\}")


def _step(value, segment: str):
    match = _FILTER.match(segment)
    if match:
        if match["name"]:
            value = _step(value, match["name"])
        if not isinstance(value, list):
            return None
        for item in value:
            found = resolve_path(item, match["key"])
            if found is not None and str(found) == match["value"]:
                return item
        return None
    if isinstance(value, dict):
        return value.get(segment)
    if isinstance(value, list) and segment.isdigit():
        index = int(segment)
        return value[index] if index < len(value) else None
    return None


def _segments(path: str) -> list[str]:
    """Split on dots outside brackets."""
    parts, depth, current = [], 0, ""
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part]


def resolve_path(data, path: str):
    """Return the value at `path` in `data`, or None when any step is missing."""
    value = data
    for segment in _segments(path.strip()):
        value = _step(value, segment)
        if value is None:
            return None
    return value


def _text(value) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def extract(data, field: str) -> str:
    """Return the text a mapping field points at (a path or a template); '' when nothing is there."""
    field = (field or "").strip()
    if not field:
        return ""
    if "{" in field:
        parts = [_text(resolve_path(data, path)) for path in _TEMPLATE.findall(field)]
        if not any(parts):
            return ""
        return " ".join(_TEMPLATE.sub(lambda m: _text(resolve_path(data, m.group(1))), field).split())
    return _text(resolve_path(data, field))


def raw(data, field: str):
    """Return the JSON value a path points at (for the rating, which may be a number)."""
    return resolve_path(data, field) if field and "{" not in field else extract(data, field) or None


@dataclass(frozen=True)
class Verdict:
    bad: bool
    shown: str


NO_RATING = "No rating at “{field}”."
NOT_A_NUMBER = "The rating “{value}” at “{field}” is not a number, and no bad words are set."
NO_RULE = "Set which ratings are bad: words, or a number at or below which a rating is bad."


def judge(*, value, field: str, bad_values: str, bad_at_most) -> Verdict:
    """Return whether a rating is bad under the source's rule; raise ValueError with a reason when it cannot tell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(NO_RATING.format(field=field))
    shown = _text(value)[:100]
    words = [w.strip().casefold() for w in (bad_values or "").split(",") if w.strip()]
    if words:
        text = shown.casefold()
        # Zendesk's placeholder reads e.g. "Bad, I'm unsatisfied": a bad word followed by more counts.
        return Verdict(any(text == w or re.match(rf"{re.escape(w)}\b", text) for w in words), shown)
    if bad_at_most is None:
        raise ValueError(NO_RULE)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValueError(NOT_A_NUMBER.format(value=shown, field=field)) from error
    if not number.is_finite():
        raise ValueError(NOT_A_NUMBER.format(value=shown, field=field))
    return Verdict(number <= Decimal(bad_at_most), shown)
