"""E-mail bytes from a skeleton prepared once per touch.

``email.message.EmailMessage`` costs about a millisecond per message; most of a campaign
e-mail is the same for every reader. An ``EmailSkeleton`` prepares the constant header
and MIME structure bytes once; ``build`` adds the reader's headers and the bodies as
quoted-printable (``binascii``, in C). The result is RFC 5322/2045/2047 conformant and
parses without defects with ``email.parser.BytesParser(policy=email.policy.default)``.

Contract for round trips: line endings in bodies become CRLF on the wire (a decoded body
has ``\\r\\n`` where the input had ``\\n``, ``\\r\\n`` or a lone ``\\r``); subjects and
header values are otherwise exact, except that CR and LF in them become spaces;
display names are trimmed, with runs of whitespace and control characters as one space.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
import time
from collections.abc import Mapping
from email.utils import format_datetime, parseaddr

_CRLF = b"\r\n"
# A header line should stay within 78 characters; encoded words within 75 (RFC 2047).
_LINE = 78
_ENCODED_LINE = 76
_ENCODED_OVERHEAD = len("=?utf-8?b??=")
# Printable ASCII words separated by single spaces: written as is, folded at spaces.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")
_HEADER_NAME = re.compile(r"[!-9;-~]+")
_METHOD = re.compile(r"[A-Z-]+")
_LANGUAGE = re.compile(r"[A-Za-z0-9-]{1,35}")
_WHITESPACE_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f]+")
_RESERVED = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "reply-to", "cc", "bcc"}
    | {"content-type", "content-transfer-encoding", "sender", "return-path"}
)

_HTML_HEAD = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n<body>\n'
)


def email_html_document(fragment: str, *, lang: str = "") -> str:
    """A complete HTML document around a rendered fragment (``RenderedMessage.html``)."""
    head = _HTML_HEAD
    if _LANGUAGE.fullmatch(lang):
        head = head.replace("<html>", f'<html lang="{lang}">')
    return f"{head}{fragment}\n</body></html>\n"


def _encoded_words(value: str, used: int) -> bytes:
    """``value`` as RFC 2047 "B" encoded words, folded; never splits a character."""
    words: list[bytes] = []
    budget = (_ENCODED_LINE - used - _ENCODED_OVERHEAD) // 4 * 3
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8")
        if chunk and len(chunk) + len(encoded) > budget:
            words.append(b"=?utf-8?b?" + base64.b64encode(chunk) + b"?=")
            chunk = bytearray()
            budget = (_ENCODED_LINE - 1 - _ENCODED_OVERHEAD) // 4 * 3
        chunk += encoded
    words.append(b"=?utf-8?b?" + base64.b64encode(chunk) + b"?=")
    return b"\r\n ".join(words)


def _fold(value: str, used: int) -> bytes:
    """Printable ASCII, folded at spaces so lines stay within 78 characters if they can."""
    if used + len(value) <= _LINE:
        return value.encode("ascii")
    lines: list[str] = []
    line = ""
    for word in value.split(" "):
        if line and used + len(line) + 1 + len(word) > _LINE:
            lines.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines).encode("ascii")


def header_text(value: str, *, used: int) -> bytes:
    """An unstructured header value (``Subject``), ``used`` characters into its line.

    Plain ASCII stays readable; anything else (non-ASCII, ``=?``, leading, trailing or
    repeated whitespace, controls, words too long to fold) becomes encoded words.
    """
    value = value.replace("\r", " ").replace("\n", " ")
    if _PLAIN.fullmatch(value) and "=?" not in value and max(map(len, value.split(" "))) < 900:
        return _fold(value, used)
    if not value:
        return b""
    return _encoded_words(value, used)


def header_address(name: str, address: str, *, used: int) -> bytes:
    """``"Name" <address>``, the name encoded when it must be. Raises ``ValueError``
    for an address that is not a plain ASCII ``local@domain``."""
    address = address.strip()
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"not a plain ASCII e-mail address: {address!r}")
    name = _WHITESPACE_AND_CONTROLS.sub(" ", name).strip()
    if not name:
        return address.encode("ascii")
    if name.isascii() and "=?" not in name and used + len(name) + len(address) + 5 <= _LINE:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'.encode("ascii")
    return _encoded_words(name, used) + b"\r\n <" + address.encode("ascii") + b">"


def _qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends and lines of at most 76 characters.

    A leading "." needs nothing here: smtplib dot-stuffs the whole message.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", _CRLF)
    # An mbox on the way would turn a line starting "From " into ">From "; "=46" is "F".
    encoded = encoded.replace(b"\r\nFrom ", b"\r\n=46rom ")
    return b"=46" + encoded[1:] if encoded.startswith(b"From ") else encoded


def _boundary() -> bytes:
    # "=_" never occurs in quoted-printable or base64 output, so no body can contain it.
    return b"=_" + secrets.token_hex(16).encode("ascii")


def _text_part(subtype: bytes) -> bytes:
    return (
        b"Content-Type: text/" + subtype + b"; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )


class EmailSkeleton:
    """The constant part of a campaign's e-mails; ``build`` makes one message's bytes.

    Not thread-safe (it caches the ``Date`` header per second); make one per worker.
    """

    def __init__(self, *, from_addr: str, reply_to: str | None = None) -> None:
        self._head = b"From: " + self._address_header(from_addr, used=6) + _CRLF
        if reply_to:
            self._head += b"Reply-To: " + self._address_header(reply_to, used=10) + _CRLF
        self._head += b"MIME-Version: 1.0\r\n"
        alternative, mixed = _boundary(), _boundary()
        self._alternative_header = (
            b'Content-Type: multipart/alternative;\r\n boundary="' + alternative + b'"\r\n\r\n'
        )
        self._mixed_header = b'Content-Type: multipart/mixed;\r\n boundary="' + mixed + b'"\r\n\r\n'
        self._text_open = b"--" + alternative + _CRLF + _text_part(b"plain")
        self._html_open = _CRLF + b"--" + alternative + _CRLF + _text_part(b"html")
        self._alternative_close = _CRLF + b"--" + alternative + b"--\r\n"
        self._mixed_open = b"--" + mixed + _CRLF
        self._mixed_next = _CRLF + b"--" + mixed + _CRLF
        self._mixed_close = _CRLF + b"--" + mixed + b"--\r\n"
        self._second = -1
        self._date = b""

    @staticmethod
    def _address_header(value: str, *, used: int) -> bytes:
        name, address = parseaddr(value)
        return header_address(name, address, used=used)

    def _date_header(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            now = dt.datetime.fromtimestamp(second, dt.UTC)
            self._second, self._date = second, format_datetime(now).encode("ascii")
        return self._date

    def build(
        self,
        *,
        to_name: str,
        to_addr: str,
        message_id: str,
        subject: str,
        text: str,
        html: str,
        ics: bytes | None = None,
        ics_method: str = "REQUEST",
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """One message: multipart/alternative (text, html), inside multipart/mixed with a
        ``text/calendar`` part when ``ics`` is given.

        ``headers`` adds headers such as ``List-Unsubscribe``; it may not set the ones
        this method writes. Raises ``ValueError`` for an unusable address, Message-ID,
        header or method. ``html`` is sent as given (see ``email_html_document``).
        """
        parts = [
            self._head,
            b"To: ",
            header_address(to_name, to_addr, used=4),
            b"\r\nSubject: ",
            header_text(subject, used=9),
            b"\r\nDate: ",
            self._date_header(),
            b"\r\nMessage-ID: ",
            _message_id(message_id),
            _CRLF,
        ]
        if headers:
            parts.extend(_extra_headers(headers))
        alternative = [
            self._text_open,
            _qp(text),
            self._html_open,
            _qp(html),
            self._alternative_close,
        ]
        if ics is None:
            parts.append(self._alternative_header)
            parts.extend(alternative)
        else:
            parts += [self._mixed_header, self._mixed_open, self._alternative_header]
            parts.extend(alternative)
            parts += [self._mixed_next, _calendar_part(ics, ics_method), self._mixed_close]
        return b"".join(parts)


def _message_id(value: str) -> bytes:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not _MESSAGE_ID.fullmatch(value):
        raise ValueError(f"not a usable Message-ID: {value!r}")
    return value.encode("ascii")


def _extra_headers(headers: Mapping[str, str]) -> list[bytes]:
    lines: list[bytes] = []
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED:
            raise ValueError(f"header {name!r} cannot be added")
        lines += [name.encode("ascii"), b": ", header_text(value, used=len(name) + 2), _CRLF]
    return lines


def _calendar_part(ics: bytes, method: str) -> bytes:
    if not _METHOD.fullmatch(method):
        raise ValueError(f"not an iTIP method: {method!r}")
    return (
        b"Content-Type: text/calendar; method="
        + method.encode("ascii")
        + b';\r\n charset=utf-8; name="invite.ics"\r\n'
        b'Content-Disposition: attachment; filename="invite.ics"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(ics).replace(b"\n", _CRLF)
    )
