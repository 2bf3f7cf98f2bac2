"""Scrub contact details from text: e-mail addresses and phone numbers (task ids and other UUIDs kept whole).

Used by the logs (config.observability) and by pages that quote customers to
a wider audience (the customer's-chair brief).
"""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# A phone number stands on its own: not inside a word, a hex id or a hyphenated token.
PHONE = re.compile(r"(?<![\w-])\+?\d[\d ()./-]{6,}\d(?![\w-])")
# Task ids, request ids and other UUIDs are never contact details.
UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
# Digit runs that look like a phone number but are not one: dates and IPv4 addresses.
NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{1,2})?|\d{1,3}(\.\d{1,3}){3}")


def _phone(match: re.Match) -> str:
    found = match.group(0)
    if sum(c.isdigit() for c in found) < 7 or NOT_PHONE.fullmatch(found):
        return found
    return "[phone]"


def _redact_outside_ids(text: str) -> str:
    return PHONE.sub(_phone, EMAIL.sub("[email]", text))


def redact(text: str) -> str:
    """Return `text` with e-mail addresses and phone numbers replaced (UUIDs such as task ids kept whole)."""
    pieces, last = [], 0
    for match in UUID.finditer(text):
        pieces += [_redact_outside_ids(text[last : match.start()]), match.group(0)]
        last = match.end()
    pieces.append(_redact_outside_ids(text[last:]))
    return "".join(pieces)
