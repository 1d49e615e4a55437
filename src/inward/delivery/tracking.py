"""Signed links put into messages: the open pixel, click tracking and the preferences page.

A token is the ids in base62 and a 96-bit HMAC (Django's ``Signer``: ``SECRET_KEY`` and its
fallbacks, truncated signature). Each purpose has its own salt, so an open token is no
click token, and a token for one delivery says nothing about another. Open and click
tokens do not expire: a message read a year later still records its open, and its links
still work. A preferences token is a key to someone's settings, so it carries the time it
was made (``TimestampSigner``) and lasts ``INWARD_PREFERENCES_LINK_DAYS`` (90) days; each
new message carries a fresh one.

Click links never carry the target: the view looks up link number ``index`` of the
delivery's own variant, so no token can send anyone anywhere else (no open redirect).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.signing import (
    BadSignature,
    SignatureExpired,
    Signer,
    TimestampSigner,
    b62_decode,
    b62_encode,
    b64_encode,
)
from django.urls import get_script_prefix, reverse
from django.utils.encoding import force_bytes

OPEN_SALT = "inward.tracking.open"
CLICK_SALT = "inward.tracking.click"
PREFERENCES_SALT = "inward.delivery.preferences"
SIGNATURE_BYTES = 12  # 96 bits: forging one takes 2**95 tries on average
_PLACEHOLDER = "TOKEN"
_BASE62 = re.compile(r"[0-9A-Za-z]{1,12}")


class CompactSigner(Signer):
    """Django's signer with a shorter signature, so links stay short in plain-text mail.

    The MAC is ``salted_hmac``'s, with the key derivation done once per salt and key:
    links are signed per recipient and per link, in the sender's hot loop.
    """

    def __init__(self, *, salt: str, key: str, fallback_keys: list[str | bytes]) -> None:
        super().__init__(
            sep=".", salt=salt, key=key, fallback_keys=fallback_keys, algorithm="sha256"
        )

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return _compact_signature(str(self.salt), key or self.key, value)


class CompactTimestampSigner(TimestampSigner):
    """``CompactSigner`` with the time of signing in the token (base62 seconds)."""

    def __init__(self, *, salt: str, key: str, fallback_keys: list[str | bytes]) -> None:
        super().__init__(
            sep=".", salt=salt, key=key, fallback_keys=fallback_keys, algorithm="sha256"
        )

    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return _compact_signature(str(self.salt), key or self.key, value)


def _compact_signature(salt: str, key: str | bytes, value: str | bytes) -> str:
    mac = _prepared_mac(salt, key).copy()
    mac.update(force_bytes(value))
    return b64_encode(mac.digest()[:SIGNATURE_BYTES]).decode()


@functools.lru_cache(maxsize=32)
def _prepared_mac(salt: str, key: str | bytes) -> hmac.HMAC:
    # Exactly django.utils.crypto.salted_hmac(salt + "signer", ..., key, "sha256"), minus
    # the message.
    derived = hashlib.sha256(force_bytes(salt + "signer") + force_bytes(key)).digest()
    return hmac.new(derived, digestmod=hashlib.sha256)


def signer(salt: str) -> CompactSigner:
    """The signer for one purpose, with the current ``SECRET_KEY`` and its fallbacks."""
    return _signer(salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@functools.lru_cache(maxsize=32)
def _signer(salt: str, key: str, fallback_keys: tuple[str, ...]) -> CompactSigner:
    return CompactSigner(salt=salt, key=key, fallback_keys=list(fallback_keys))


def timestamp_signer(salt: str) -> CompactTimestampSigner:
    """The dated signer for one purpose, with the current ``SECRET_KEY`` and fallbacks."""
    return _timestamp_signer(salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@functools.lru_cache(maxsize=32)
def _timestamp_signer(
    salt: str, key: str, fallback_keys: tuple[str, ...]
) -> CompactTimestampSigner:
    return CompactTimestampSigner(salt=salt, key=key, fallback_keys=list(fallback_keys))


def preferences_link_age() -> dt.timedelta:
    """How long a preferences link works: ``INWARD_PREFERENCES_LINK_DAYS``, 90 by default."""
    return dt.timedelta(days=getattr(settings, "INWARD_PREFERENCES_LINK_DAYS", 90))


@dataclass(frozen=True, slots=True)
class ClickTarget:
    delivery_id: int
    index: int


@dataclass(frozen=True, slots=True)
class PreferencesLink:
    """What a preferences token says: the person (None unless genuine and in date), and
    whether it is a genuine link that has expired."""

    person_id: int | None
    expired: bool = False


# --- Building links -------------------------------------------------------------------------


def open_token(delivery_id: int) -> str:
    return signer(OPEN_SALT).sign(b62_encode(delivery_id))


def click_token(delivery_id: int, index: int) -> str:
    return signer(CLICK_SALT).sign(f"{b62_encode(delivery_id)}-{b62_encode(index)}")


def preferences_token(person_id: int) -> str:
    """A token for ``person_id``'s preferences, dated now (it expires)."""
    return timestamp_signer(PREFERENCES_SALT).sign(b62_encode(person_id))


def open_pixel_url(delivery_id: int) -> str:
    """The absolute URL of the 1x1 image that records the first open of a delivery."""
    return _absolute("tracking:open", open_token(delivery_id))


def click_url(delivery_id: int, index: int) -> str:
    """The absolute URL that records a click and redirects to link ``index`` (0-based, in
    the order of ``CompiledVariant.links``) of the delivery's variant."""
    return _absolute("tracking:click", click_token(delivery_id, index))


def preferences_url(person_id: int) -> str:
    """The absolute URL of one person's preferences page, usable without signing in for
    ``preferences_link_age()`` from now."""
    return _absolute("feed:preferences_signed", preferences_token(person_id))


def _absolute(name: str, token: str) -> str:
    before, after = _route(name)
    return f"{settings.INWARD_BASE_URL}{before}{token}{after}"


@functools.cache
def _route(name: str) -> tuple[str, str]:
    """The path around the token, reversed once: links are built per recipient and link.

    ``INWARD_BASE_URL`` already holds any path prefix the site is served under, so the
    request's script prefix is left out.
    """
    path = reverse(name, args=[_PLACEHOLDER])
    path = "/" + path.removeprefix(get_script_prefix())
    before, _, after = path.partition(_PLACEHOLDER)
    return before, after


# --- Reading tokens -------------------------------------------------------------------------


def open_token_delivery_id(token: str) -> int | None:
    """The delivery an open token was made for, or None when it is not genuine."""
    value = _unsign(OPEN_SALT, token)
    return _decode(value) if value is not None else None


def click_token_target(token: str) -> ClickTarget | None:
    """The delivery and link index of a click token, or None when it is not genuine."""
    value = _unsign(CLICK_SALT, token)
    if value is None or value.count("-") != 1:
        return None
    delivery_part, index_part = value.split("-")
    delivery_id, index = _decode(delivery_part), _decode(index_part)
    if delivery_id is None or index is None:
        return None
    return ClickTarget(delivery_id=delivery_id, index=index)


def preferences_person_id(token: str) -> int | None:
    """The person a preferences token was made for, or None when it is not genuine or
    has expired."""
    return preferences_link_read(token).person_id


def preferences_link_read(token: str) -> PreferencesLink:
    """Read a preferences token: the person when it is genuine and younger than
    ``preferences_link_age()``; ``expired`` when it is genuine but older (or from before
    links were dated, which makes it older than any limit)."""
    if len(token) > 100:
        return PreferencesLink(None)
    max_age = preferences_link_age()
    try:
        value = timestamp_signer(PREFERENCES_SALT).unsign(token, max_age=max_age)
    except SignatureExpired:
        return PreferencesLink(None, expired=True)
    except BadSignature:
        return PreferencesLink(None)
    except ValueError:  # genuine, but without the time it was made: an undated old link
        return PreferencesLink(None, expired=True)
    return PreferencesLink(_decode(value))


def _unsign(salt: str, token: str) -> str | None:
    if len(token) > 100:
        return None
    try:
        return signer(salt).unsign(token)
    except BadSignature:
        return None


def _decode(value: str) -> int | None:
    if not _BASE62.fullmatch(value):
        return None
    number = b62_decode(value)
    return number if isinstance(number, int) and number >= 0 else None
