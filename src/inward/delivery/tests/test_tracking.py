"""Signed tracking links: the open pixel, click redirects (never open ones), preferences."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.signing import b62_encode
from django.test import Client
from django.utils import timezone

from inward.campaigns.models import Variant
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery
from inward.delivery.tracking import (
    PREFERENCES_SALT,
    ClickTarget,
    PreferencesLink,
    click_token,
    click_token_target,
    click_url,
    open_pixel_url,
    open_token,
    open_token_delivery_id,
    preferences_link_read,
    preferences_person_id,
    preferences_token,
    preferences_url,
    signer,
)
from inward.delivery.tracking_views import PIXEL

BODY = "[Enrol](https://learn.example.com/course) or [read more](https://wiki.example.com/crm)."


def make_delivery(body: str = BODY) -> Delivery:
    [person] = make_people(1)
    channel = make_channel()
    touch = make_touch(make_campaign(), channel, body=body)
    return Delivery.objects.create(
        touch=touch,
        person=person,
        channel=channel,
        variant=touch.variants.get(),
        due_at=timezone.now(),
        message_id=f"<d{touch.pk}.{person.pk}@example.com>",
    )


def path_of(url: str, settings: Any) -> str:
    assert url.startswith(settings.INWARD_BASE_URL + "/t/")
    return url.removeprefix(settings.INWARD_BASE_URL)


# --- Tokens ---------------------------------------------------------------------------------


def test_it_reads_back_what_it_signed() -> None:
    assert open_token_delivery_id(open_token(123456789)) == 123456789
    assert click_token_target(click_token(42, 3)) == ClickTarget(delivery_id=42, index=3)


def test_it_keeps_tokens_short() -> None:
    assert len(click_token(10_000_000, 12)) <= 24


def test_it_refuses_tampered_tokens() -> None:
    token = click_token(42, 0)
    value, signature = token.split(".")
    # Change the last character to one that differs from it, whatever the key made it.
    other = "B" if signature.endswith("A") else "A"
    assert click_token_target(f"{value}.{signature[:-1]}{other}") is None
    assert click_token_target(f"{value[:-1]}1.{signature}") is None
    assert click_token_target("") is None
    assert click_token_target("x" * 500) is None


def test_it_keeps_each_purpose_to_its_own_tokens() -> None:
    assert click_token_target(open_token(42)) is None
    assert open_token_delivery_id(click_token(42, 0)) is None
    assert preferences_person_id(open_token(42)) is None


def test_it_still_reads_links_signed_before_the_secret_key_changed(settings: Any) -> None:
    token = click_token(42, 1)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40

    assert click_token_target(token) == ClickTarget(delivery_id=42, index=1)
    assert click_token(42, 1) != token
    settings.SECRET_KEY_FALLBACKS = []
    assert click_token_target(token) is None


def test_it_builds_absolute_links_on_the_base_url(settings: Any) -> None:
    settings.INWARD_BASE_URL = "https://inward.example.com"

    assert open_pixel_url(5) == f"https://inward.example.com/t/o/{open_token(5)}.gif"
    assert click_url(5, 1) == f"https://inward.example.com/t/c/{click_token(5, 1)}"
    assert preferences_url(7).startswith("https://inward.example.com/feed/preferences/")


def test_it_signs_preferences_links_for_one_person() -> None:
    token = preferences_url(77).rstrip("/").rsplit("/", 1)[1]

    assert preferences_person_id(token) == 77
    assert preferences_person_id(token.replace(".", ".x")) is None


# --- The open pixel -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_the_first_open_and_answers_a_transparent_gif(
    client: Client, settings: Any
) -> None:
    delivery = make_delivery()
    response = client.get(path_of(open_pixel_url(delivery.pk), settings))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content == PIXEL and len(PIXEL) == 43
    assert "no-store" in response["Cache-Control"]
    delivery.refresh_from_db()
    first_open = delivery.opened_at
    assert first_open is not None

    client.get(path_of(open_pixel_url(delivery.pk), settings))
    delivery.refresh_from_db()
    assert delivery.opened_at == first_open


@pytest.mark.django_db
def test_it_answers_404_to_a_forged_pixel(client: Client) -> None:
    delivery = make_delivery()
    response = client.get(f"/t/o/{delivery.pk}.AAAAAAAAAAAAAAAA.gif")

    assert response.status_code == 404
    delivery.refresh_from_db()
    assert delivery.opened_at is None


# --- Clicks ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_a_click_and_redirects_to_that_link(client: Client, settings: Any) -> None:
    delivery = make_delivery()
    response = client.get(path_of(click_url(delivery.pk, 1), settings))

    assert response.status_code == 302
    assert response["Location"] == "https://wiki.example.com/crm"
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None
    assert delivery.opened_at == delivery.clicked_at  # a click is also an open


@pytest.mark.django_db
def test_it_keeps_the_first_click(client: Client, settings: Any) -> None:
    delivery = make_delivery()
    client.get(path_of(click_url(delivery.pk, 0), settings))
    delivery.refresh_from_db()
    first = delivery.clicked_at

    response = client.get(path_of(click_url(delivery.pk, 1), settings))
    delivery.refresh_from_db()
    assert response["Location"] == "https://wiki.example.com/crm"
    assert delivery.clicked_at == first


@pytest.mark.django_db
def test_it_never_redirects_anywhere_the_request_names(client: Client, settings: Any) -> None:
    delivery = make_delivery()
    other = make_delivery(body="[Elsewhere](https://other.example.com/)")
    token = click_token(delivery.pk, 0)
    value, signature = token.split(".")
    other_value = click_token(other.pk, 0).split(".")[0]

    for path in [
        f"/t/c/{click_token(delivery.pk, 2)}",  # no third link in the variant
        f"/t/c/{value}.{signature[::-1]}",  # tampered signature
        f"/t/c/{other_value}.{signature}",  # another delivery with this token's signature
        f"/t/c/{value}",  # no signature
        "/t/c/https:%2F%2Fevil.example.com",
        f"/t/c/{open_token(delivery.pk)}",  # an open token is not a click token
    ]:
        assert client.get(path).status_code == 404, path
    response = client.get(f"/t/c/{token}?next=https://evil.example.com&url=//evil.example.com")
    assert response["Location"] == "https://learn.example.com/course"
    other.refresh_from_db()
    assert other.clicked_at is None


@pytest.mark.django_db
def test_it_answers_404_when_the_delivery_or_its_variant_is_gone(client: Client) -> None:
    delivery = make_delivery()
    assert client.get(f"/t/c/{click_token(delivery.pk + 1000, 0)}").status_code == 404

    Variant.objects.filter(pk=delivery.variant_id).delete()
    assert client.get(f"/t/c/{click_token(delivery.pk, 0)}").status_code == 404


@pytest.mark.django_db
def test_it_follows_an_edited_variant(client: Client) -> None:
    delivery = make_delivery()
    assert client.get(f"/t/c/{click_token(delivery.pk, 0)}")["Location"] == (
        "https://learn.example.com/course"
    )
    variant = Variant.objects.get(pk=delivery.variant_id)
    variant.body = "[New course](https://learn.example.com/new)"
    variant.save()

    assert client.get(f"/t/c/{click_token(delivery.pk, 0)}")["Location"] == (
        "https://learn.example.com/new"
    )


@pytest.mark.django_db
def test_it_lets_preferences_links_expire(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    fresh = preferences_token(77)
    then = time.time() - 91 * 86400
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: then)
        old = preferences_token(77)

    assert preferences_person_id(fresh) == 77
    assert preferences_person_id(old) is None
    assert preferences_link_read(old) == PreferencesLink(None, expired=True)
    settings.INWARD_PREFERENCES_LINK_DAYS = 120
    assert preferences_person_id(old) == 77


def test_it_treats_an_undated_preferences_link_as_expired_and_a_forged_one_as_broken() -> None:
    undated = signer(PREFERENCES_SALT).sign(b62_encode(77))  # as links were made before

    assert preferences_link_read(undated) == PreferencesLink(None, expired=True)
    assert preferences_link_read(undated + "x") == PreferencesLink(None, expired=False)
    assert preferences_link_read(open_token(77)) == PreferencesLink(None, expired=False)


def test_it_gives_each_new_message_a_fresh_preferences_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = preferences_url(77)
    later = time.time() + 5
    monkeypatch.setattr(time, "time", lambda: later)

    assert preferences_url(77) != first


def test_it_keeps_open_and_click_links_undated() -> None:
    assert open_token(42).count(".") == 1
    assert click_token(42, 0).count(".") == 1
