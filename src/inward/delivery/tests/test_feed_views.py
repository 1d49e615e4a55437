"""The employee's feed and preferences, as each role sees them, and the signed link."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from inward.campaigns.tests.factories import make_campaign, make_channel, make_touch
from inward.delivery.models import Delivery, FeedItem, Preference
from inward.delivery.tracking import preferences_url
from inward.directory.models import Person

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
EVERYONE = ["admin_user", "manager_user", "channel_owner_user", "employee_user"]
EMAILS = {
    "admin_user": "ada@example.com",
    "manager_user": "mona@example.com",
    "channel_owner_user": "chris@example.com",
    "employee_user": "emma@example.com",
}


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def person(email: str = "emma@example.com", **fields: Any) -> Person:
    fields.setdefault("first_name", email.split("@")[0].title())
    fields.setdefault("last_name", "Visser")
    return Person.objects.create(email=email, **fields)


def item(owner: Person, subject: str = "Hello", **fields: Any) -> FeedItem:
    fields.setdefault("body_html", f"<p>{subject}: <a href='https://x.example'>read</a></p>")
    return FeedItem.objects.create(person=owner, subject=subject, **fields)


def signed_path(person_id: int) -> str:
    return "/" + preferences_url(person_id).split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def emma(employee_user: Any) -> Person:
    return person()


# --- who may see what --------------------------------------------------------------------


@pytest.mark.parametrize("role", EVERYONE)
def test_it_gives_every_role_its_own_feed_and_preferences(
    role: str, request: Any, client_as: Any
) -> None:
    me = person(EMAILS[role])
    mine = item(me, "Mine", critical=True)
    item(person("someone@example.com"), "Not yours")
    client = client_as(request.getfixturevalue(role))
    for url in ("/feed/", f"/feed/{mine.pk}/", "/feed/preferences/", signed_path(me.pk)):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "Not yours" not in html, url
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url


@pytest.mark.parametrize("who", ["anonymous", "outsider_user"])
def test_it_sends_anonymous_and_deactivated_users_to_sign_in(
    who: str, request: Any, client: Any
) -> None:
    otto = person("otto@example.com")
    own = item(otto)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in ("/feed/", f"/feed/{own.pk}/", "/feed/preferences/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    response = client.post(f"/feed/{own.pk}/acknowledge/")
    assert response.status_code == 302
    assert FeedItem.objects.get().read_at is None


def test_it_shows_the_feed_in_everyones_navigation(employee_user: Any, client_as: Any) -> None:
    assert 'href="/feed/"' in client_as(employee_user).get("/me/").content.decode()


def test_it_explains_itself_to_someone_not_in_the_directory(
    employee_user: Any, client_as: Any
) -> None:
    client = client_as(employee_user)
    for url in ("/feed/", "/feed/preferences/"):
        body = text(client.get(url))
        assert "You are not in the directory yet" in body, url
        assert "emma@example.com" in body
    assert client.get("/feed/1/").status_code == 404
    assert client.post("/feed/preferences/", {"language": "nl"}).status_code == 200
    assert not Preference.objects.exists()


def test_it_never_opens_another_persons_item(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    theirs = item(person("someone@example.com"), "Private", critical=True)
    client = client_as(employee_user)
    assert client.get(f"/feed/{theirs.pk}/").status_code == 404
    assert client.post(f"/feed/{theirs.pk}/acknowledge/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.read_at, theirs.acknowledged_at) == (None, None)


# --- the inbox ---------------------------------------------------------------------------


def test_it_teaches_what_the_feed_is_when_it_is_empty(
    emma: Person, client_as: Any, employee_user: Any
) -> None:
    body = text(client_as(employee_user).get("/feed/"))
    assert "No messages yet" in body
    assert 'href="/feed/preferences/"' in body


def test_it_lists_newest_first_and_marks_unread(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    old = item(emma, "Older", read_at="2025-01-01T10:00:00Z")
    new = item(emma, "Newer")
    response = client_as(employee_user).get("/feed/")
    assert [i.pk for i in response.context["page"].object_list] == [new.pk, old.pk]
    body = text(response)
    assert re.search(r'fw-bold">Newer</span>.*Unread.*Older', body)
    assert "1 unread · 2 messages" in body
    assert not re.search(r"Older.*Unread", body)


def test_it_pages_a_long_feed_in_a_fixed_number_of_queries(
    emma: Person, employee_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(45):
        item(emma, f"Message {n}", critical=n % 10 == 0)
    client = client_as(employee_user)
    client.get("/feed/")  # warm the session
    with django_assert_max_num_queries(6):
        first = client.get("/feed/")
    assert [i.subject for i in first.context["waiting"]] == [
        f"Message {n}" for n in (40, 30, 20, 10, 0)
    ]
    assert len(first.context["page"].object_list) == 20
    assert "Page 1 of 3" in text(first)
    last = client.get("/feed/", {"page": 3})
    assert [i.subject for i in last.context["page"].object_list] == [
        f"Message {n}" for n in range(4, -1, -1)
    ]


def test_it_highlights_critical_items_until_they_are_acknowledged(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    critical = item(emma, "Fire drill", critical=True)
    client = client_as(employee_user)
    body = text(client.get("/feed/"))
    assert "1 important message asks you to confirm" in body
    assert "list-group-item-danger" in body and "Please confirm you read this" in body
    assert f'<a class="alert-link" href="/feed/{critical.pk}/">Fire drill</a>' in body
    client.post(f"/feed/{critical.pk}/acknowledge/")
    body = text(client.get("/feed/"))
    assert "important message" not in body
    assert "list-group-item-danger" not in body and "Acknowledged" in body


# --- opening and acknowledging -----------------------------------------------------------


def test_it_records_the_first_reading_on_the_item_and_its_delivery(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    channel = make_channel("intranet")
    touch = make_touch(make_campaign(), channel)
    delivery = Delivery.objects.create(
        touch=touch, person=emma, channel=channel, due_at=touch.scheduled_at, message_id="<x@y>"
    )
    feed_item = item(emma, "Welcome", delivery=delivery)
    client = client_as(employee_user)
    body = text(client.get(f"/feed/{feed_item.pk}/"))
    assert '<h1 class="h4" id="item-subject">Welcome</h1>' in body
    assert "<a href='https://x.example'>read</a>" in body or 'href="https://x.example"' in body
    feed_item.refresh_from_db()
    delivery.refresh_from_db()
    first = feed_item.read_at
    assert first is not None and delivery.opened_at is not None
    assert "I have read this" not in body
    client.get(f"/feed/{feed_item.pk}/")
    feed_item.refresh_from_db()
    assert feed_item.read_at == first


def test_it_asks_for_and_records_an_acknowledgement(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    critical = item(emma, "New safety rules", critical=True)
    client = client_as(employee_user)
    body = text(client.get(f"/feed/{critical.pk}/"))
    assert f'action="/feed/{critical.pk}/acknowledge/"' in body
    assert "I have read this" in body
    response = client.post(f"/feed/{critical.pk}/acknowledge/", follow=True)
    assert "we have recorded that you read this" in text(response)
    assert "I have read this" not in text(response)
    assert "You confirmed that you read this on" in text(response)
    critical.refresh_from_db()
    assert critical.acknowledged_at is not None and critical.read_at is not None


def test_it_does_not_acknowledge_an_ordinary_item(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    ordinary = item(emma)
    response = client_as(employee_user).post(f"/feed/{ordinary.pk}/acknowledge/")
    assert response.status_code == 302
    ordinary.refresh_from_db()
    assert ordinary.acknowledged_at is None


def test_it_only_acknowledges_with_post(emma: Person, employee_user: Any, client_as: Any) -> None:
    critical = item(emma, critical=True)
    assert client_as(employee_user).get(f"/feed/{critical.pk}/acknowledge/").status_code == 405
    critical.refresh_from_db()
    assert critical.acknowledged_at is None


# --- preferences -------------------------------------------------------------------------


def test_it_offers_every_channel_but_the_feed_and_says_mandatory_messages_still_come(
    emma: Person, employee_user: Any, client_as: Any
) -> None:
    body = text(client_as(employee_user).get("/feed/preferences/"))
    for kind in ("email", "slack", "teams", "calendar"):
        assert re.search(rf'value="{kind}"[^>]*checked', body), kind
    assert 'value="intranet"' not in body
    assert "Mandatory messages still arrive." in body
    assert "cannot be opted out of" in body


def test_it_saves_opt_outs_and_language(emma: Person, employee_user: Any, client_as: Any) -> None:
    client = client_as(employee_user)
    response = client.post(
        "/feed/preferences/", {"channels_on": ["teams", "calendar"], "language": "fy"}
    )
    assert response.status_code == 302
    preference = Preference.objects.get(person=emma)
    assert (preference.channels_off, preference.language) == (["email", "slack"], "fy")
    body = text(client.get("/feed/preferences/"))
    assert "Your preferences are saved." in body
    assert not re.search(r'value="email"[^>]*checked', body)
    assert re.search(r'value="teams"[^>]*checked', body)
    assert re.search(r'<option value="fy"[^>]*selected', body)


def test_it_names_the_language_the_directory_holds(employee_user: Any, client_as: Any) -> None:
    person(language="nl-BE")
    body = text(client_as(employee_user).get("/feed/preferences/"))
    assert '<option value="" selected>As in the directory (nl-BE)</option>' in body


def test_it_refuses_an_unknown_language(emma: Person, employee_user: Any, client_as: Any) -> None:
    response = client_as(employee_user).post("/feed/preferences/", {"language": "xx"})
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Preference.objects.exists()


# --- the signed link ---------------------------------------------------------------------


def test_it_opens_the_signed_link_without_signing_in_and_saves(client: Client) -> None:
    emma = person()
    url = signed_path(emma.pk)
    assert url.startswith("/feed/preferences/")
    page = client.get(url)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert "Preferences for Emma Visser" in text(page)
    response = client.post(url, {"channels_on": ["email"], "language": "nl"})
    assert response.status_code == 302 and response["Location"] == url
    preference = Preference.objects.get(person=emma)
    assert preference.channels_off == ["calendar", "slack", "teams"]
    assert preference.language == "nl"


@pytest.mark.parametrize("token", ["nonsense", "a" * 150, "AAAA.forged"])
def test_it_refuses_a_forged_or_broken_token(client: Client, token: str) -> None:
    person()
    assert client.get(f"/feed/preferences/{token}/").status_code == 404
    assert client.post(f"/feed/preferences/{token}/", {"language": "nl"}).status_code == 404
    assert not Preference.objects.exists()


def test_it_refuses_a_token_for_someone_who_is_gone() -> None:
    gone = person()
    url = signed_path(gone.pk)
    gone.delete()
    assert Client().get(url).status_code == 404


def test_it_keeps_csrf_protection_on_the_signed_page() -> None:
    emma = person()
    strict = Client(enforce_csrf_checks=True)
    url = signed_path(emma.pk)
    assert strict.post(url, {"language": "nl"}).status_code == 403
    page = strict.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    response = strict.post(url, {"language": "nl", "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert Preference.objects.get(person=emma).language == "nl"


# --- links that expire ----------------------------------------------------------------------


def signed_days_ago(person_id: int, days: float, monkeypatch: pytest.MonkeyPatch) -> str:
    """The signed path as a message sent ``days`` ago carried it."""
    then = time.time() - days * 86400
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: then)
        return signed_path(person_id)


def test_it_opens_a_link_from_a_message_sent_weeks_ago(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    emma = person()
    assert client.get(signed_days_ago(emma.pk, 89, monkeypatch)).status_code == 200


def test_it_explains_an_expired_link_and_offers_to_sign_in(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    emma = person()
    url = signed_days_ago(emma.pk, 91, monkeypatch)
    page = client.get(url)

    assert page.status_code == 410
    assert page["Referrer-Policy"] == "no-referrer"
    body = text(page)
    assert "This link has expired" in body
    assert "works for 90 days" in body
    assert 'href="/accounts/login/?next=%2Ffeed%2Fpreferences%2F"' in body
    assert "Emma" not in body
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE.search(body)
    assert client.post(url, {"language": "nl"}).status_code == 410
    assert not Preference.objects.filter(person=emma).exists()


def test_it_takes_the_life_of_a_link_from_the_settings(
    client: Client, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.INWARD_PREFERENCES_LINK_DAYS = 7
    emma = person()

    assert client.get(signed_days_ago(emma.pk, 6, monkeypatch)).status_code == 200
    page = client.get(signed_days_ago(emma.pk, 8, monkeypatch))
    assert page.status_code == 410
    assert "works for 7 days" in text(page)


def test_it_explains_a_broken_link_too(client: Client) -> None:
    page = client.get("/feed/preferences/AAAA.forged/")

    assert page.status_code == 404
    body = text(page)
    assert "This link does not work" in body
    assert "/accounts/login/?next=%2Ffeed%2Fpreferences%2F" in body
