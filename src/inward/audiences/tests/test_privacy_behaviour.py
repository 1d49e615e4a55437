"""Who sees the people a behavioural rule picks: admins everything; managers and channel
owners no sample, no per-person explanation and no count under the minimum group size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inward.accounts.services import token_create
from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.models import Audience
from inward.campaigns.tests.factories import make_campaign, make_channel, make_touch
from inward.directory.models import Department, Person
from inward.learning.models import Offering, OfferingKind

pytestmark = pytest.mark.django_db
NON_ADMINS = ["manager_user", "channel_owner_user"]
HIDDEN = '<p class="count-big mb-0">fewer than 5</p>'


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def enrolled() -> list[Person]:
    """Ten people in Sales (first by id: Outside0), three of whom enrolled in the course;
    saved audiences "enrolled" (behaviour), "via" (in_audience of it) and "sales" (not)."""
    sales = Department.objects.create(name="Sales", path="Sales")
    course = Offering.objects.create(
        slug="leadership-101",
        title="Leadership",
        kind=OfferingKind.COURSE,
        activity_id="https://lms.example.com/courses/leadership-101",
    )
    outside = [
        Person.objects.create(email=f"outside{n}@example.com", first_name=f"Outside{n}",
                              department=sales)
        for n in range(7)
    ]  # fmt: skip
    inside = [
        Person.objects.create(email=f"keen{n}@example.com", first_name=f"Keen{n}", department=sales)
        for n in range(3)
    ]
    for person in inside:
        EngagementEvent.objects.create(
            person=person, kind=EventKind.ENROLLED, source=EventSource.MANUAL,
            offering=course, occurred_at=timezone.now(),
        )  # fmt: skip
    Audience.objects.create(slug="enrolled", name="Enrolled", rule='enrolled("leadership-101")')
    Audience.objects.create(slug="via", name="Via", rule='in_audience("enrolled")')
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    assert outside
    return inside


@pytest.mark.parametrize("who", NON_ADMINS)
@pytest.mark.parametrize("slug", ["enrolled", "via"])
def test_a_non_admin_sees_no_members_explanation_or_small_count_of_a_behaviour_rule(
    client_as: Any, request: pytest.FixtureRequest, enrolled: list[Person], who: str, slug: str
) -> None:
    page = client_as(request.getfixturevalue(who))
    detail = text(page.get(f"/audiences/{slug}/?email=keen0@example.com"))
    assert HIDDEN in detail
    assert '<p class="count-big mb-0">3</p>' not in detail
    assert "Keen0" not in detail and "is in this audience" not in detail
    assert "Only admins can ask this" in detail
    listing = text(page.get("/audiences/"))
    assert "fewer than 5" in listing


def test_an_admin_sees_all_of_a_behaviour_rule(
    client_as: Any, admin_user: Any, enrolled: list[Person]
) -> None:
    detail = text(client_as(admin_user).get("/audiences/enrolled/?email=keen0@example.com"))
    assert '<p class="count-big mb-0">3</p>' in detail
    assert "Keen0" in detail and "is in this audience" in detail
    assert HIDDEN not in detail


def test_a_rule_without_behaviour_is_shown_as_before(
    client_as: Any, manager_user: Any, enrolled: list[Person]
) -> None:
    Audience.objects.create(slug="keen", name="Keen", rule='email = "keen0@example.com"')
    detail = text(client_as(manager_user).get("/audiences/keen/?email=keen0@example.com"))
    assert '<p class="count-big mb-0">1</p>' in detail
    assert "Keen0" in detail and "is in this audience" in detail
    assert HIDDEN not in detail


def test_the_live_count_hides_a_small_behaviour_count_even_zero(
    client_as: Any, manager_user: Any, admin_user: Any, enrolled: list[Person]
) -> None:
    # "0" next to "fewer than 5" would tell whether outside0 enrolled.
    for rule in (
        'enrolled("leadership-101")',
        'enrolled("leadership-101") and first_name = "Outside0"',
    ):
        shown = text(client_as(manager_user).post("/audiences/count/", {"rule": rule}))
        assert "fewer than 5" in shown
    exact = text(client_as(admin_user).post("/audiences/count/", {"rule": enrolled_rule()}))
    assert '<span class="count-big">3</span>' in exact
    plain = text(client_as(manager_user).post("/audiences/count/", {"rule": 'first_name = "X"'}))
    assert '<span class="count-big">0</span>' in plain


def enrolled_rule() -> str:
    return 'enrolled("leadership-101")'


def test_a_large_enough_behaviour_count_is_shown_without_members(
    client_as: Any, manager_user: Any, enrolled: list[Person]
) -> None:
    Audience.objects.create(slug="not-enrolled", name="Not", rule='not enrolled("leadership-101")')
    detail = text(client_as(manager_user).get("/audiences/not-enrolled/"))
    assert '<p class="count-big mb-0">7</p>' in detail
    assert "Outside0" not in detail
    assert "Not shown: this rule picks people by what they did" in detail


def api(client: Any, user: Any, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {
        "HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='t').secret}"
    }
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method)(f"/api/v1/audiences{path}", **kwargs)


def test_the_api_hides_small_counts_and_explanations_of_behaviour_rules_from_non_admins(
    client: Any, manager_user: Any, admin_user: Any, enrolled: list[Person]
) -> None:
    got = api(client, manager_user, "get", "/enrolled").json()
    assert (got["count"], got["fewer_than"]) == (None, 5)
    listed = {a["slug"]: a for a in api(client, manager_user, "get", "/").json()}
    assert (listed["via"]["count"], listed["via"]["fewer_than"]) == (None, 5)
    assert (listed["sales"]["count"], listed["sales"]["fewer_than"]) == (10, None)
    counted = api(client, manager_user, "post", "/count", {"rule": enrolled_rule()}).json()
    assert counted == {"count": None, "fewer_than": 5}
    refused = api(client, manager_user, "get", "/enrolled/explain?email=keen0@example.com")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "behaviour_private")
    assert api(client, admin_user, "get", "/enrolled").json()["count"] == 3
    explained = api(client, admin_user, "get", "/enrolled/explain?email=keen0@example.com")
    assert explained.status_code == 200 and explained.json()["matched"]
    plain = api(client, manager_user, "get", "/sales/explain?email=keen0@example.com")
    assert plain.status_code == 200


def test_the_message_preview_does_not_pick_a_member_of_a_behaviour_audience_for_non_admins(
    client_as: Any, manager_user: Any, admin_user: Any, enrolled: list[Person]
) -> None:
    campaign = make_campaign(audience=Audience.objects.get(slug="enrolled"))
    touch = make_touch(campaign, make_channel())
    url = f"/campaigns/{campaign.slug}/touches/{touch.pk}/preview/"
    body = {"subject": "Hi {{ person.first_name }}", "body": "B"}
    assert "Hi Outside0" in text(client_as(manager_user).post(url, body))  # anyone, not a member
    assert "Hi Keen0" in text(client_as(admin_user).post(url, body))


def test_the_list_looks_up_named_audiences_once_whatever_the_number_of_rows(
    client_as: Any, manager_user: Any, db: None
) -> None:
    Audience.objects.create(slug="base", name="Base", rule='department = "Sales"')

    def queries_for_list(rows: int) -> int:
        for n in range(Audience.objects.count() - 1, rows):
            Audience.objects.create(
                slug=f"named-{n}", name=f"Named {n}", rule='in_audience("base")'
            )
        client = client_as(manager_user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audiences/").status_code == 200
        return len(captured)

    assert queries_for_list(2) == queries_for_list(12)
