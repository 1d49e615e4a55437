from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from inward.accounts.services import token_create
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus
from inward.campaigns.tests.briefs import ready_campaign
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.models import Delivery

pytestmark = pytest.mark.django_db
BASE = "/api/v1/campaigns"


@pytest.fixture
def as_user(client: Any) -> Any:
    def call(user: Any, method: str, path: str, body: Any = None) -> Any:
        secret = token_create(user=user, name="test").secret
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)(BASE + path, **kwargs)

    return call


def test_it_lets_readers_list_and_read_but_not_employees(
    as_user: Any, channel_owner_user: Any, employee_user: Any
) -> None:
    campaign = make_campaign(name="Spring")
    make_touch(campaign, make_channel())
    listed = as_user(channel_owner_user, "get", "/")
    assert [c["name"] for c in listed.json()] == ["Spring"]
    detail = as_user(channel_owner_user, "get", f"/{campaign.slug}").json()
    assert len(detail["touches"]) == 1
    assert "Goal metric" in detail["brief_missing"]
    refused = as_user(employee_user, "get", "/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert as_user(channel_owner_user, "get", "/nope").status_code == 404


def test_it_creates_and_updates_a_campaign(as_user: Any, manager_user: Any) -> None:
    make_audience(slug="sales")
    created = as_user(
        manager_user, "post", "/",
        {"slug": "spring", "name": "Spring", "owner_team": "comms", "purpose": "inform",
         "audience": "sales", "goal_metric": "Reads"},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert (created.json()["audience"], created.json()["goal_metric"]) == ("sales", "Reads")
    updated = as_user(manager_user, "patch", "/spring", {"name": "Spring 2"})
    assert updated.json()["name"] == "Spring 2"
    assert updated.json()["goal_metric"] == "Reads"
    taken = as_user(
        manager_user, "post", "/",
        {"slug": "spring", "name": "X", "owner_team": "comms", "purpose": "inform"},
    )  # fmt: skip
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slug_taken")


def test_it_refuses_planning_to_channel_owners(as_user: Any, channel_owner_user: Any) -> None:
    response = as_user(
        channel_owner_user, "post", "/",
        {"slug": "x", "name": "X", "owner_team": "comms", "purpose": "inform"},
    )  # fmt: skip
    assert response.status_code == 403


def test_it_adds_a_touch_with_words_and_reports_template_problems(
    as_user: Any, manager_user: Any
) -> None:
    campaign = make_campaign()
    make_channel(slug="mail")
    added = as_user(
        manager_user, "post", f"/{campaign.slug}/touches",
        {"name": "Hello", "channel": "mail", "send_at": "2031-01-01T09:00:00Z",
         "subject": "Hi {{ person.first_name }}", "body": "Welcome"},
    )  # fmt: skip
    assert added.status_code == 201, added.json()
    touch_id = added.json()["id"]
    assert added.json()["variants"][0]["subject"] == "Hi {{ person.first_name }}"
    bad = as_user(
        manager_user, "put", f"/{campaign.slug}/touches/{touch_id}/variants",
        {"language": "nl", "subject": "Hoi", "body": "{{ person.secret }}"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "template"
    assert bad.json()["error"]["details"] == [{"field": "body", "line": 1}]
    unknown = as_user(
        manager_user, "post", f"/{campaign.slug}/touches", {"name": "X", "channel": "nope"}
    )
    assert unknown.json()["error"]["code"] == "unknown_channel"


def test_it_runs_review_approval_launch_and_cancel(
    as_user: Any, manager_user: Any, channel_owner_user: Any, admin_user: Any
) -> None:
    campaign = ready_campaign()
    channel = make_channel()
    channel.owners.add(channel_owner_user)
    touch = make_touch(campaign, channel, approved=False)
    path = f"/{campaign.slug}"
    early = as_user(manager_user, "post", f"{path}/launch")
    assert (early.status_code, early.json()["error"]["code"]) == (409, "transition")
    assert as_user(manager_user, "post", f"{path}/submit").json()["status"] == "in_review"
    not_owner = as_user(
        manager_user, "post", f"{path}/touches/{touch.pk}/approve", {"version": "any"}
    )
    assert not_owner.status_code == 403
    version = as_user(channel_owner_user, "get", path).json()["touches"][0]["version"]
    approved = as_user(
        channel_owner_user, "post", f"{path}/touches/{touch.pk}/approve",
        {"comment": "ok", "version": version},
    )  # fmt: skip
    assert approved.json()["approval_status"] == ApprovalStatus.APPROVED
    assert as_user(manager_user, "post", f"{path}/launch").json()["status"] == "scheduled"
    status = as_user(channel_owner_user, "get", f"{path}/status").json()
    assert status["status"] == "scheduled" and status["deliveries"]["pending"] == 0
    assert as_user(manager_user, "post", f"{path}/cancel").json()["status"] == "cancelled"
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CANCELLED


def test_it_takes_a_comment_when_changes_are_requested(
    as_user: Any, admin_user: Any, manager_user: Any
) -> None:
    campaign = ready_campaign(status=CampaignStatus.IN_REVIEW)
    touch = make_touch(campaign, make_channel(), approved=False)
    path = f"/{campaign.slug}/touches/{touch.pk}/request-changes"
    empty = as_user(admin_user, "post", path, {"comment": ""})
    assert (empty.status_code, empty.json()["error"]["code"]) == (400, "comment_missing")
    done = as_user(admin_user, "post", path, {"comment": "Shorter, please"})
    assert done.json()["approval_status"] == ApprovalStatus.CHANGES_REQUESTED


def test_it_edits_and_deletes_touches(as_user: Any, manager_user: Any) -> None:
    campaign = make_campaign()
    touch = make_touch(campaign, make_channel(), approved=False)
    path = f"/{campaign.slug}/touches/{touch.pk}"
    assert as_user(manager_user, "patch", path, {"mandatory": True}).json()["mandatory"] is True
    assert as_user(manager_user, "delete", path).status_code == 204
    assert as_user(manager_user, "patch", path, {"mandatory": True}).status_code == 404


def test_it_lists_many_campaigns_in_a_few_queries(
    as_user: Any, manager_user: Any, django_assert_max_num_queries: Any
) -> None:
    audience = make_audience()
    for _ in range(20):
        make_campaign(audience=audience)
    token_create(user=manager_user, name="warm-up")
    with django_assert_max_num_queries(6):
        response = as_user(manager_user, "get", "/")
    assert len(response.json()) == 20


def test_it_needs_the_version_the_approver_read_and_refuses_a_stale_one(
    as_user: Any, manager_user: Any, channel_owner_user: Any
) -> None:
    campaign = ready_campaign(status=CampaignStatus.IN_REVIEW)
    channel = make_channel()
    channel.owners.add(channel_owner_user)
    touch = make_touch(campaign, channel, approved=False)
    path = f"/{campaign.slug}/touches/{touch.pk}"
    read = as_user(channel_owner_user, "get", f"/{campaign.slug}").json()["touches"][0]["version"]
    missing = as_user(channel_owner_user, "post", f"{path}/approve", {"comment": "ok"})
    assert missing.status_code == 422
    changed = as_user(
        manager_user, "put", f"{path}/variants", {"subject": "Hi", "body": "New words."}
    )
    assert changed.status_code == 200, changed.json()
    stale = as_user(channel_owner_user, "post", f"{path}/approve", {"version": read})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "stale")
    assert "changed after you opened it" in stale.json()["error"]["message"]
    fresh = as_user(channel_owner_user, "get", f"/{campaign.slug}").json()["touches"][0]["version"]
    assert fresh != read
    done = as_user(channel_owner_user, "post", f"{path}/approve", {"version": fresh})
    assert done.json()["approval_status"] == ApprovalStatus.APPROVED


def test_it_hides_small_delivery_counts_in_the_status_from_all_but_admins(
    as_user: Any, manager_user: Any, admin_user: Any, settings: Any
) -> None:
    settings.INWARD_MIN_GROUP_SIZE = 5
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    channel = make_channel()
    touch = make_touch(campaign, channel)
    statuses = ["sent"] * 6 + ["suppressed"]
    for n, (person, status) in enumerate(zip(make_people(7), statuses, strict=True)):
        Delivery.objects.create(
            touch=touch, channel=channel, person=person, due_at=timezone.now(), status=status,
            message_id=f"<{n}@example.com>",
        )  # fmt: skip
    seen = as_user(manager_user, "get", f"/{campaign.slug}/status").json()
    assert seen["deliveries"]["suppressed"] is None  # one opt-out: who, in a small team?
    assert seen["deliveries"]["sent"] is None  # 6 of a known 7 would give it away
    assert seen["deliveries"]["failed"] == 0
    assert (seen["suppressed_small_groups"], seen["min_group_size"]) == (True, 5)
    exact = as_user(admin_user, "get", f"/{campaign.slug}/status").json()
    assert exact["deliveries"]["suppressed"] == 1
    assert (exact["suppressed_small_groups"], exact["min_group_size"]) == (False, 1)
