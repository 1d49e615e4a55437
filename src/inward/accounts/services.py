"""Write paths for accounts: admins, API tokens and the sign-in throttle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from inward.accounts.models import ApiToken, Role, User

TOKEN_PREFIX_LENGTH = 8


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str) -> IssuedToken:
    """Create an API token. The full secret is returned once and only its digest kept."""
    prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
    secret = f"inw_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(secret))
    return IssuedToken(token=token, secret=secret)


def token_authenticate(*, secret: str) -> User | None:
    """Return the active user a token secret belongs to, or None."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != "inw":
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not secrets.compare_digest(token.digest, _digest(secret)):
        return None
    if not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def token_revoke(*, user: User, token_id: int) -> None:
    ApiToken.objects.filter(user=user, pk=token_id).delete()


@dataclass(frozen=True)
class CreatedAdmin:
    user: User
    password: str


def admin_create(*, username: str, email: str, password: str | None = None) -> CreatedAdmin:
    """Create (or reset the password of) an admin. Returns the password to print once."""
    password = password or secrets.token_urlsafe(12)
    with transaction.atomic():
        user = User.objects.filter(username=username).first() or User(username=username)
        user.email = email.strip().lower()
        user.role = Role.ADMIN
        user.is_superuser = True
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
    return CreatedAdmin(user=user, password=password)


def _throttle_key(username: str, address: str, scope: str = "login-fail") -> str:
    return f"{scope}:{hashlib.sha256(f'{username.lower()}|{address}'.encode()).hexdigest()}"


def password_reset_allowed(*, email: str, address: str) -> bool:
    """At most LOGIN_THROTTLE_ATTEMPTS reset mails per address (and per e-mail) a window,
    so nobody can flood an inbox or the mail server through the reset form."""
    keys = [
        _throttle_key(email.strip().lower(), "", "reset"),
        _throttle_key("", address, "reset"),
    ]
    if any(int(cache.get(key, 0)) >= settings.LOGIN_THROTTLE_ATTEMPTS for key in keys):
        return False
    for key in keys:
        if not cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW):
            cache.incr(key)
    return True


def login_is_throttled(*, username: str, address: str) -> bool:
    return int(cache.get(_throttle_key(username, address), 0)) >= settings.LOGIN_THROTTLE_ATTEMPTS


def login_record_failure(*, username: str, address: str) -> None:
    key = _throttle_key(username, address)
    if cache.add(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW)


def login_clear_failures(*, username: str, address: str) -> None:
    cache.delete(_throttle_key(username, address))
