"""The LMS client and unmatched-statement pages: admins only, the secret shown once."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from inward.audit.models import AuditEntry
from inward.directory.models import Person
from inward.learning.models import Offering
from inward.xapi.clients import authenticate_basic, create_client
from inward.xapi.matching import ingest_stored
from inward.xapi.models import LrsClient, Statement
from inward.xapi.tests.records import ADL, COURSE, account, mbox, statement

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inward.xapi.tests.lrs_admin_urls")]


def pages(client_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("lrs_admin:client_list")),
        ("get", reverse("lrs_admin:client_create")),
        ("post", reverse("lrs_admin:client_create")),
        ("get", reverse("lrs_admin:client_created")),
        ("post", reverse("lrs_admin:client_enabled", args=[client_pk])),
        ("get", reverse("lrs_admin:client_delete", args=[client_pk])),
        ("post", reverse("lrs_admin:client_delete", args=[client_pk])),
        ("get", reverse("lrs_admin:unmatched")),
        ("post", reverse("lrs_admin:rematch")),
    ]


@pytest.mark.parametrize("who", ["manager_user", "channel_owner_user", "employee_user"])
def test_only_admins_may_use_the_pages(who: str, request: Any, client_as: Any) -> None:
    lms, _ = create_client(name="Moodle")
    web = client_as(request.getfixturevalue(who))
    for method, url in pages(lms.pk):
        response = getattr(web, method)(url, {"name": "Evil", "enabled": "0"})
        assert response.status_code == 403, (method, url)
    lms.refresh_from_db()
    assert lms.enabled
    assert LrsClient.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    lms, _ = create_client(name="Moodle")
    for method, url in pages(lms.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_the_list_shows_each_client(
    admin_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    moodle, _ = create_client(name="Moodle", created_by=admin_user)
    create_client(name="Totara")
    for _ in range(3):
        statement(mbox("x@example.com"), client=moodle)
    web = client_as(admin_user)
    with django_assert_max_num_queries(8):
        response = web.get(reverse("lrs_admin:client_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Moodle" in html and "Totara" in html
    assert moodle.key in html
    assert "http://127.0.0.1:8000/xapi/" in html or "/xapi/" in html
    assert response.context["clients"][0].statement_count == 3
    assert response.context["unmatched_count"] == 3


def test_the_empty_list_explains_what_to_do(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).get(reverse("lrs_admin:client_list"))
    assert "No LMS clients yet" in response.content.decode()


def test_a_new_clients_secret_is_shown_once(admin_user: Any, client_as: Any, settings: Any) -> None:
    settings.INWARD_BASE_URL = "https://inward.example.com"
    web = client_as(admin_user)
    response = web.post(reverse("lrs_admin:client_create"), {"name": "Moodle"})
    assert response.status_code == 302
    assert response["Location"] == reverse("lrs_admin:client_created")
    shown = web.get(response["Location"])
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"] or "max-age=0" in shown["Cache-Control"]
    lms = LrsClient.objects.get()
    secret = shown.context["secret"]
    html = shown.content.decode()
    assert lms.key in html and secret in html
    assert "https://inward.example.com/xapi/" in html
    assert 'data-copy-target="lrs-secret"' in html
    header = "Basic " + base64.b64encode(f"{lms.key}:{secret}".encode()).decode()
    assert authenticate_basic(header) == lms
    again = web.get(reverse("lrs_admin:client_created"), follow=True)
    assert secret not in again.content.decode()
    assert "shown only once" in again.content.decode()
    assert secret not in web.get(reverse("lrs_admin:client_list")).content.decode()
    assert AuditEntry.objects.filter(action="lrs_client.create", actor=admin_user).count() == 1


def test_a_client_needs_a_name(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post(reverse("lrs_admin:client_create"), {"name": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not LrsClient.objects.exists()


def test_an_admin_disables_and_enables_a_client(admin_user: Any, client_as: Any) -> None:
    lms, _ = create_client(name="Moodle")
    web = client_as(admin_user)
    url = reverse("lrs_admin:client_enabled", args=[lms.pk])
    assert web.get(url).status_code == 405
    response = web.post(url, {"enabled": "0"}, follow=True)
    assert "is disabled" in response.content.decode()
    lms.refresh_from_db()
    assert not lms.enabled
    web.post(url, {"enabled": "1"})
    lms.refresh_from_db()
    assert lms.enabled
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["lrs_client.disable", "lrs_client.enable"]


def test_deleting_asks_first_and_keeps_the_statements(admin_user: Any, client_as: Any) -> None:
    lms, _ = create_client(name="Moodle")
    kept = statement(mbox("x@example.com"), client=lms)
    web = client_as(admin_user)
    url = reverse("lrs_admin:client_delete", args=[lms.pk])
    confirm = web.get(url)
    assert confirm.status_code == 200
    assert "1 statement it sent stays" in confirm.content.decode()
    assert LrsClient.objects.exists()
    response = web.post(url)
    assert response.status_code == 302
    assert not LrsClient.objects.exists()
    assert Statement.objects.get(pk=kept.pk).client is None
    assert AuditEntry.objects.filter(action="lrs_client.delete").count() == 1
    assert web.post(url).status_code == 404


def test_unmatched_statements_newest_first(
    admin_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    moodle, _ = create_client(name="Moodle")
    totara, _ = create_client(name="Totara")
    Person.objects.create(email="known@example.com")
    now = timezone.now()
    old = statement(mbox("stranger@example.com"), client=moodle, stored=now - dt.timedelta(days=1))
    new = statement(account("E-404"), verb=ADL + "launched", client=totara, stored=now)
    known = statement(mbox("known@example.com"), client=moodle)
    known.person = Person.objects.get()
    known.save()
    statement(mbox("voided@example.com"), client=moodle, voided=True)
    statement(mbox("voider@example.com"), verb=ADL + "voided", client=moodle)
    web = client_as(admin_user)
    with django_assert_max_num_queries(8):
        response = web.get(reverse("lrs_admin:unmatched"))
    rows = response.context["rows"]
    assert [r.statement.pk for r in rows] == [new.pk, old.pk]
    assert rows[0].actor == "E-404 @ https://lms.example.com"
    assert rows[0].verb == "launched"
    html = response.content.decode()
    assert "mailto:stranger@example.com" in html and "Totara" in html
    assert "voided@example.com" not in html and "known@example.com" not in html
    assert "voider@example.com" not in html
    filtered = web.get(reverse("lrs_admin:unmatched"), {"client": moodle.pk})
    assert [r.statement.pk for r in filtered.context["rows"]] == [old.pk]


def test_unmatched_statements_are_paged(admin_user: Any, client_as: Any) -> None:
    for i in range(55):
        statement(mbox(f"s{i}@example.com"))
    web = client_as(admin_user)
    first = web.get(reverse("lrs_admin:unmatched"))
    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = web.get(reverse("lrs_admin:unmatched"), {"page": 2})
    assert len(second.context["rows"]) == 5


def test_the_empty_unmatched_page_says_how_to_match(admin_user: Any, client_as: Any) -> None:
    html = client_as(admin_user).get(reverse("lrs_admin:unmatched")).content.decode()
    assert "Every statement is matched to a person" in html
    assert "Add the person to the directory" in html


def test_matching_again_from_the_page(admin_user: Any, client_as: Any) -> None:
    s = statement(mbox("late@example.com"), verb=ADL + "experienced")
    person = Person.objects.create(email="late@example.com")
    response = client_as(admin_user).post(
        reverse("lrs_admin:rematch"), {"missing": "person"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?missing=person&client=")
    s.refresh_from_db()
    assert s.person == person
    assert response.context["rows"] == []


def test_statements_about_activities_not_in_the_catalogue(admin_user: Any, client_as: Any) -> None:
    Person.objects.create(email="known@example.com")
    Offering.objects.create(slug="c", title="C", kind="course", activity_id=COURSE)
    elsewhere = statement(mbox("known@example.com"), obj="https://lms.example.com/other")
    statement(mbox("known@example.com"), obj=COURSE)
    ingest_stored(list(Statement.objects.all()))
    web = client_as(admin_user)
    response = web.get(reverse("lrs_admin:unmatched"), {"missing": "activity"})
    assert [r.statement.pk for r in response.context["rows"]] == [elsewhere.pk]
    assert "https://lms.example.com/other" in response.content.decode()
    assert response.context["rows"][0].actor == "mailto:known@example.com"
    assert web.get(reverse("lrs_admin:unmatched")).context["rows"] == []
    empty = web.get(reverse("lrs_admin:unmatched"), {"missing": "activity", "client": 999})
    assert "Every statement is about an offering in the catalogue" in empty.content.decode()
