"""The HTTP API under /api/v1/: token authentication and one shape for every error.

Every error body is ``{"error": {"code": str, "message": str, "details": list}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from inward.accounts.models import User
from inward.accounts.services import token_authenticate
from inward.audiences.rules import RuleError, RuleSyntaxError

logger = logging.getLogger(__name__)

# Service error codes that mean "this clashes with something that exists" (HTTP 409).
CONFLICT_CODES = {"slug_taken"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(secret=token)
        if user is not None:
            request.user = user
        return user


class ApiError(Exception):
    """A domain error the API reports with a status, a code and a message."""

    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


api = NinjaAPI(
    title="Inward API",
    version="1",
    description="Directory, audiences and campaigns. "
    "Authenticate with `Authorization: Bearer <token>`; create tokens in the UI "
    "(Account → API tokens) or with `inward token create`.",
    auth=TokenAuth(),
    urls_namespace="api",
    # No Swagger page: it loads its scripts from a CDN and runs inline code, both of which
    # the Content Security Policy forbids. The OpenAPI document is served as JSON.
    docs_url=None,
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(RuleError)
def _rule_error(request: HttpRequest, exc: RuleError) -> HttpResponse:
    """A rule that does not parse (with where and what was expected) or does not make sense."""
    if isinstance(exc, RuleSyntaxError):
        details = [{"line": exc.line, "column": exc.column, "expected": exc.expected}]
        return _error(request, 400, "rule_syntax", str(exc), details)
    place = [] if exc.line is None else [{"line": exc.line, "column": exc.column}]
    return _error(request, 400, "rule_invalid", str(exc), place)


@api.exception_handler(DjangoValidationError)
def _domain_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    """A service refused the change; a taken name is a conflict, anything else bad input."""
    code = exc.code or "invalid"
    status = 409 if code in CONFLICT_CODES else 400
    return _error(request, status, code, " ".join(exc.messages))


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", "The request is not valid.", exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "A valid API token is required.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", "Your role does not allow this.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unforeseen: logged with its traceback, answered without internals."""
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", "Something went wrong on our side.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from inward.analytics.api import router as analytics_router
    from inward.audiences.api import router as audiences_router
    from inward.campaigns.api import router as campaigns_router
    from inward.directory.api import router as directory_router
    from inward.learning.api import router as offerings_router

    api.add_router("/people", directory_router)
    api.add_router("/audiences", audiences_router)
    api.add_router("/campaigns", campaigns_router)
    api.add_router("/offerings", offerings_router)
    api.add_router("/campaigns", analytics_router)  # GET /campaigns/{slug}/funnel


_register_routers()


def _exempt_from_login_middleware(patterns: list[URLPattern | URLResolver]) -> None:
    """The API authenticates by token itself; the session sign-in redirect must not apply."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _exempt_from_login_middleware(pattern.url_patterns)
        else:
            pattern.callback.login_required = False  # type: ignore[attr-defined]


@login_not_required
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under /api/v1/ answer with the API's error body, not an HTML page."""
    body = {"error": {"code": "not_found", "message": "No such endpoint.", "details": []}}
    return JsonResponse(body, status=404)


def api_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns, built once and exempt from the session sign-in redirect."""
    patterns, app_name, namespace = api.urls
    _exempt_from_login_middleware(patterns)
    return patterns, app_name, namespace
