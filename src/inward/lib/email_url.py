"""Parse ``EMAIL_URL`` into Django e-mail settings.

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
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise EnvError(f"EMAIL_URL scheme {parts.scheme!r} is not one of {sorted(_BACKENDS)}")
    config: dict[str, Any] = {"EMAIL_BACKEND": _BACKENDS[parts.scheme]}
    if parts.scheme == "file":
        config["EMAIL_FILE_PATH"] = unquote(parts.path)
    if parts.scheme not in ("smtp", "smtps"):
        return config
    query = parse_qs(parts.query)
    config.update(
        EMAIL_HOST=parts.hostname or "localhost",
        EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_SSL=parts.scheme == "smtps",
        EMAIL_USE_TLS=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        EMAIL_TIMEOUT=30,
    )
    return config
