"""What a person sees of themselves beyond the event stream: the messages written for
them (sent, suppressed or waiting), the learning records an LMS sent about them, and all of
it as one JSON download; and that nobody but the person and admins gets any of it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.analytics.tests.ingest_fixtures import deliver
from inward.analytics.tests.worlds import World, results_world, stored_statement
from inward.delivery.models import Delivery, DeliveryStatus, SuppressReason
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return results_world()


@pytest.fixture
def emma(db: None) -> Person:
    """The directory record of ``employee_user`` (same e-mail)."""
    return Person.objects.create(email="emma@example.com", first_name="Emma", last_name="Employee")


def _deliver(world: World, person: Person, generation: int) -> Delivery:
    """One more message of the world's touch for ``person`` (a later calendar generation:
    the outbox holds one row per touch, person, channel and generation)."""
    return Delivery.objects.create(
        touch=world.touch,
        person=person,
        channel=world.touch.channel,
        generation=generation,
        status=DeliveryStatus.SENT,
        due_at=timezone.now(),
        sent_at=timezone.now(),
        message_id=f"<record.{person.pk}.{generation}@example.com>",
    )


def test_an_employee_sees_the_messages_written_for_them(
    client_as: Any, employee_user: Any, world: World, emma: Person
) -> None:
    sent = deliver(world.touch, emma, at=timezone.now() - dt.timedelta(hours=2))
    Delivery.objects.filter(pk=sent.pk).update(opened_at=timezone.now())
    capped = _deliver(world, emma, 1)
    Delivery.objects.filter(pk=capped.pk).update(
        status=DeliveryStatus.SUPPRESSED, suppressed_reason=SuppressReason.FREQUENCY_CAP
    )
    _deliver(world, world.sales[0], 7)  # someone else's

    html = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "2 messages written for you, sent or not" in html
    assert "Suppressed: Weekly contact limit reached" in html
    assert html.count("<td>Welcome") == 2 and "Company e-mail" in html


def test_an_employee_sees_the_learning_records_about_them_as_stored(
    client_as: Any, employee_user: Any, emma: Person
) -> None:
    stored_statement(emma, "Coaching <script>alert(1)</script>")
    stored_statement(emma, "Old course", voided=True)
    stored_statement(None, "Someone else's course")

    html = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "2 records sent by learning systems" in html
    assert "completed: Coaching &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "withdrawn by the learning system" in html
    assert "Someone else" not in html
    # The statement itself, as JSON, behind "Show".
    assert "&quot;https://lms.example.com/course/7&quot;" in html
    assert "Moodle" in html


def test_the_empty_sections_say_there_is_nothing(
    client_as: Any, employee_user: Any, emma: Person
) -> None:
    html = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "No message has been written for you yet." in html
    assert "No learning system has sent a record about you." in html
    assert "this person" not in html


def test_the_admins_view_speaks_of_the_person_not_to_them(
    client_as: Any, admin_user: Any, emma: Person
) -> None:
    html = client_as(admin_user).get(f"/analytics/people/{emma.pk}/").content.decode()
    assert "No message has been written for this person." in html
    assert "you got" not in html and "about you" not in html


def test_each_list_pages_on_its_own_and_keeps_the_others_place(
    client_as: Any, employee_user: Any, world: World, emma: Person
) -> None:
    for generation in range(55):
        _deliver(world, emma, generation)
    for _ in range(105):
        EngagementEvent.objects.create(
            occurred_at=timezone.now(), kind=EventKind.OPENED, source=EventSource.PIXEL, person=emma
        )
    client = client_as(employee_user)
    html = client.get("/analytics/me/", {"page": 2}).content.decode()
    assert 'href="?page=2&amp;messages=2#messages-heading"' in html
    second = client.get("/analytics/me/", {"page": 2, "messages": 2})
    assert second.context["deliveries"].number == 2
    assert second.context["events"].number == 2
    assert len(second.context["deliveries"].object_list) == 5


def test_the_download_holds_everything_about_the_person_and_nobody_else(
    client_as: Any, employee_user: Any, world: World, emma: Person
) -> None:
    deliver(world.touch, emma, at=timezone.now())
    _deliver(world, world.sales[0], 7)
    EngagementEvent.objects.create(
        occurred_at=timezone.now(), kind=EventKind.OPENED, source=EventSource.PIXEL, person=emma
    )
    stored_statement(emma, "Coaching skills")
    stored_statement(world.sales[0], "Not hers")

    response = client_as(employee_user).get("/analytics/me/data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="inward-data-')
    assert "no-store" in response["Cache-Control"]
    record = json.loads(response.content)
    assert record["person"]["email"] == "emma@example.com"
    assert [m["touch"] for m in record["messages"]] == ["Welcome"]
    assert [e["kind"] for e in record["events"]] == ["opened"]
    [learning] = record["learning_records"]
    assert learning["statement"]["object"]["definition"]["name"]["en-US"] == "Coaching skills"
    assert learning["lms"] == "Moodle"
    assert "Not hers" not in response.content.decode()


def test_an_admin_downloads_anyones_record_and_nobody_else_does(
    request: pytest.FixtureRequest, client_as: Any, admin_user: Any, world: World
) -> None:
    person = world.sales[0]
    url = f"/analytics/people/{person.pk}/data.json"
    record = json.loads(client_as(admin_user).get(url).content)
    assert record["person"]["id"] == person.pk
    assert {c["model"] for c in record["credited_to_campaigns"]} <= {"first", "last", "linear"}
    for persona in ("manager_user", "channel_owner_user", "employee_user"):
        user = request.getfixturevalue(persona)
        assert client_as(user).get(url).status_code == 403


def test_without_a_directory_record_there_is_nothing_to_download(
    client_as: Any, employee_user: Any, db: None
) -> None:
    assert client_as(employee_user).get("/analytics/me/data.json").status_code == 404
    signed_out = Client().get("/analytics/me/data.json")
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]


def test_both_pages_link_to_their_download(
    client_as: Any, employee_user: Any, admin_user: Any, emma: Person
) -> None:
    mine = client_as(employee_user).get("/analytics/me/").content.decode()
    assert 'href="/analytics/me/data.json" download' in mine
    theirs = client_as(admin_user).get(f"/analytics/people/{emma.pk}/").content.decode()
    assert f'href="/analytics/people/{emma.pk}/data.json" download' in theirs
