"""Fake Slack and Teams webhook servers on this machine, for the chat tests.

One small threaded http.server plays both tools. The path says what it does:

    /slack/<name>            Slack: checks the Block Kit body, answers 200 "ok"
    /teams/<name>            Teams workflow: checks the Adaptive Card message, answers 202
    .../limit-<n>            answers 429 with Retry-After: 1 the first n times
    .../fail-<n>             answers 500 the first n times
    .../gone                 answers 410 (Slack's channel_is_archived)
    .../missing              answers 404 (Slack's no_service)
    .../slow                 waits `slow_seconds` before answering (beyond the sender's deadline)

A body of the wrong shape is answered 400 and recorded as refused. Every
request is recorded (`hits`) with its arrival time, path, body and answer.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(9160, 9180)
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
SLACK_BLOCKS = {"header", "section", "context", "actions", "divider"}
CARD_ELEMENTS = {"TextBlock", "FactSet", "RichTextBlock", "ColumnSet", "Container"}


@dataclass
class Hit:
    at: float
    path: str
    body: dict | None
    status: int
    problem: str = ""


def slack_problem(body) -> str:
    """Return what is wrong with a Slack incoming-webhook body, or "" when it is right."""
    if not isinstance(body, dict):
        return "not an object"
    if not isinstance(body.get("text"), str) or not body["text"].strip():
        return "no text fallback"
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) > 50:
        return "no blocks"
    for block in blocks:
        if block.get("type") not in SLACK_BLOCKS:
            return f"unknown block {block.get('type')}"
        if block["type"] == "header":
            text = block.get("text", {})
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                return "bad header"
        if block["type"] == "section":
            if "text" not in block and "fields" not in block:
                return "empty section"
            for item in [block.get("text")] if "text" in block else block["fields"]:
                if item.get("type") not in ("mrkdwn", "plain_text") or len(item.get("text", "")) > 3000:
                    return "bad section text"
        if block["type"] == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "button" and not str(element.get("url", "")).startswith("http"):
                    return "button without an absolute url"
    return ""


def teams_problem(body) -> str:
    """Return what is wrong with a Teams workflow message body, or "" when it is right."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return "not a message"
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return "not one attachment"
    attachment = attachments[0]
    if attachment.get("contentType") != ADAPTIVE:
        return "not an adaptive card"
    card = attachment.get("content") or {}
    if card.get("type") != "AdaptiveCard" or not card.get("version"):
        return "no card"
    if not isinstance(card.get("body"), list) or not card["body"]:
        return "empty card"
    for element in card["body"]:
        if element.get("type") not in CARD_ELEMENTS:
            return f"unknown element {element.get('type')}"
        if element["type"] == "TextBlock" and not isinstance(element.get("text"), str):
            return "text block without text"
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or not str(action.get("url", "")).startswith("http"):
            return "bad action"
    return ""


@dataclass
class ChatServer:
    port: int = 0
    slow_seconds: float = 6.0
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str | None = None, *, ok: bool = True) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if (path is None or h.path == path) and (not ok or h.status in (200, 202))]

    def answer(self, path: str, body) -> tuple[int, str, dict]:
        with self.lock:
            seen = self.counts.get(path, 0)
            self.counts[path] = seen + 1
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last.startswith("limit-") and seen < int(last.split("-")[1]):
            return 429, "rate_limited", {"Retry-After": "1"}
        if last.startswith("fail-") and seen < int(last.split("-")[1]):
            return 500, "internal_error", {}
        if last == "gone":
            return 410, "channel_is_archived", {}
        if last == "missing":
            return 404, "no_service", {}
        if last == "slow":
            time.sleep(self.slow_seconds)
        problem = teams_problem(body) if path.startswith("/teams/") else slack_problem(body)
        if problem:
            return 400, f"invalid_payload: {problem}", {}
        return (202, "", {}) if path.startswith("/teams/") else (200, "ok", {})


def _handler(server: ChatServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            arrived = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            status, text, headers = server.answer(self.path, body)
            with server.lock:
                server.hits.append(Hit(arrived, self.path, body, status, text if status == 400 else ""))
            payload = text.encode()
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up (its deadline)

        def log_message(self, *args):
            pass

    return Handler


def start(**options) -> tuple[ChatServer, ThreadingHTTPServer]:
    """Start a fake chat server on the first free port of PORTS."""
    state = ChatServer(**options)
    for port in PORTS:
        try:
            httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
        except OSError:
            continue
        break
    else:
        raise RuntimeError("no free port for the fake chat server in 9160-9179")
    httpd.daemon_threads = True
    state.port = port
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


def stop(httpd: ThreadingHTTPServer) -> None:
    httpd.shutdown()
    httpd.server_close()
