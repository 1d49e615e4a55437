"""The WSGI entry point, with a lean path for the tracking links in front of Django.

Open pixels and click redirects arrive by the thousand when a large mailing is read, and
their answer needs no session, user, CSRF check, locale or template. ``TrackingFastPath``
answers genuine ``/t/`` requests itself (the same ``open_answer``/``click_answer`` as the
Django views, so the token checks, the no-open-redirect rule and robot detection are the
same) with fixed security headers and no cookies; everything else, and anything it does
not answer (a bad token: Django's 404 page; a host not allowed; a plain-http request that
must be redirected to https), goes to Django unchanged. ``INWARD_TRACKING_FAST_PATH=0``
turns it off.

The hit buffer's flusher thread is started on the first request in each process (so it
also runs in each worker a pre-forking server makes) and flushed at exit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inward.settings")
django_application = get_wsgi_application()

type StartResponse = Callable[..., Any]
type WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


class WithFlusher:
    """Django, with the hit buffer's flusher started in each process that serves (the
    whole application when the fast path is off)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._pid = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self._ensure_flusher()
        return self.app(environ, start_response)

    def _ensure_flusher(self) -> None:
        if self._pid != os.getpid():  # first request, or a forked worker
            from inward.analytics.hits import buffer

            buffer.start()
            self._pid = os.getpid()


class TrackingFastPath(WithFlusher):
    """Serve the open pixel and click redirects without Django's middleware stack."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__(app)
        self._routes: tuple[tuple[str, str], tuple[str, str]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self._ensure_flusher()
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if method in ("GET", "HEAD") and path.startswith("/t/") and self._plain(environ):
            answered = self._answer(environ, path, method, start_response)
            if answered is not None:
                return answered
        return self.app(environ, start_response)

    def _answer(
        self, environ: dict[str, Any], path: str, method: str, start_response: StartResponse
    ) -> list[bytes] | None:
        from inward.delivery.tracking_views import PIXEL, click_answer, open_answer

        (open_before, open_after), (click_before, click_after) = self._route_parts()
        agent = environ.get("HTTP_USER_AGENT", "")
        token = _between(path, open_before, open_after)
        if token is not None:
            answer = open_answer(token=token, method=method, user_agent=agent)
            if answer is None:
                return None
            headers = [("Content-Type", "image/gif"), ("Content-Length", str(len(PIXEL)))]
            start_response("200 OK", headers + self._security(environ))
            return [b""] if method == "HEAD" else [PIXEL]
        token = _between(path, click_before, click_after)
        if token is None:
            return None
        answer = click_answer(token=token, method=method, user_agent=agent)
        if answer is None:
            return None
        from django.utils.encoding import iri_to_uri

        headers = [
            ("Location", iri_to_uri(answer.location)),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "0"),
        ]
        start_response("302 Found", headers + self._security(environ))
        return [b""]

    def _route_parts(self) -> tuple[tuple[str, str], tuple[str, str]]:
        if self._routes is None:
            from inward.delivery.tracking import _route

            self._routes = (_route("tracking:open"), _route("tracking:click"))
        return self._routes

    def _plain(self, environ: dict[str, Any]) -> bool:
        """Whether Django would answer this request without a redirect or an error of
        its own: an allowed host, and https when https is required."""
        from django.conf import settings
        from django.http.request import split_domain_port, validate_host

        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        if not domain or not validate_host(domain, allowed):
            return False
        return self._secure(environ) or not settings.SECURE_SSL_REDIRECT

    def _secure(self, environ: dict[str, Any]) -> bool:
        from django.conf import settings

        if environ.get("wsgi.url_scheme") == "https":
            return True
        header = settings.SECURE_PROXY_SSL_HEADER
        if header:
            name, value = header
            return bool(environ.get(name, "").split(",")[0].strip() == value)
        return False

    def _security(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        from django.conf import settings

        headers = [
            ("Cache-Control", NO_STORE),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
            ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
        ]
        if settings.SECURE_HSTS_SECONDS and self._secure(environ):
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            headers.append(("Strict-Transport-Security", value))
        return headers


def _between(path: str, before: str, after: str) -> str | None:
    if not path.startswith(before) or not path.endswith(after):
        return None
    token = path[len(before) : len(path) - len(after)]
    return token if token and "/" not in token else None


def _application() -> WSGIApp:
    if os.environ.get("INWARD_TRACKING_FAST_PATH", "1") == "0":
        return WithFlusher(django_application)
    return TrackingFastPath(django_application)


application = _application()
