"""Statements with attachments: reading a ``multipart/mixed`` request and writing one.

xAPI 1.0.3 (Communication 1.5.2): the first part holds the statement(s) as
``application/json``; every other part is one attachment's raw content with
``Content-Transfer-Encoding: binary`` and ``X-Experience-API-Hash`` (its SHA-256, hex).
Each attachment a statement declares without a ``fileUrl`` must arrive as a part, and
every part must be declared by a statement.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inward.xapi.protocol import LrsError

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


@dataclass(frozen=True)
class AttachmentPart:
    sha2: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class MultipartBody:
    json_body: bytes
    parts: dict[str, AttachmentPart] = field(default_factory=dict)


def content_type_parameters(header: str) -> tuple[str, dict[str, str]]:
    """``("multipart/mixed", {"boundary": "..."})`` from a Content-Type header value."""
    main, *params = header.split(";")
    found: dict[str, str] = {}
    for param in params:
        name, sep, value = param.strip().partition("=")
        if sep:
            found[name.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), found


def parse_multipart(body: bytes, content_type: str) -> MultipartBody:
    """Split a ``multipart/mixed`` statement request; raise ``LrsError`` (400) on any
    departure from the shape the specification requires."""
    _, params = content_type_parameters(content_type)
    boundary = params.get("boundary", "")
    if not boundary:
        raise LrsError(400, "A multipart/mixed request needs a boundary in its Content-Type.")
    raw_parts = _split(body, boundary.encode("latin-1"))
    if not raw_parts:
        raise LrsError(400, "The multipart body has no parts delimited by its boundary.")
    first_headers, first_body = _part(raw_parts[0])
    first_type, _ = content_type_parameters(first_headers.get("content-type", ""))
    if first_type != "application/json":
        raise LrsError(400, "The first part of a multipart request must be application/json.")
    parts: dict[str, AttachmentPart] = {}
    for raw in raw_parts[1:]:
        attachment = _attachment_part(*_part(raw))
        parts[attachment.sha2] = attachment
    return MultipartBody(json_body=first_body, parts=parts)


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    delimiter = b"--" + boundary
    if not body.startswith(delimiter):
        # A preamble is allowed before the first delimiter, on its own line.
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            return []
        body = body[start + 2 :]
    pieces = body.split(b"\r\n" + delimiter)
    pieces[0] = pieces[0][len(delimiter) :]
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise LrsError(400, "The multipart body does not end with its closing boundary.")
    parts = []
    for piece in pieces[:-1]:
        if not piece.startswith(b"\r\n"):
            # Only transport padding may follow a delimiter before the line break.
            line, sep, rest = piece.partition(b"\r\n")
            if line.strip() or not sep:
                raise LrsError(400, "A multipart boundary is followed by text on its line.")
            piece = b"\r\n" + rest
        parts.append(piece[2:])
    return parts


def _part(raw: bytes) -> tuple[dict[str, str], bytes]:
    head, sep, content = raw.partition(b"\r\n\r\n")
    if not sep:
        if raw.startswith(b"\r\n"):
            return {}, raw[2:]
        raise LrsError(400, "A multipart part has no blank line after its headers.")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            raise LrsError(400, f"A multipart part has a malformed header line: {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return headers, content


def _attachment_part(headers: dict[str, str], content: bytes) -> AttachmentPart:
    sha2 = headers.get("x-experience-api-hash", "").strip().lower()
    if not sha2:
        raise LrsError(400, "Every attachment part needs an X-Experience-API-Hash header.")
    if headers.get("content-transfer-encoding", "").strip().lower() != "binary":
        raise LrsError(400, "Every attachment part needs Content-Transfer-Encoding: binary.")
    if hashlib.sha256(content).hexdigest() != sha2:
        raise LrsError(400, f"The content of attachment part {sha2} does not match its hash.")
    content_type = headers.get("content-type", "application/octet-stream")
    if len(content_type) > 255:
        raise LrsError(400, "An attachment part's Content-Type is longer than 255 characters.")
    return AttachmentPart(sha2=sha2, content_type=content_type, content=content)


def check_attachments(
    statements: Sequence[dict[str, Any]], parts: dict[str, AttachmentPart]
) -> None:
    """Every declared attachment without a ``fileUrl`` has its part, and every part is
    declared by some statement."""
    declared: set[str] = set()
    for statement in statements:
        for attachment in statement.get("attachments") or []:
            sha2 = str(attachment.get("sha2", "")).lower()
            declared.add(sha2)
            if "fileUrl" not in attachment and sha2 not in parts:
                raise LrsError(
                    400,
                    f"Attachment {sha2} has no fileUrl and its content was not sent "
                    "as a multipart/mixed part.",
                )
    extra = set(parts) - declared
    if extra:
        raise LrsError(400, f"Multipart parts not declared by any statement: {sorted(extra)}.")


def build_multipart(json_body: bytes, parts: Iterable[AttachmentPart]) -> tuple[bytes, str]:
    """A ``multipart/mixed`` response body and its Content-Type."""
    boundary = "xapi-" + secrets.token_hex(16)
    delimiter = f"--{boundary}\r\n".encode()
    chunks = [delimiter, b"Content-Type: application/json\r\n\r\n", json_body, b"\r\n"]
    for part in parts:
        chunks += [
            delimiter,
            f"Content-Type: {part.content_type}\r\n".encode("latin-1", "replace"),
            b"Content-Transfer-Encoding: binary\r\n",
            f"X-Experience-API-Hash: {part.sha2}\r\n\r\n".encode(),
            part.content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
