"""Real local servers for delivery tests: SMTP (aiosmtpd), and HTTP stand-ins for Slack and
Microsoft Teams that check the shape of what they are sent.

Every server listens on 127.0.0.1 on a free port, records what it accepted, and can be told
to fail: the SMTP server answers 4xx for the first N messages or for a while, and 5xx for
chosen addresses; the HTTP servers answer 429 with ``Retry-After`` or any status.

    server = SmtpServer().start()
    ... send to server.host, server.port ...
    assert server.messages[0]["Subject"] == "Hello"
    server.stop()

The pytest fixtures in ``delivery/tests/conftest.py`` wrap these (``smtp_server``,
``slack_server``, ``teams_server``). They are plain classes so tests in other apps, the
benchmark and subprocess workers can use them too.
"""

from __future__ import annotations

import collections
import email.message
import email.parser
import email.policy
import functools
import json
import logging
import select
import shlex
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"

# --- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for ``localhost``, ``127.0.0.1`` and ``*.example.test``
    (names a proxy test can send through a tunnel); ``cert`` doubles as the CA file a
    client trusts."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


OPENSSL_REQ = (
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
    " -subj /CN=localhost -addext subjectAltName=DNS:localhost,DNS:*.example.test,IP:127.0.0.1"
)


def make_tls_files(directory: Path) -> TlsFiles:
    """Write a fresh certificate and key into ``directory`` with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [*shlex.split(OPENSSL_REQ), "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return TlsFiles(cert=cert, key=key)


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Received:
    """One message the SMTP server accepted: the envelope and the raw bytes, parsed lazily."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    received_at: float

    @functools.cached_property
    def message(self) -> email.message.EmailMessage:
        parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(self.raw)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"] or "")


@dataclass
class _Faults:
    transient_left: int = 0
    transient_until: float = 0.0
    transient_reply: str = "451 4.3.0 Try again later"
    refused: dict[str, str] = field(default_factory=dict)
    disconnect_left: int = 0


class _Handler:
    """aiosmtpd handler: refuses chosen recipients at RCPT, fails DATA while told to, records
    everything else. Runs in the server's event-loop thread; state is guarded by a lock."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Count connections that send mail (aiosmtpd's readiness probe does not).
        if not getattr(session, "counted", False):
            session.counted = True  # type: ignore[attr-defined]
            self.owner._count("connections")
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.owner.faults.refused.get(address.lower())
        if reply:
            self.owner._count("refused")
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.owner._data_fault()
        if reply == "disconnect":
            assert server.transport is not None
            server.transport.close()
            return "421 4.4.2 Closing connection"
        if reply:
            return reply
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        self.owner._accept(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                raw=content,
                received_at=time.monotonic(),
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class _Controller(Controller):
    """Binds port 0 and learns the real port before aiosmtpd's readiness probe."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """An aiosmtpd server in a thread that records the messages it accepts.

    ``tls`` enables STARTTLS (or implicit TLS with ``implicit_tls=True``); ``users`` maps
    user names to passwords and turns on AUTH (required when ``auth_required``).
    """

    def __init__(
        self,
        *,
        tls: TlsFiles | None = None,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
        auth_required: bool = False,
        require_starttls: bool = False,
    ) -> None:
        # aiosmtpd logs every command at INFO; where logging is configured (Django's
        # settings, the benchmark) that is thousands of lines per test.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.faults = _Faults()
        self.received: list[Received] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.logins: list[str] = []
        self._lock = threading.Lock()
        self._users = users or {}
        kwargs: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 10.0}
        if tls and implicit_tls:
            kwargs["ssl_context"] = tls.server_context()
        elif tls:
            kwargs["tls_context"] = tls.server_context()
            kwargs["require_starttls"] = require_starttls
        if users is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = auth_required
            kwargs["auth_require_tls"] = tls is not None
        self._controller = _Controller(_Handler(self), hostname=HOST, port=0, **kwargs)

    # Life cycle

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """An ``EMAIL_URL`` pointing here (plain SMTP)."""
        return f"smtp://{HOST}:{self.port}"

    # Faults

    def fail_first(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer ``reply`` (a 4xx) to the next ``count`` messages' DATA."""
        with self._lock:
            self.faults.transient_left = count
            self.faults.transient_reply = reply

    def fail_for(self, seconds: float, reply: str = "451 4.3.0 Try again later") -> None:
        """Answer ``reply`` to every message's DATA for the next ``seconds``."""
        with self._lock:
            self.faults.transient_until = time.monotonic() + seconds
            self.faults.transient_reply = reply

    def refuse(self, addresses: Iterable[str], reply: str = "550 5.1.1 No such user") -> None:
        """Refuse these recipients at RCPT with ``reply`` (a 5xx) from now on."""
        with self._lock:
            for address in addresses:
                self.faults.refused[address.lower()] = reply

    def disconnect_next(self, count: int = 1) -> None:
        """Drop the connection instead of answering the next ``count`` messages' DATA."""
        with self._lock:
            self.faults.disconnect_left = count

    def heal(self) -> None:
        """Stop every fault."""
        with self._lock:
            self.faults = _Faults()

    # What arrived

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """The accepted messages, parsed with ``email.policy.default``, in arrival order."""
        with self._lock:
            received = list(self.received)
        return [item.message for item in received]

    def recipients(self) -> collections.Counter[str]:
        """How many messages each envelope recipient got (duplicates show as counts > 1)."""
        with self._lock:
            return collections.Counter(
                rcpt.lower() for item in self.received for rcpt in item.rcpt_tos
            )

    def message_ids(self) -> collections.Counter[str]:
        with self._lock:
            received = list(self.received)
        return collections.Counter(item.message_id for item in received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until at least ``count`` messages arrived (or fail after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} messages, got {len(self.received)}")

    # Called from the server thread

    def _data_fault(self) -> str:
        with self._lock:
            faults = self.faults
            if faults.disconnect_left > 0:
                faults.disconnect_left -= 1
                self.counts["disconnected"] += 1
                return "disconnect"
            if faults.transient_left > 0 or time.monotonic() < faults.transient_until:
                faults.transient_left = max(0, faults.transient_left - 1)
                self.counts["deferred"] += 1
                return faults.transient_reply
        return ""

    def _accept(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)
            self.counts["accepted"] += 1

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        ok = self._users.get(login) == password
        if ok:
            with self._lock:
                self.logins.append(login)
        return AuthResult(success=ok, handled=False)


# --- HTTP stand-ins -------------------------------------------------------------------------


@dataclass
class HttpCall:
    """One request an HTTP stand-in received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_port: int = 0  # one port per connection: tells kept connections from new ones
    target: str = ""  # the request line's target as sent (absolute when sent to a proxy)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _StandIn:
    """A threaded ``http.server`` that hands each request to ``answer`` and records it.

    ``answer_next(...)`` queues canned answers (a 429 with Retry-After, a 500) that are
    given before the normal logic runs. With ``tls`` it speaks HTTPS.
    """

    def __init__(self, *, tls: TlsFiles | None = None) -> None:
        self.calls: list[HttpCall] = []
        self._queued: collections.deque[Answer] = collections.deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((HOST, 0), _handler_class(self._dispatch))
        self._httpd.daemon_threads = True
        self._scheme = "https" if tls else "http"
        if tls:
            self._httpd.socket = tls.server_context().wrap_socket(
                self._httpd.socket, server_side=True
            )
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"{self._scheme}://{HOST}:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def answer_next(self, status: int, body: Any = None, *, count: int = 1, **headers: str) -> None:
        """Give this answer to the next ``count`` requests. Header names use ``_`` for ``-``."""
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        with self._lock:
            self._queued.extend(Answer(status, body, extra) for _ in range(count))

    def rate_limit_next(self, count: int = 1, retry_after: int = 1) -> None:
        body = {"ok": False, "error": "ratelimited"}
        self.answer_next(429, body, count=count, Retry_After=str(retry_after))

    def _dispatch(self, call: HttpCall) -> Answer:
        with self._lock:
            self.calls.append(call)
            if self._queued:
                return self._queued.popleft()
        return self.answer(call)

    def answer(self, call: HttpCall) -> Answer:
        raise NotImplementedError


def _handler_class(dispatch: Callable[[HttpCall], Answer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real services do

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            call = HttpCall(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                client_port=self.client_address[1],
                target=self.path,
            )
            self._reply(dispatch(call))

        def _reply(self, answer: Answer) -> None:
            if isinstance(answer.body, (dict, list)):
                payload, kind = json.dumps(answer.body).encode(), "application/json"
            else:
                payload, kind = str(answer.body or "").encode(), "text/plain; charset=utf-8"
            self.send_response(answer.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``calls`` instead of the log."""

    return Handler


class TunnelProxy:
    """An HTTP proxy that answers ``CONNECT`` by piping bytes to one fixed upstream port on
    127.0.0.1, whatever host was asked for. ``requests`` records each CONNECT request's
    first line and headers."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.requests: list[tuple[str, dict[str, str]]] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._tunnel(self.rfile, self.connection)

        self._server = socketserver.ThreadingTCPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def _tunnel(self, rfile: Any, client: socket.socket) -> None:
        line = rfile.readline().decode().strip()
        headers: dict[str, str] = {}
        while (header := rfile.readline().decode().strip()) != "":
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.requests.append((line, headers))
        with socket.create_connection((HOST, self.upstream_port)) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(client, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [one, other]
    while True:
        readable, _, _ = select.select(sockets, [], [], 5.0)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (other if source is one else one).sendall(data)


# --- Slack ----------------------------------------------------------------------------------

SLACK_TOKEN = "xoxb-test-token"
_BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text"}


def slack_block_problems(blocks: Any) -> list[str]:
    """What is wrong with a Block Kit ``blocks`` list, in the few ways Slack checks that
    matter to us (types, text objects, length limits)."""
    if not isinstance(blocks, list) or not 0 < len(blocks) <= 50:
        return ["blocks must be a list of 1 to 50 blocks"]
    problems: list[str] = []
    for number, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _BLOCK_TYPES:
            problems.append(f"block {number}: unknown type {kind!r}")
            continue
        text = block.get("text")
        if kind == "header" and not _text_object(text, kinds={"plain_text"}, limit=150):
            problems.append(f"block {number}: a header needs plain_text of at most 150")
        if kind == "section" and not _text_object(text, kinds={"mrkdwn", "plain_text"}, limit=3000):
            problems.append(f"block {number}: a section needs a text object of at most 3000")
    return problems


def _text_object(value: Any, *, kinds: set[str], limit: int) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") in kinds
        and isinstance(value.get("text"), str)
        and 0 < len(value["text"]) <= limit
    )


class SlackServer(_StandIn):
    """Stands in for ``https://slack.com/api``: ``users.lookupByEmail`` and
    ``chat.postMessage``, with bearer-token checks and Slack's ``{"ok": ...}`` answers.

    ``users`` maps e-mail addresses to user ids; ``channels`` are ids one may post in;
    ``posts`` are the accepted ``chat.postMessage`` bodies; ``problems`` collects shape
    errors found (each also answered with Slack's error).
    """

    def __init__(
        self,
        *,
        token: str = SLACK_TOKEN,
        users: dict[str, str] | None = None,
        channels: Iterable[str] = ("C0123456",),
        tls: TlsFiles | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.token = token
        self.users = {email.lower(): uid for email, uid in (users or {}).items()}
        self.channels = set(channels)
        self.posts: list[dict[str, Any]] = []
        self.problems: list[str] = []

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api"

    def lookups(self) -> list[str]:
        return [
            call.query.get("email", [""])[0]
            for call in self.calls
            if call.path.endswith("/users.lookupByEmail")
        ]

    def answer(self, call: HttpCall) -> Answer:
        auth = call.headers.get("authorization", "")
        if not auth:
            return Answer(200, {"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        if call.path == "/api/users.lookupByEmail":
            return self._lookup(call)
        if call.path == "/api/chat.postMessage" and call.method == "POST":
            return self._post(call)
        return Answer(404, {"ok": False, "error": "unknown_method"})

    def _lookup(self, call: HttpCall) -> Answer:
        email = call.query.get("email", [""])[0].lower()
        if email not in self.users:
            return Answer(200, {"ok": False, "error": "users_not_found"})
        return Answer(200, {"ok": True, "user": {"id": self.users[email], "profile": {}}})

    def _post(self, call: HttpCall) -> Answer:
        if not call.headers.get("content-type", "").startswith("application/json"):
            return self._refuse("chat.postMessage needs a JSON body", "invalid_arguments")
        body = call.json()
        channel = body.get("channel")
        if not isinstance(body.get("text"), str) or not body["text"]:
            return self._refuse("text (the notification fallback) is missing", "no_text")
        problems = slack_block_problems(body.get("blocks"))
        if problems:
            return self._refuse("; ".join(problems), "invalid_blocks")
        if channel not in self.channels and channel not in self.users.values():
            return Answer(200, {"ok": False, "error": "channel_not_found"})
        with self._lock:
            self.posts.append(body)
            ts = f"{time.time():.6f}"
        return Answer(200, {"ok": True, "channel": channel, "ts": ts, "message": body})

    def _refuse(self, problem: str, error: str) -> Answer:
        with self._lock:
            self.problems.append(problem)
        return Answer(200, {"ok": False, "error": error})


# --- Microsoft Teams ------------------------------------------------------------------------

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def adaptive_card_problems(body: Any) -> list[str]:
    """What is wrong with a Teams webhook message carrying Adaptive Cards."""
    if not isinstance(body, dict) or body.get("type") != "message":
        return ['the body must be an object with "type": "message"']
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return ["attachments must be a non-empty list"]
    problems: list[str] = []
    for number, attachment in enumerate(attachments):
        if attachment.get("contentType") != ADAPTIVE_CARD:
            problems.append(f"attachment {number}: contentType is not {ADAPTIVE_CARD}")
        card = attachment.get("content") or {}
        if card.get("type") != "AdaptiveCard" or not isinstance(card.get("version"), str):
            problems.append(f"attachment {number}: content is not an AdaptiveCard with a version")
        for element in card.get("body") or [None]:
            if not isinstance(element, dict) or "type" not in element:
                problems.append(f"attachment {number}: a body element has no type")
            elif element["type"] == "TextBlock" and not isinstance(element.get("text"), str):
                problems.append(f"attachment {number}: a TextBlock has no text")
    return problems


class TeamsServer(_StandIn):
    """Stands in for an incoming webhook or a Workflows URL: answers 202 to a well-formed
    Adaptive Card message at ``webhook_url`` and 400 with the problems otherwise."""

    PATH = "/workflows/abc123/triggers/manual/paths/invoke"

    def __init__(self, *, tls: TlsFiles | None = None) -> None:
        super().__init__(tls=tls)
        self.cards: list[dict[str, Any]] = []
        self.problems: list[str] = []

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}{self.PATH}?api-version=2016-06-01&sig=s3cret"

    def answer(self, call: HttpCall) -> Answer:
        if call.path != self.PATH or call.query.get("sig") != ["s3cret"]:
            return Answer(404, "no such workflow")
        if call.method != "POST" or not call.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return Answer(415, "expected a JSON POST")
        try:
            body = call.json()
        except ValueError:
            return Answer(400, "the body is not JSON")
        problems = adaptive_card_problems(body)
        with self._lock:
            self.problems.extend(problems)
            if not problems:
                self.cards.append(body)
        return Answer(400, "; ".join(problems)) if problems else Answer(202, "")
