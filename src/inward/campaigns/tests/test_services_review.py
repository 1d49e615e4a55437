"""Review after approval: what sends a campaign back to its channel owners, what a
running campaign refuses, and approvals that name the version they were given for."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from inward.accounts.models import User
from inward.audiences.models import Persona
from inward.audit.models import AuditEntry
from inward.campaigns import services
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus, Touch
from inward.campaigns.selectors import touch_version
from inward.campaigns.tests.briefs import ready_campaign
from inward.campaigns.tests.factories import make_audience, make_channel, make_touch

pytestmark = pytest.mark.django_db


def actions(campaign: Campaign) -> list[str]:
    entries = AuditEntry.objects.filter(target_type="campaigns.campaign", target_id=campaign.pk)
    return list(entries.order_by("id").values_list("action", flat=True))


def approved_journey(status: str = CampaignStatus.APPROVED) -> tuple[Campaign, list[Touch]]:
    campaign = ready_campaign(status=status)
    channel = make_channel()
    return campaign, [make_touch(campaign, channel), make_touch(campaign, channel)]


def approvals(campaign: Campaign) -> set[str]:
    return set(campaign.touches.values_list("approval_status", flat=True))


CHANGES: list[tuple[str, Any]] = [
    ("name", lambda: "A new name in every subject"),
    ("audience", make_audience),
    ("exclusions", lambda: [make_audience()]),
    ("starts_at", lambda: timezone.now() + dt.timedelta(days=1)),
    ("ends_at", lambda: timezone.now() + dt.timedelta(days=60)),
    ("time_zone", lambda: "America/New_York"),
]


@pytest.mark.parametrize("status", [CampaignStatus.APPROVED, CampaignStatus.SCHEDULED])
@pytest.mark.parametrize(("field", "value"), CHANGES, ids=[c[0] for c in CHANGES])
def test_it_sends_a_campaign_change_after_approval_back_to_review(
    manager_user: Any, status: str, field: str, value: Any
) -> None:
    campaign, _touches = approved_journey(status)
    changed = services.campaign_update(actor=manager_user, campaign=campaign, **{field: value()})
    assert changed == [field]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert approvals(campaign) == {ApprovalStatus.PENDING}
    assert actions(campaign) == [
        "campaign.update", "touch.reopen", "touch.reopen", "campaign.back_to_review",
    ]  # fmt: skip


def test_it_keeps_approval_when_only_the_brief_text_changes(manager_user: Any) -> None:
    campaign, _touches = approved_journey()
    services.campaign_update(actor=manager_user, campaign=campaign, goal_target="90%")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    assert approvals(campaign) == {ApprovalStatus.APPROVED}


def test_it_asks_again_for_touches_approved_while_in_review(manager_user: Any) -> None:
    campaign, (first, _second) = approved_journey(CampaignStatus.IN_REVIEW)
    Touch.objects.filter(pk=_second.pk).update(approval_status=ApprovalStatus.PENDING)
    services.campaign_update(actor=manager_user, campaign=campaign, name="Renamed")
    first.refresh_from_db()
    assert first.approval_status == ApprovalStatus.PENDING
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW


def test_it_sends_a_changed_or_removed_wiifm_back_to_review(manager_user: Any) -> None:
    campaign, _touches = approved_journey(CampaignStatus.SCHEDULED)
    persona = Persona.objects.get(name="Seller Sam")
    assert services.campaign_persona_set(
        actor=manager_user, campaign=campaign, persona=persona, wiifm="Fewer admin hours"
    )
    campaign.refresh_from_db()
    assert (campaign.status, approvals(campaign)) == (
        CampaignStatus.IN_REVIEW,
        {ApprovalStatus.PENDING},
    )
    campaign.touches.update(approval_status=ApprovalStatus.APPROVED)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.APPROVED)
    campaign.refresh_from_db()
    services.campaign_persona_remove(actor=manager_user, campaign=campaign, persona=persona)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_it_refuses_changes_to_what_a_running_campaign_sends(manager_user: Any) -> None:
    campaign, _touches = approved_journey(CampaignStatus.RUNNING)
    persona = Persona.objects.get(name="Seller Sam")
    with pytest.raises(CampaignError) as caught:
        services.campaign_update(actor=manager_user, campaign=campaign, name="Renamed")
    assert caught.value.code == "not_editable"
    assert "running" in caught.value.message and "name" in caught.value.message
    with pytest.raises(CampaignError):
        services.campaign_update(
            actor=manager_user, campaign=campaign, exclusions=[make_audience()]
        )
    with pytest.raises(CampaignError):
        services.campaign_persona_set(
            actor=manager_user, campaign=campaign, persona=persona, wiifm="Other"
        )
    with pytest.raises(CampaignError):
        services.campaign_persona_remove(actor=manager_user, campaign=campaign, persona=persona)
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) != ("Renamed", CampaignStatus.IN_REVIEW)
    # The brief is the planners' own notes: it may still grow while the campaign runs.
    assert services.campaign_update(actor=manager_user, campaign=campaign, goal_target="90%")


def test_it_changes_nothing_when_a_running_or_completed_campaign_gets_the_same_values(
    manager_user: Any,
) -> None:
    for status in (CampaignStatus.RUNNING, CampaignStatus.COMPLETED):
        campaign, _touches = approved_journey(status)
        persona = Persona.objects.get(name="Seller Sam")
        same = {"name": campaign.name, "audience": campaign.audience, "exclusions": []}
        assert services.campaign_update(actor=manager_user, campaign=campaign, **same) == []
        assert not services.campaign_persona_set(
            actor=manager_user, campaign=campaign, persona=persona, wiifm="More deals"
        )
        assert actions(campaign) == []


def test_it_sends_a_removed_touch_of_an_approved_campaign_back_to_review(
    manager_user: Any,
) -> None:
    campaign, (first, second) = approved_journey()
    services.touch_delete(actor=manager_user, touch=first)
    campaign.refresh_from_db()
    second.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert second.approval_status == ApprovalStatus.PENDING


def test_it_sends_a_reordered_scheduled_journey_back_to_review(manager_user: Any) -> None:
    campaign, (first, second) = approved_journey(CampaignStatus.SCHEDULED)
    services.touches_reorder(actor=manager_user, campaign=campaign, order=[first.pk, second.pk])
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
    assert actions(campaign) == []  # the same order: nothing to review
    services.touches_reorder(actor=manager_user, campaign=campaign, order=[second.pk, first.pk])
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert approvals(campaign) == {ApprovalStatus.PENDING}


def in_review(owner: User) -> Touch:
    campaign = ready_campaign(status=CampaignStatus.IN_REVIEW)
    channel = make_channel()
    channel.owners.add(owner)
    return make_touch(campaign, channel, approved=False)


def test_it_refuses_an_approval_of_words_that_changed_since_they_were_shown(
    manager_user: Any, channel_owner_user: Any
) -> None:
    touch = in_review(channel_owner_user)
    shown = touch_version(touch)
    services.variant_save(
        actor=manager_user, touch=touch, language="", persona=None,
        subject="Hello", body="Words the owner never saw.",
    )  # fmt: skip
    for decide in (services.touch_approve, services.touch_request_changes):
        with pytest.raises(CampaignError) as caught:
            decide(actor=channel_owner_user, touch=touch, comment="Fine", version=shown)
        assert caught.value.code == "stale"
        assert caught.value.message == "This touch changed after you opened it; review it again."
    touch.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.PENDING
    services.touch_approve(actor=channel_owner_user, touch=touch, version=touch_version(touch))
    assert Campaign.objects.get(pk=touch.campaign_id).status == CampaignStatus.APPROVED


def test_it_refuses_an_approval_after_the_campaign_around_the_words_changed(
    manager_user: Any, channel_owner_user: Any
) -> None:
    touch = in_review(channel_owner_user)
    shown = touch_version(touch)
    services.campaign_update(actor=manager_user, campaign=touch.campaign, name="Another name")
    with pytest.raises(CampaignError) as caught:
        services.touch_approve(actor=channel_owner_user, touch=touch, version=shown)
    assert caught.value.code == "stale"


def test_it_gives_the_same_version_until_something_changes(channel_owner_user: Any) -> None:
    touch = in_review(channel_owner_user)
    assert touch_version(touch) == touch_version(Touch.objects.get(pk=touch.pk))


@pytest.mark.django_db(transaction=True)
def test_it_approves_the_campaign_when_two_owners_approve_the_last_touches_at_once(
    admin_user: Any, channel_owner_user: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    second_owner = User.objects.create_user(username="olga", password="x", role="channel_owner")
    campaign = ready_campaign(status=CampaignStatus.IN_REVIEW)
    touches = []
    for owner in (channel_owner_user, second_owner):
        channel = make_channel()
        channel.owners.add(owner)
        touches.append((owner, make_touch(campaign, channel, approved=False)))
    errors: list[BaseException] = []

    def approve(owner: User, touch: Touch) -> None:
        try:
            services.touch_approve(actor=owner, touch=touch, version=touch_version(touch))
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connections.close_all()

    # Hold both owners' rows: each approval then stops at its comment (whose author row
    # it must share-lock) until both have gone as far as they can, and both go on at once.
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk__in=[o.pk for o, _t in touches]))
        threads = [threading.Thread(target=approve, args=pair) for pair in touches]
        for thread in threads:
            thread.start()
        _wait_for_lock_waits(2)
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED


def _wait_for_lock_waits(count: int) -> None:
    # Two threads must connect and get as far as the lock: on a busy CI machine that can
    # take more than a few seconds, so the wait is long (it ends as soon as both wait).
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is read once and kept: read it anew.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            if row is not None and row[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError("the approvals never both waited")


def test_it_does_not_start_a_campaign_sent_back_to_review_meanwhile(manager_user: Any) -> None:
    campaign, _touches = approved_journey(CampaignStatus.SCHEDULED)
    seen_by_scheduler = Campaign.objects.get(pk=campaign.pk)
    services.campaign_update(actor=manager_user, campaign=campaign, name="Renamed")
    with pytest.raises(CampaignError) as caught:
        services.campaign_mark_running(campaign=seen_by_scheduler)
    assert caught.value.code == "transition"
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.IN_REVIEW
