"""LMS clients of the Learning Record Store: creating them, signing them in, switching
them off.

A client signs in to ``/xapi/`` with HTTP Basic: its ``key`` as the user name and a random
secret as the password. The secret is 32 random bytes, shown once when the client is made;
only its SHA-256 is kept. A slow password hash would add nothing for 256 random bits, and
the LRS checks credentials on every request.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import secrets
import string

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.xapi.models import LrsClient

# Letters and digits only: a key is typed on command lines (`inward lrs client disable
# KEY`), where one starting with "-" would be read as an option. 20 of 62 is 119 bits.
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 20
SECRET_BYTES = 32
# Writing last_used_at on every request would make each statement POST also an UPDATE.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# Compared against when the key is unknown, so an unknown key costs the same as a wrong
# secret and the answer time does not tell which keys exist.
_UNKNOWN_DIGEST = hashlib.sha256(b"no such client").hexdigest()
# Keys are letters and digits (older ones url-safe base64); anything else (a NUL
# character, which PostgreSQL refuses in a query, or a megabyte of text) is not looked up.
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def lrs_endpoint() -> str:
    """The address an LMS is configured with: the LRS's base, ending in a slash."""
    return f"{settings.INWARD_BASE_URL.rstrip('/')}/xapi/"


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(*, name: str, created_by: User | None = None) -> tuple[LrsClient, str]:
    """Create an enabled client. Returns it and its secret, which is not stored and
    cannot be shown again."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with transaction.atomic():
        client = LrsClient.objects.create(
            name=name.strip(),
            key=new_key(),
            secret_sha256=secret_digest(secret),
            created_by=created_by,
        )
        audit_record(
            actor=created_by,
            action="lrs_client.create",
            target=client,
            summary=f"LMS client {client.name} ({client.key}) created",
        )
    return client, secret


def client_set_enabled(*, client: LrsClient, enabled: bool, actor: User | None) -> LrsClient:
    """Switch a client on or off. A disabled client's requests are refused with 403; its
    statements stay."""
    if client.enabled == enabled:
        return client
    with transaction.atomic():
        LrsClient.objects.filter(pk=client.pk).update(enabled=enabled)
        client.enabled = enabled
        audit_record(
            actor=actor,
            action="lrs_client.enable" if enabled else "lrs_client.disable",
            target=client,
            summary=f"LMS client {client.name} ({client.key}) "
            + ("enabled" if enabled else "disabled"),
        )
    return client


def client_delete(*, client: LrsClient, actor: User | None) -> None:
    """Delete a client. Its statements stay, with no client."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="lrs_client.delete",
            target=client,
            summary=f"LMS client {client.name} ({client.key}) deleted",
            data={"name": client.name, "key": client.key},
        )
        client.delete()


def parse_basic(authorization_header: str | None) -> tuple[str, str] | None:
    """``(key, secret)`` from an ``Authorization: Basic …`` header, or None if it is
    missing or malformed."""
    if not authorization_header:
        return None
    scheme, _, encoded = authorization_header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep or not secret or not _KEY_RE.fullmatch(key):
        return None
    return key, secret


def authenticate_basic(authorization_header: str | None) -> LrsClient | None:
    """The client whose key and secret are in the header, or None when the header is
    missing, malformed, or does not name a client with that secret.

    A disabled client is returned too (with ``enabled`` False), so the caller can answer
    403 rather than 401. The secret is compared in constant time, also for unknown keys.
    ``last_used_at`` is written at most once a minute.
    """
    credentials = parse_basic(authorization_header)
    if credentials is None:
        return None
    key, secret = credentials
    client = LrsClient.objects.filter(key=key).first() if len(key) <= 64 else None
    expected = client.secret_sha256 if client is not None else _UNKNOWN_DIGEST
    if not secrets.compare_digest(expected, secret_digest(secret)) or client is None:
        return None
    _touch(client)
    return client


def _touch(client: LrsClient) -> None:
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    LrsClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now
