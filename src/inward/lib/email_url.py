"""Parse ``EMAIL_URL`` into Django's ``MAILERS`` setting.

Forms: ``smtp://user:pass@host:587?starttls=1``, ``smtps://host:465`` (implicit TLS),
``console://`` (print to standard output), ``file:///path/to/dir``, ``memory://``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from inward.lib.env import EnvError

_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}


def parse_email_url(url: str) -> dict[str, Any]:
    """Return the ``MAILERS["default"]`` entry for ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise EnvError(f"EMAIL_URL scheme {parts.scheme!r} is not one of {sorted(_BACKENDS)}")
    mailer: dict[str, Any] = {"BACKEND": _BACKENDS[parts.scheme]}
    if parts.scheme == "file":
        mailer["OPTIONS"] = {"file_path": unquote(parts.path)}
    if parts.scheme not in ("smtp", "smtps"):
        return mailer
    query = parse_qs(parts.query)
    mailer["OPTIONS"] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_ssl": parts.scheme == "smtps",
        "use_tls": query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        "timeout": 30,
    }
    return mailer
