"""Shared fixtures: named personas, and no sockets to the outside world."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The browser fixtures are session-wide: defined once here, so that one Playwright (one
# event loop) serves every browser test module in a process.
from inward.web.tests.browser import browser, page  # noqa: F401

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# fixtures around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests share two cores with the other test process, a browser and servers: an
# example that is slow there is not a failure (hypothesis's default deadline is 200 ms).
settings.register_profile(
    "inward", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("inward")

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise OSError(f"tests may not reach the outside world (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_outside_sockets() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _english_first() -> Iterator[None]:
    """Each test starts in English: a request in another language leaves its language
    active in the thread, which would leak into the next test on the same worker."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Throttle counters live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _plain_settings(settings: Any, tmp_path: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _make_user(username: str, role: str, email: str) -> Any:
    from inward.accounts.models import User

    user = User.objects.create_user(
        username=username, email=email, password="correct horse battery staple"
    )
    user.role = role
    user.save()
    return user


@pytest.fixture
def admin_user(db: None) -> Any:
    return _make_user("ada", "admin", "ada@example.com")


@pytest.fixture
def manager_user(db: None) -> Any:
    return _make_user("mona", "manager", "mona@example.com")


@pytest.fixture
def channel_owner_user(db: None) -> Any:
    return _make_user("chris", "channel_owner", "chris@example.com")


@pytest.fixture
def employee_user(db: None) -> Any:
    return _make_user("emma", "employee", "emma@example.com")


@pytest.fixture
def outsider_user(db: None) -> Any:
    """Signed in, but deactivated: must see nothing."""
    user = _make_user("otto", "employee", "otto@example.com")
    user.is_active = False
    user.save()
    return user


PASSWORD = "correct horse battery staple"


@pytest.fixture
def client_as(client: Any) -> Any:
    def sign_in(user: Any) -> Any:
        client.force_login(user)
        return client

    return sign_in
