"""A small JSON-over-HTTPS client for the chat channels (Slack, Teams).

One kept-alive connection per transport, plain ``http.client`` (no extra dependency), a
timeout on every request. Network failures become ``TransportError(permanent=False)``;
what an HTTP status means is left to the channel. Error messages never include the URL or
the headers, because a webhook URL and a bot token are secrets: an address or a header
that cannot be sent is a permanent error saying only that, and what the server answers
is shown with any echo of our URL or headers cut out (``HttpAnswer.snippet``).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import http.client
import ipaddress
import json
import math
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit

from inward.delivery.channels.base import TransportError

TIMEOUT_SECONDS = 10.0
REDACTED = "[…]"
# Shorter pieces of a URL or header are not secret enough to cut out of an answer.
_SECRET_MIN_LENGTH = 6
# Of a long answer only the start is read for a snippet: enough to find an echo in.
_SNIPPET_SCAN = 65536
_PUBLIC_HEADERS = frozenset({"accept", "user-agent", "content-type"})


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What the server said: status, headers (lower-case names) and the raw body.

    ``secrets`` are the strings of our own request (the URL, its parts, header values) to
    cut out of anything shown from the answer, in case the server echoes them.
    """

    status: int
    headers: dict[str, str]
    body: bytes
    secrets: tuple[str, ...] = ()

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; ``{}`` when it is not one."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def retry_after(self) -> float | None:
        """Seconds from ``Retry-After`` (a number or an HTTP date), if the server sent one."""
        return parse_retry_after(self.headers.get("retry-after", ""))

    def snippet(self, limit: int = 200) -> str:
        """The start of the body as text, for an error message, with no secret in it."""
        text = self.body[:_SNIPPET_SCAN].decode("utf-8", "replace")
        # Cut secrets out before shortening, so no secret's first half is left at the end.
        return self.redact(text)[:limit].strip()

    def redact(self, text: str) -> str:
        """``text`` with every piece of our own request's URL and headers cut out."""
        return redact(text, self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` (longest first) replaced by ``REDACTED``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def request_secrets(url: str, headers: dict[str, str]) -> tuple[str, ...]:
    """What of a request must never be shown: the URL, its path, query and query values,
    and the header values (with and without their ``Bearer``-like scheme), each also
    percent-encoded, decoded and JSON-escaped as a server might echo it; longest first."""
    parts = urlsplit(url)
    pieces = [url, parts.netloc + parts.path, parts.path, parts.query]
    pieces += [value for _name, value in parse_qsl(parts.query, keep_blank_values=True)]
    for name, value in headers.items():
        if name.lower() not in _PUBLIC_HEADERS:
            pieces += [value, value.partition(" ")[2]]
    return tuple(sorted(_variants(pieces), key=len, reverse=True))


def _variants(pieces: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for piece in pieces:
        for variant in (piece, unquote(piece), quote(piece, safe=""), piece.replace("/", "\\/")):
            if len(variant) >= _SECRET_MIN_LENGTH:
                found.add(variant)
    return found


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None when absent or unreadable."""
    value = value.strip()
    if not value:
        return None
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value)
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def _seconds_until(http_date: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC without saying so
        when = when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime.now(dt.UTC)).total_seconds()


def check_http_url(url: str) -> str | None:
    """Why ``url`` cannot be used (a readable reason that never repeats the URL), or None
    when it is a whole http(s) URL that can go in a request line."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return "The address contains spaces or line breaks."
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is no number raises ValueError
    except ValueError:
        return "Enter a full http:// or https:// address."
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        return "Enter a full http:// or https:// address."
    return None


class JsonClient:
    """Requests against one origin, reusing the connection.

    ``base_url`` may carry a path and a query (a Workflows URL's signature); both are kept
    and extended by each request. The usual proxy variables are honoured (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``NO_PROXY``), as servers inside a company often reach Slack and
    Microsoft only through one; loopback addresses never go through a proxy. Not
    thread-safe: one per transport.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        problem = check_http_url(base_url)
        if problem:
            raise TransportError(problem, permanent=True)
        self._parts = urlsplit(base_url)
        self._headers = {"Accept": "application/json", "User-Agent": "Inward"} | (headers or {})
        self._secrets = request_secrets(base_url, self._headers)
        self._timeout = timeout
        self._proxy = proxy_for(self._parts)
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str = "",
        *,
        query: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> HttpAnswer:
        """Send one request and read the whole answer. Raises ``TransportError``: transient
        when the network fails (the connection is then dropped and made anew next time),
        permanent when the URL or a header cannot be sent at all."""
        headers = dict(self._headers)
        body = None
        if payload is not None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            connection = self._connect()
            connection.request(method, self._target(path, query), body=body, headers=headers)
            response = connection.getresponse()
            answer = HttpAnswer(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                body=response.read(),
                secrets=self._secrets,
            )
        except (http.client.InvalidURL, ValueError):
            # Their messages quote the URL or the header (a signed webhook URL, a bot
            # token), so neither the message nor the exception travels on.
            self.close()
            raise TransportError(
                "The channel's address or token contains characters that cannot be sent; "
                "enter it again.",
                permanent=True,
            ) from None
        except (OSError, http.client.HTTPException) as error:
            # A server that is no HTTP server may echo our request line (BadStatusLine).
            self.close()
            said = redact(f"{error.__class__.__name__} {error}", self._secrets)
            raise TransportError(
                f"Could not reach {self._parts.hostname}: {said}", permanent=False
            ) from None
        if answer.headers.get("connection", "").lower() == "close":
            self.close()
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = self._new_connection()
        return self._connection

    def _new_connection(self) -> http.client.HTTPConnection:
        host, port = self._parts.hostname or "", self._parts.port
        https = self._parts.scheme == "https"
        if self._proxy is None:
            kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
            return kind(host, port, timeout=self._timeout)
        proxy_host, proxy_port = self._proxy.hostname or "", self._proxy.port
        if not https:  # a plain-HTTP proxy request: the full URL goes in the request line
            return http.client.HTTPConnection(proxy_host, proxy_port, timeout=self._timeout)
        connection = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=self._timeout)
        connection.set_tunnel(host, port, headers=_proxy_headers(self._proxy))
        return connection

    def _target(self, path: str, query: dict[str, str] | None) -> str:
        target = self._parts.path.rstrip("/") + ("/" + path.lstrip("/") if path else "")
        queries = [part for part in (self._parts.query, urlencode(query or {})) if part]
        target = (target or "/") + ("?" + "&".join(queries) if queries else "")
        if self._proxy is not None and self._parts.scheme == "http":
            return f"http://{self._parts.netloc}{target}"
        return target


def proxy_for(parts: SplitResult) -> SplitResult | None:
    """The proxy to use for ``parts`` from the environment, if any."""
    host = parts.hostname or ""
    if _loopback(host) or urllib.request.proxy_bypass(host):
        return None
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy:
        return None
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _proxy_headers(proxy: SplitResult) -> dict[str, str]:
    if not proxy.username:
        return {}
    credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
