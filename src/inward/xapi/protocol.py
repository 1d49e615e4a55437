"""The HTTP side of xAPI 1.0.3 shared by every resource: the version header, the
Alternate Request Syntax, CORS, and errors as JSON.

A request is first turned into an ``LrsRequest`` (method, headers, query parameters and
body as the client meant them, after undoing the Alternate Request Syntax); views read
only that.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

VERSION = "1.0.3"
SUPPORTED_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
_VERSION_RE = re.compile(r"^1\.0(\.\d+)?$")

# Form fields of the Alternate Request Syntax that stand for request headers.
_HEADER_FIELDS = {
    "authorization": "Authorization",
    "x-experience-api-version": "X-Experience-API-Version",
    "content-type": "Content-Type",
    "content-length": "Content-Length",
    "if-match": "If-Match",
    "if-none-match": "If-None-Match",
}
_ALTERNATE_METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE"}
# A real header cannot hold these; one given as a form field must not either (a line break
# in a stored Content-Type would break every later answer carrying it).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Every answer is data for a program, never a page: a document or attachment stored with
# an HTML or script content type must not run with Inward's origin in a browser that
# has the client's Basic credentials cached.
SANDBOX_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "HEAD, GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Content-Type, Content-Length, Authorization, If-Match, If-None-Match, "
        "X-Experience-API-Version, Accept-Language"
    ),
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Cache-Control, Content-Type, Content-Length, "
        "WWW-Authenticate, X-Experience-API-Version, X-Experience-API-Consistent-Through"
    ),
    "Access-Control-Max-Age": "86400",
}


class LrsError(Exception):
    """An answer other than success: ``status`` and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class LrsRequest:
    method: str
    headers: dict[str, str]  # lower-case names
    params: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").strip()

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    def param_dict(self, allowed: set[str]) -> dict[str, str]:
        """The query parameters, each at most once and each one of ``allowed``
        (names are case-sensitive). A value with a NUL character is refused: PostgreSQL
        cannot store or compare one."""
        found: dict[str, str] = {}
        for name, value in self.params:
            if name not in allowed:
                raise LrsError(400, f"Unknown parameter {name[:100]!r} for this resource.")
            if name in found:
                raise LrsError(400, f"Parameter {name!r} is given more than once.")
            if "\x00" in value:
                raise LrsError(400, f"Parameter {name!r} must not contain a NUL character.")
            found[name] = value
        return found


def lrs_request(request: HttpRequest) -> LrsRequest:
    """The request as the client meant it. Raises ``LrsError`` for a malformed
    Alternate Request Syntax request (Communication 1.3)."""
    params = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not any(name == "method" for name, _ in params):
        return LrsRequest(request.method or "GET", headers, params, request.body)
    return _alternate(request, params, headers)


def _alternate(
    request: HttpRequest, params: list[tuple[str, str]], headers: dict[str, str]
) -> LrsRequest:
    if request.method != "POST":
        raise LrsError(400, "The Alternate Request Syntax must be sent as a POST.")
    if len(params) != 1:
        raise LrsError(400, "With the Alternate Request Syntax, only 'method' may be in the URL.")
    method = params[0][1].upper()
    if method not in _ALTERNATE_METHODS:
        raise LrsError(400, f"Unknown method {params[0][1]!r} in the Alternate Request Syntax.")
    media_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise LrsError(
            400, "The Alternate Request Syntax needs an application/x-www-form-urlencoded body."
        )
    try:
        fields = parse_qsl(
            request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(request.body)
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise LrsError(400, "The form body of the Alternate Request Syntax is malformed.") from exc
    return _from_form(method, fields, headers)


def _from_form(method: str, fields: list[tuple[str, str]], headers: dict[str, str]) -> LrsRequest:
    new_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-length")}
    new_params: list[tuple[str, str]] = []
    content: str | None = None
    for name, value in fields:
        if name.lower() in _HEADER_FIELDS:
            if _CONTROL_RE.search(value):
                raise LrsError(400, f"The {name} field must not contain control characters.")
            new_headers[name.lower()] = value
        elif name == "content":
            content = value
        else:
            new_params.append((name, value))
    if method in ("PUT", "POST") and content is None:
        raise LrsError(400, "The Alternate Request Syntax needs the body in a 'content' field.")
    if content is not None:
        new_headers.setdefault("content-type", "application/json")
    return LrsRequest(method, new_headers, new_params, (content or "").encode("utf-8"))


def check_version(lrs: LrsRequest) -> None:
    version = (lrs.header("x-experience-api-version") or "").strip()
    if not version:
        raise LrsError(400, "The X-Experience-API-Version header is required.")
    if not _VERSION_RE.match(version):
        raise LrsError(400, f"xAPI version {version!r} is not supported; use 1.0.x.")


def format_timestamp(value: dt.datetime) -> str:
    """An ISO 8601 UTC time with milliseconds, as the LRS writes ``stored``."""
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def finish(response: HttpResponse, *, consistent_through: bool = False) -> HttpResponse:
    """Add the headers every xAPI response carries."""
    response["X-Experience-API-Version"] = VERSION
    for name, value in CORS_HEADERS.items():
        response[name] = value
    if consistent_through:
        response["X-Experience-API-Consistent-Through"] = format_timestamp(timezone.now())
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


def json_response(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode("utf-8"), status=status, content_type="application/json")


def error_response(error: LrsError) -> HttpResponse:
    response = json_response(
        {"error": {"code": error.status, "message": error.message}}, error.status
    )
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="xapi"'
    return response
