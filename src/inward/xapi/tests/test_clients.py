"""LMS client credentials: made once, checked in constant time, switched off, audited."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from typing import Any

import pytest
from django.utils import timezone

from inward.audit.models import AuditEntry
from inward.xapi.clients import (
    authenticate_basic,
    client_delete,
    client_set_enabled,
    create_client,
    parse_basic,
)
from inward.xapi.models import LrsClient

pytestmark = pytest.mark.django_db


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_it_keeps_only_a_digest_of_the_secret(admin_user: Any) -> None:
    client, secret = create_client(name="  Moodle  ", created_by=admin_user)
    client.refresh_from_db()
    assert client.name == "Moodle"
    assert client.enabled
    assert len(client.key) == 20
    assert len(secret) >= 43  # 32 bytes, url-safe base64
    assert client.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(LrsClient.objects.filter(pk=client.pk).values().get())
    entry = AuditEntry.objects.get(action="lrs_client.create")
    assert entry.actor == admin_user
    assert secret not in entry.summary + str(entry.data)


def test_it_makes_different_keys_and_secrets() -> None:
    made = [create_client(name=f"lms {i}") for i in range(5)]
    assert len({c.key for c, _ in made}) == 5
    assert len({s for _, s in made}) == 5


def test_it_signs_in_with_the_right_key_and_secret() -> None:
    client, secret = create_client(name="Moodle")
    assert authenticate_basic(basic(client.key, secret)) == client
    assert authenticate_basic("basic " + basic(client.key, secret)[6:]) == client


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic",
        "Basic ",
        "Bearer abc",
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-only").decode(),
        "Basic " + base64.b64encode(b"key-only:").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"x" * 100 + b":y").decode(),
    ],
)
def test_it_refuses_malformed_headers(header: str | None) -> None:
    create_client(name="Moodle")
    assert authenticate_basic(header) is None


def test_it_refuses_a_wrong_secret_or_an_unknown_key() -> None:
    client, secret = create_client(name="Moodle")
    assert authenticate_basic(basic(client.key, secret + "x")) is None
    assert authenticate_basic(basic(client.key, secret[:-1])) is None
    assert authenticate_basic(basic("unknown-key", secret)) is None


def test_an_unknown_key_goes_through_the_same_comparison(monkeypatch: Any) -> None:
    compared: list[tuple[str, str]] = []
    real = secrets.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return bool(real(a, b))

    monkeypatch.setattr(secrets, "compare_digest", spy)
    client, secret = create_client(name="Moodle")
    authenticate_basic(basic("unknown-key", secret))
    authenticate_basic(basic(client.key, "wrong"))
    authenticate_basic(basic(client.key, secret))
    assert len(compared) == 3
    assert all(len(a) == len(b) == 64 for a, b in compared)


def test_a_disabled_client_is_returned_switched_off(admin_user: Any) -> None:
    client, secret = create_client(name="Moodle")
    client_set_enabled(client=client, enabled=False, actor=admin_user)
    found = authenticate_basic(basic(client.key, secret))
    assert found is not None and found.pk == client.pk and not found.enabled
    assert AuditEntry.objects.filter(action="lrs_client.disable", actor=admin_user).count() == 1
    client_set_enabled(client=client, enabled=False, actor=admin_user)
    assert AuditEntry.objects.filter(action="lrs_client.disable").count() == 1
    client_set_enabled(client=client, enabled=True, actor=admin_user)
    found = authenticate_basic(basic(client.key, secret))
    assert found is not None and found.enabled
    assert AuditEntry.objects.filter(action="lrs_client.enable").count() == 1


def test_it_writes_last_used_at_most_once_a_minute(
    django_assert_num_queries: Any,
) -> None:
    client, secret = create_client(name="Moodle")
    header = basic(client.key, secret)
    with django_assert_num_queries(2):  # read, and the first use
        authenticate_basic(header)
    first = LrsClient.objects.get(pk=client.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # read only
        authenticate_basic(header)
    assert LrsClient.objects.get(pk=client.pk).last_used_at == first
    LrsClient.objects.filter(pk=client.pk).update(
        last_used_at=timezone.now() - dt.timedelta(minutes=2)
    )
    authenticate_basic(header)
    later = LrsClient.objects.get(pk=client.pk).last_used_at
    assert later is not None and later > first


def test_deleting_a_client_is_audited_and_ends_its_sign_in(admin_user: Any) -> None:
    client, secret = create_client(name="Moodle")
    key = client.key
    client_delete(client=client, actor=admin_user)
    assert authenticate_basic(basic(key, secret)) is None
    entry = AuditEntry.objects.get(action="lrs_client.delete")
    assert entry.data == {"name": "Moodle", "key": key}


def test_a_secret_may_contain_colons() -> None:
    assert parse_basic(basic("key", "a:b:c")) == ("key", "a:b:c")
