"""The Learning Record Store's HTTP resources under ``/xapi/`` (xAPI 1.0.3).

Every view goes through ``lrs_endpoint``: CORS preflight, the Alternate Request Syntax,
the version header, HTTP Basic sign-in of an LMS client, and errors as JSON with the
xAPI headers. No session, no CSRF: clients are machines with their own credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from inward.xapi.attachments import build_multipart, check_attachments, parse_multipart
from inward.xapi.clients import authenticate_basic
from inward.xapi.models import LrsClient, Statement
from inward.xapi.protocol import (
    SUPPORTED_VERSIONS,
    LrsError,
    LrsRequest,
    check_version,
    error_response,
    finish,
    json_response,
    lrs_request,
)
from inward.xapi.query import (
    LIST_PARAMS,
    SINGLE_PARAMS,
    StatementQuery,
    accept_languages,
    formatted,
    more_token,
    parse_bool,
    parse_format,
    parse_list_query,
    parse_statement_id,
    read_more_token,
    statement_page,
)
from inward.xapi.signatures import check_signatures
from inward.xapi.storage import attachments_of, statements_store
from inward.xapi.validation import (
    XapiValidationError,
    parse_json,
    validate_statement,
    validate_statements_payload,
)

Handler = Callable[..., HttpResponse]


def lrs_endpoint(*, statements: bool) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Wrap a resource handler with what every authenticated xAPI request needs.
    ``statements`` adds X-Experience-API-Consistent-Through to every answer."""

    def decorate(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @login_not_required
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return finish(HttpResponse(status=200))
            try:
                # Signed in before the body is read, so that no one without credentials
                # makes the LRS hold a large body (the Alternate Request Syntax carries
                # its credentials in the body, so it is read first there).
                early = None if _alternate_syntax(request) else _client(request.headers)
                lrs = lrs_request(_body_read(request))
                check_version(lrs)
                client = early or _client(lrs.headers)
                response = handler(lrs, client, **kwargs)
            except LrsError as error:
                response = error_response(error)
            except XapiValidationError as error:
                response = error_response(LrsError(400, str(error)))
            return finish(response, consistent_through=statements)

        return view

    return decorate


def _body_read(request: HttpRequest) -> HttpRequest:
    """The request with its body read; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is
    answered 413 as xAPI (Django alone would answer a bare 400)."""
    try:
        request.body  # noqa: B018 (reads and keeps the body)
    except RequestDataTooBig as exc:
        raise LrsError(
            413,
            "The request body is larger than this LRS takes "
            f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes); send smaller batches.",
        ) from exc
    return request


def _alternate_syntax(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    return any(name == "method" for name, _ in parse_qsl(query, keep_blank_values=True))


def _client(headers: Mapping[str, str]) -> LrsClient:
    """The signed-in, enabled client named by the Authorization header of ``headers``
    (looked up case-insensitively when they are Django's, by lower-case name in an
    ``LrsRequest``)."""
    client = authenticate_basic(headers.get("authorization"))
    if client is None:
        raise LrsError(401, "Sign in with the LMS client's key and secret (HTTP Basic).")
    if not client.enabled:
        raise LrsError(403, "This LMS client is switched off.")
    return client


@lrs_endpoint(statements=True)
def statements(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    if lrs.method in ("GET", "HEAD"):
        return strip_for_head(lrs, _get(lrs))
    if lrs.method == "PUT":
        return _put(lrs, client)
    if lrs.method == "POST":
        return _post(lrs, client)
    raise LrsError(405, f"The statements resource does not take {lrs.method}.")


@lrs_endpoint(statements=True)
def statements_more(lrs: LrsRequest, client: LrsClient, token: str) -> HttpResponse:
    if lrs.method not in ("GET", "HEAD"):
        raise LrsError(405, "A 'more' link is read with GET.")
    params, cursor = read_more_token(token)
    query = parse_list_query(params)
    return strip_for_head(lrs, _list(lrs, query, cursor))


@csrf_exempt
@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return finish(HttpResponse(status=200))
    if request.method not in ("GET", "HEAD"):
        return finish(error_response(LrsError(405, "The about resource is read with GET.")))
    response = json_response({"version": SUPPORTED_VERSIONS, "extensions": {}})
    return finish(_strip(response) if request.method == "HEAD" else response)


# --- PUT and POST ----------------------------------------------------------------------


def _put(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    params = lrs.param_dict({"statementId"})
    if "statementId" not in params:
        raise LrsError(400, "PUT needs a statementId parameter.")
    statement_id = parse_statement_id("statementId", params["statementId"])
    payload, parts = _read_body(lrs)
    if not isinstance(payload, dict):
        raise LrsError(400, "PUT takes one statement, a JSON object.")
    validate_statement(payload)
    if "id" in payload and str(payload["id"]).lower() != str(statement_id):
        raise LrsError(400, "The statement's id differs from the statementId parameter.")
    statement = {**payload, "id": str(statement_id)}
    _check_parts([statement], parts)
    statements_store(statements=[statement], client=client, parts=parts)
    return HttpResponse(status=204)


def _post(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    lrs.param_dict(set())
    payload, parts = _read_body(lrs)
    batch = validate_statements_payload(payload)
    _check_parts(batch, parts)
    ids = statements_store(statements=batch, client=client, parts=parts)
    return json_response(ids)


def _read_body(lrs: LrsRequest) -> tuple[Any, dict[str, Any]]:
    parts = {}
    body = lrs.body
    if lrs.media_type == "multipart/mixed":
        multipart = parse_multipart(lrs.body, lrs.content_type)
        body, parts = multipart.json_body, multipart.parts
    elif lrs.media_type != "application/json":
        raise LrsError(400, "Send statements as application/json or multipart/mixed.")
    # parse_json refuses what would otherwise be a 500 further on: NaN, huge numbers, NUL
    # characters and unpaired surrogates (PostgreSQL cannot store them), deep nesting.
    return parse_json(body), parts


def _check_parts(batch: list[dict[str, Any]], parts: dict[str, Any]) -> None:
    check_attachments(batch, parts)
    check_signatures(batch, parts)


# --- GET -------------------------------------------------------------------------------


def _get(lrs: LrsRequest) -> HttpResponse:
    names = {name for name, _ in lrs.params}
    if names & {"statementId", "voidedStatementId"}:
        return _single(lrs, lrs.param_dict(SINGLE_PARAMS))
    return _list(lrs, parse_list_query(lrs.param_dict(LIST_PARAMS)), None)


def _single(lrs: LrsRequest, params: dict[str, str]) -> HttpResponse:
    if "statementId" in params and "voidedStatementId" in params:
        raise LrsError(400, "Give statementId or voidedStatementId, not both.")
    voided = "voidedStatementId" in params
    name = "voidedStatementId" if voided else "statementId"
    statement_id = parse_statement_id(name, params[name])
    fmt = parse_format(params.get("format"))
    with_attachments = parse_bool("attachments", params.get("attachments"))
    row = Statement.objects.filter(id=statement_id, voided=voided).only("data", "stored").first()
    if row is None:
        raise LrsError(404, f"No {'voided ' if voided else ''}statement {statement_id}.")
    data = formatted(row.data, fmt, accept_languages(lrs.header("accept-language")))
    response = _respond(data, [row.data], with_attachments)
    response["Last-Modified"] = http_date(row.stored.timestamp())
    return response


def _list(lrs: LrsRequest, query: StatementQuery, cursor: Any) -> HttpResponse:
    rows, next_cursor = statement_page(query, cursor)
    languages = accept_languages(lrs.header("accept-language"))
    more = (
        reverse("xapi:statements_more", args=[more_token(query, next_cursor)])
        if next_cursor
        else ""
    )
    result = {
        "statements": [formatted(row.data, query.format, languages) for row in rows],
        "more": more,
    }
    response = _respond(result, [row.data for row in rows], query.attachments)
    if rows:
        newest = max(row.stored for row in rows)
        response["Last-Modified"] = http_date(newest.timestamp())
    return response


def _respond(result: Any, statements: list[dict[str, Any]], with_attachments: bool) -> HttpResponse:
    response = json_response(result)
    if not with_attachments:
        return response
    body, content_type = build_multipart(response.content, attachments_of(statements))
    return HttpResponse(body, content_type=content_type)


def strip_for_head(lrs: LrsRequest, response: HttpResponse) -> HttpResponse:
    return _strip(response) if lrs.method == "HEAD" else response


def _strip(response: HttpResponse) -> HttpResponse:
    length = len(response.content)
    response.content = b""
    response["Content-Length"] = str(length)
    return response
