"""Reading a forwarded e-mail: who the customer is, what they wrote, and whether a person sent it at all.

Pure functions over Python's `email` package, no database. A forwarded mail
holds the customer's message below a marker its mail client writes:

- Gmail: ``---------- Forwarded message ---------``
- Apple Mail: ``Begin forwarded message:``
- Outlook: ``-----Original Message-----`` or a line of underscores

followed by a block of ``From:``/``Date:``/``Subject:``/``To:`` lines. The
customer is that block's ``From:`` (the innermost one when a mail was forwarded
twice); without such a block the person who sent the mail is the customer. A
mail forwarded "as attachment" (a ``message/rfc822`` part) is read the same way.
The customer's words are trimmed of quoted replies and signatures; HTML is
turned into text with Python's own parser.
"""

import contextlib
import re
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# ---------------------------------------------------------------- headers

_PREFIX = re.compile(r"^\s*(?:(?:fwd?|fw|tr|wg|re|aw|sv|vs|antw)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def parse(raw: bytes) -> EmailMessage:
    """Return the message `raw` holds (Python's modern e-mail API)."""
    return BytesParser(policy=policy.default).parsebytes(raw)


def parse_headers(raw: bytes) -> Message:
    """Return only the headers of `raw` (cheap: the body is not parsed)."""
    return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)


def header_text(message: Message, name: str) -> str:
    """Return a header as one line of text ("" when absent or unreadable)."""
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode: treat as absent
        return ""
    if value is None:
        return ""
    value = str(value)
    if "=?" in value:
        with contextlib.suppress(Exception):  # a broken encoded word: keep it as it came
            value = str(make_header(decode_header(value)))
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def address_of(value: str) -> tuple[str, str]:
    """Return (name, address) of a From-like header value, the address lower-cased ("" when none)."""
    name, address = parseaddr(value or "")
    if not _EMAIL.fullmatch(address or ""):
        found = _EMAIL.search(value or "")
        address = found.group(0) if found else ""
        name = name or _name_around(value or "", address)
    return " ".join(name.strip(" \"'").split())[:200], address.lower()[:254]


def _name_around(value: str, address: str) -> str:
    name = value.replace(address, " ") if address else value
    name = re.sub(r"\[?mailto:\s*\]?|[<>\[\]()]", " ", name, flags=re.IGNORECASE)
    return " ".join(name.strip(" \"'*").split())


def addresses_in(message: Message, *names: str) -> list[str]:
    """Return every address in the named headers, lower-cased, in order."""
    values = []
    for name in names:
        with contextlib.suppress(Exception):  # an unreadable header counts as absent
            values.extend(str(v) for v in message.get_all(name, []))
    return [address.lower() for _, address in getaddresses(values) if address]


def clean_subject(subject: str) -> str:
    """Return a subject without its Fwd:/FW:/Re: prefixes."""
    return " ".join(_PREFIX.sub("", subject or "").split())


# ---------------------------------------------------------------- loops

AUTOMATIC_SENDERS = frozenset({"mailer-daemon", "postmaster", "noreply-dmarc-support", "auto-reply", "autoreply"})
BULK_PRECEDENCE = frozenset({"bulk", "auto_reply", "list", "junk"})


def automatic(message: Message, *, envelope_sender: str | None) -> str | None:
    """Return why `message` was sent by a machine (an auto-reply, a bounce, a list), or None for a person's mail.

    `envelope_sender` is the SMTP MAIL FROM ("" for the null return path of a
    bounce), or None when the way in does not say.
    """
    auto_submitted = header_text(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted[:40]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if message.get(name) is not None:
            return f"{name} header"
    precedence = header_text(message, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "a null return path (a bounce)"
    if header_text(message, "Return-Path").strip() == "<>":
        return "a null return path (a bounce)"
    _, sender = address_of(header_text(message, "From"))
    local = sender.split("@")[0] if sender else ""
    if local in AUTOMATIC_SENDERS:
        return f"sent by {local}"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    for part in message.walk():
        if part.get_content_type() in ("message/delivery-status", "message/disposition-notification"):
            return "a delivery report"
    return None


# ---------------------------------------------------------------- attachments


def attachment_count(message: EmailMessage) -> int:
    """Return how many files the message carries (inline images and a forwarded message included)."""
    count = 0
    for part in message.walk():
        if part.is_multipart() or part is message:
            continue
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment" or part.get_filename() or part.get_content_maintype() not in ("text",):
            count += 1
    return count


# ---------------------------------------------------------------- HTML to text


class _Text(HTMLParser):
    BLOCKS = frozenset(
        "address article aside blockquote dd div dl dt figure footer form h1 h2 h3 h4 h5 h6 header hr li main "
        "nav ol p pre section table tbody thead tfoot tr ul".split()
    )
    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0
        self.pre = 0

    def _newline(self):
        self.out.append("\n" + "> " * self.quote)

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "blockquote":
            self.quote += 1
            self._newline()
        elif tag in self.BLOCKS:
            if tag == "pre":
                self.pre += 1
            self._newline()
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._newline()
        elif tag in self.BLOCKS:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self._newline()

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            self.out.append(data.replace("\n", "\n" + "> " * self.quote))
        else:
            words = " ".join(data.split())
            if not words:
                self.out.append(" " if data else "")
                return
            self.out.append((" " if data[0].isspace() else "") + words + (" " if data[-1].isspace() else ""))


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML body: paragraphs and line breaks kept, tags and scripts gone."""
    parser = _Text()
    with contextlib.suppress(Exception):  # html.parser is lenient; a pathological body yields what was read
        parser.feed(html or "")
        parser.close()
    lines = [line.rstrip() for line in "".join(parser.out).split("\n")]
    lines = [line.lstrip() if not line.lstrip().startswith(">") else line.strip() for line in lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def body_text(message: EmailMessage) -> str:
    """Return the text of a message: its plain part, else its HTML part turned into text."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        if message.get_content_maintype() == "text":
            part = message
        else:
            return ""
    try:
        content = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- forwarded messages

_MARKER = re.compile(
    r"^(?P<quote>(?:>[ \t]?)*)[ \t]*\**[ \t]*(?:"
    r"-{3,}[ \t]*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré)[ \t]*-{3,}"
    r"|Begin forwarded message:"
    r"|-{3,}[ \t]*Original Message[ \t]*-{3,}"
    r"|_{20,}"
    r")[ \t]*\**[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_LINE = re.compile(r"^\**[ \t]*(?P<name>[A-Za-z][\w -]{0,20}?)[ \t]*\**[ \t]*:[ \t]*\**[ \t]*(?P<value>.*)$")
_HEADER_NAMES = {
    "from": "from",
    "von": "from",
    "de": "from",
    "sender": "from",
    "date": "date",
    "sent": "date",
    "datum": "date",
    "gesendet": "date",
    "subject": "subject",
    "betreff": "subject",
    "objet": "subject",
    "to": "to",
    "an": "to",
    "à": "to",
    "cc": "cc",
    "reply-to": "reply-to",
}


@dataclass(frozen=True)
class Forwarded:
    name: str
    email: str
    subject: str
    text: str


def _dequote(lines: list[str], depth: int) -> list[str]:
    if not depth:
        return lines
    out = []
    for line in lines:
        stripped = line
        for _ in range(depth):
            stripped = re.sub(r"^[ \t]*>[ \t]?", "", stripped, count=1)
        out.append(stripped)
    return out


def _forwarded_in(text: str) -> Forwarded | None:
    """Return the first forwarded message below a marker in `text`, with its header block read."""
    for marker in _MARKER.finditer(text):
        depth = marker.group("quote").count(">")
        rest = _dequote(text[marker.end() :].split("\n"), depth)
        index = 0
        while index < len(rest) and not rest[index].strip():
            index += 1
        fields: dict[str, str] = {}
        last = None
        while index < len(rest):
            line = rest[index]
            if not line.strip():
                # HTML turned into text may leave a blank line between two header lines.
                following = next((n for n in range(index + 1, min(index + 3, len(rest))) if rest[n].strip()), None)
                header = following is not None and _HEADER_LINE.match(rest[following].strip())
                if header and _HEADER_NAMES.get(header.group("name").strip().lower()):
                    index = following
                    continue
                break
            found = _HEADER_LINE.match(line.strip())
            key = _HEADER_NAMES.get(found.group("name").strip().lower()) if found else None
            if key:
                fields.setdefault(key, found.group("value").strip(" *"))
                last = key
            elif last and line[:1] in " \t":
                fields[last] += " " + line.strip()
            elif not fields:
                break
            else:
                break
            index += 1
        if "from" not in fields:
            continue
        name, email = address_of(fields["from"])
        if not email:
            continue
        return Forwarded(name=name, email=email, subject=fields.get("subject", ""), text="\n".join(rest[index:]))
    return None


def forwarded(message: EmailMessage, text: str) -> Forwarded | None:
    """Return the innermost forwarded message in `message` (an attached one, or one below a marker), or None."""
    found = None
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                name, email = address_of(header_text(inner, "From"))
                if email:
                    inner_text = body_text(inner) if isinstance(inner, EmailMessage) else ""
                    found = Forwarded(name=name, email=email, subject=header_text(inner, "Subject"), text=inner_text)
                    text = inner_text
                    break
    for _ in range(5):  # a mail forwarded a few times over: the innermost is the customer's
        deeper = _forwarded_in(text)
        if deeper is None:
            break
        found, text = deeper, deeper.text
    return found


# ---------------------------------------------------------------- trimming

_REPLY_HEADER = re.compile(
    r"^[ \t]*(?:On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb.{0,80}:|Le\b.{0,200}\ba écrit ?:|El\b.{0,200}\bescribió:)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE_LINES = re.compile(
    r"^[ \t]*(?:--[ \t]?|__+|Sent from my \w[\w ]{0,30}|Sent from (?:Mail|Outlook) for \w+|Get Outlook for \w+"
    r"|Von meinem \w[\w ]{0,30} gesendet|Envoyé de mon \w[\w ]{0,30})[ \t]*$",
    re.IGNORECASE,
)
_GOODBYE = re.compile(
    r"^[ \t]*(?:best(?: regards| wishes)?|kind regards|regards|cheers|thanks|thank you|many thanks|sincerely|"
    r"best,|mit freundlichen grüßen|viele grüße|cordialement)[ \t,.!]*$",
    re.IGNORECASE,
)


def trim(text: str) -> str:
    """Return the newest words of a mail body: quoted replies, reply headers and signatures removed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    reply = _REPLY_HEADER.search(text)
    if reply:
        text = text[: reply.start()]
    marker = _MARKER.search(text)
    if marker:
        text = text[: marker.start()]
    kept: list[str] = []
    for line in text.split("\n"):
        if _SIGNATURE_LINES.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    # A closing line ("Best regards,") followed only by a short name block ends the words there.
    for index in range(len(kept) - 1, max(-1, len(kept) - 8), -1):
        if _GOODBYE.match(kept[index]):
            tail = [line for line in kept[index + 1 :] if line.strip()]
            if len(tail) <= 4 and all(len(line) <= 60 for line in tail):
                kept = kept[:index]
            break
    text = "\n".join(kept)
    text = "".join(c for c in text if c.isprintable() or c in "\n\t")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------- the whole reading


@dataclass(frozen=True)
class Reading:
    customer_name: str
    customer_email: str
    forwarded_by: str  # the sender's address when the customer is someone else, else ""
    title: str
    words: str


WORDS_LIMIT = 10_000


def read(message: EmailMessage) -> Reading:
    """Return who the customer is and what they wrote, from a (forwarded) mail."""
    sender_name, sender = address_of(header_text(message, "From"))
    text = body_text(message)
    original = forwarded(message, text)
    subject = clean_subject(header_text(message, "Subject"))
    if original is not None:
        words = trim(original.text)
        name, email = original.name, original.email
        forwarded_by = sender if sender != email else ""
        subject = subject or clean_subject(original.subject)
    else:
        words = trim(text)
        name, email, forwarded_by = sender_name, sender, ""
    if len(words) > WORDS_LIMIT:
        words = words[: WORDS_LIMIT - 1].rstrip() + "…"
    title = subject or " ".join(words.split())[:80]
    if len(title) > 200:
        title = title[:199].rstrip() + "…"
    return Reading(customer_name=name, customer_email=email, forwarded_by=forwarded_by, title=title, words=words)
