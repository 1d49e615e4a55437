"""The read-only offerings API under /api/v1/offerings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from inward.accounts.services import token_create
from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.models import Persona
from inward.campaigns.tests.factories import make_campaign, make_people
from inward.learning.models import OfferingKind, OfferingPersona
from inward.learning.tests.test_views import make_offering

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client: Client) -> Any:
    def call(user: Any, path: str) -> Any:
        secret = token_create(user=user, name="test").secret
        return client.get("/api/v1/offerings" + path, HTTP_AUTHORIZATION=f"Bearer {secret}")

    return call


def test_it_lists_and_filters_offerings(as_user: Any, channel_owner_user: Any) -> None:
    make_offering("leadership-101", title="Leadership 101")
    make_offering("summit", title="Summit", kind=OfferingKind.EVENT)
    listed = as_user(channel_owner_user, "/").json()
    assert [o["slug"] for o in listed] == ["leadership-101", "summit"]
    assert listed[0]["activity_id"] == "https://lms.example.com/courses/leadership-101"
    assert [o["slug"] for o in as_user(channel_owner_user, "/?kind=event").json()] == ["summit"]
    assert [o["slug"] for o in as_user(channel_owner_user, "/?query=LEAD").json()] == [
        "leadership-101"
    ]


def test_it_shows_one_offering_with_small_counts_hidden(
    as_user: Any, manager_user: Any, admin_user: Any
) -> None:
    offering = make_offering()
    persona = Persona.objects.create(name="Nina")
    OfferingPersona.objects.create(offering=offering, persona=persona, wiifm="Lead with ease")
    make_campaign(slug="leaders", offering=offering)
    for person in make_people(6):
        EngagementEvent.objects.create(
            person=person,
            kind=EventKind.ENROLLED,
            source=EventSource.XAPI,
            occurred_at=timezone.now(),
            offering=offering,
        )
    body = as_user(manager_user, "/leadership-101").json()
    assert body["personas"] == [{"persona": "Nina", "wiifm": "Lead with ease"}]
    assert body["campaigns"] == ["leaders"]
    assert body["learners"] == {"enrolled": 6, "completed": 0, "min_group_size": 5}
    EngagementEvent.objects.filter(kind=EventKind.ENROLLED).update(kind=EventKind.COMPLETED)
    EngagementEvent.objects.filter(pk__in=EngagementEvent.objects.values("pk")[:3]).delete()
    assert as_user(manager_user, "/leadership-101").json()["learners"]["completed"] is None
    assert as_user(admin_user, "/leadership-101").json()["learners"]["completed"] == 3


def test_it_refuses_employees_and_answers_404_for_unknown_slugs(
    as_user: Any, employee_user: Any, manager_user: Any
) -> None:
    make_offering()
    refused = as_user(employee_user, "/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert as_user(employee_user, "/leadership-101").status_code == 403
    assert as_user(manager_user, "/nope").status_code == 404
