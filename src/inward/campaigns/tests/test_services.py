from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from inward.audit.models import AuditEntry
from inward.campaigns import services
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import (
    ApprovalComment,
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Condition,
    Timing,
    Touch,
    Variant,
)
from inward.campaigns.states import TRANSITIONS
from inward.campaigns.tests.briefs import ready_campaign
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import ChannelKind, Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def actions(campaign: Campaign) -> list[str]:
    entries = AuditEntry.objects.filter(target_type="campaigns.campaign", target_id=campaign.pk)
    return list(entries.order_by("id").values_list("action", flat=True))


def in_review(channel_owner: Any = None, **fields: Any) -> tuple[Campaign, Touch]:
    channel = make_channel()
    if channel_owner is not None:
        channel.owners.add(channel_owner)
    campaign = ready_campaign(**fields)
    touch = make_touch(campaign, channel, approved=False)
    services.campaign_submit(actor=None, campaign=campaign)
    return campaign, touch


def test_it_creates_a_draft_and_audits_it(manager_user: Any) -> None:
    campaign = services.campaign_create(
        actor=manager_user, slug="spring", name="Spring", owner_team="comms", purpose="inform"
    )
    assert (campaign.status, campaign.created_by) == (CampaignStatus.DRAFT, manager_user)
    assert actions(campaign) == ["campaign.create"]


def test_it_refuses_a_taken_slug_and_an_unknown_time_zone(manager_user: Any) -> None:
    make_campaign(slug="taken")
    with pytest.raises(CampaignError) as caught:
        services.campaign_create(
            actor=manager_user, slug="taken", name="X", owner_team="comms", purpose="inform"
        )
    assert caught.value.code == "slug_taken"
    with pytest.raises(CampaignError) as caught:
        services.campaign_create(
            actor=manager_user, slug="new", name="X", owner_team="comms", purpose="inform",
            time_zone="Mars/Olympus",
        )  # fmt: skip
    assert caught.value.code == "time_zone"


def test_it_lets_only_planners_create_campaigns(channel_owner_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            actor=channel_owner_user, slug="x", name="X", owner_team="comms", purpose="inform"
        )


def test_it_updates_only_what_changed_and_audits_it(manager_user: Any) -> None:
    campaign = make_campaign()
    assert services.campaign_update(actor=manager_user, campaign=campaign, name=campaign.name) == []
    assert services.campaign_update(actor=manager_user, campaign=campaign, name="New") == ["name"]
    assert actions(campaign) == ["campaign.update"]


def test_it_lists_what_the_brief_misses() -> None:
    campaign = make_campaign()
    missing = services.campaign_brief_missing(campaign)
    assert "Goal metric" in missing
    assert "What's in it for at least one persona" in missing
    assert services.campaign_brief_missing(ready_campaign()) == []


def test_it_refuses_to_submit_an_incomplete_campaign() -> None:
    campaign = make_campaign()
    with pytest.raises(CampaignError) as caught:
        services.campaign_submit(actor=None, campaign=campaign)
    assert caught.value.code == "incomplete"
    assert "Goal metric" in caught.value.message
    assert "Add at least one touch" in caught.value.message


def test_it_refuses_to_submit_a_touch_without_a_fallback_variant() -> None:
    campaign = ready_campaign()
    touch = make_touch(campaign, make_channel(), approved=False)
    Variant.objects.filter(touch=touch).update(language="nl")
    with pytest.raises(CampaignError, match="needs a fallback message"):
        services.campaign_submit(actor=None, campaign=campaign)


def test_it_approves_the_campaign_when_its_channel_owner_approves_every_touch(
    channel_owner_user: Any,
) -> None:
    campaign, touch = in_review(channel_owner_user)
    assert campaign.status == CampaignStatus.IN_REVIEW
    services.touch_approve(actor=channel_owner_user, touch=touch, comment="Fine")
    campaign.refresh_from_db()
    touch.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    assert (touch.approval_status, touch.approved_by) == (
        ApprovalStatus.APPROVED,
        channel_owner_user,
    )
    assert ApprovalComment.objects.get(touch=touch).body == "Fine"
    assert actions(campaign) == ["campaign.submit", "touch.approve", "campaign.approve"]


def test_it_lets_only_owners_of_the_channel_or_admins_approve(
    channel_owner_user: Any, manager_user: Any, admin_user: Any
) -> None:
    _campaign, touch = in_review()
    for someone in (channel_owner_user, manager_user):
        with pytest.raises(PermissionDenied):
            services.touch_approve(actor=someone, touch=touch)
    services.touch_approve(actor=admin_user, touch=touch)


def test_it_keeps_the_campaign_in_review_when_changes_are_requested(
    channel_owner_user: Any,
) -> None:
    campaign, touch = in_review(channel_owner_user)
    with pytest.raises(CampaignError) as caught:
        services.touch_request_changes(actor=channel_owner_user, touch=touch, comment=" ")
    assert caught.value.code == "comment_missing"
    services.touch_request_changes(actor=channel_owner_user, touch=touch, comment="Too long")
    touch.refresh_from_db()
    campaign.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.CHANGES_REQUESTED
    assert campaign.status == CampaignStatus.IN_REVIEW


def test_it_refuses_approval_outside_review(admin_user: Any) -> None:
    campaign = ready_campaign()
    touch = make_touch(campaign, make_channel(), approved=False)
    with pytest.raises(CampaignError) as caught:
        services.touch_approve(actor=admin_user, touch=touch)
    assert caught.value.code == "not_in_review"


def test_it_sends_an_edited_touch_of_an_approved_campaign_back_to_review(
    manager_user: Any,
) -> None:
    campaign = ready_campaign(status=CampaignStatus.APPROVED)
    touch = make_touch(campaign, make_channel())
    assert services.touch_update(actor=manager_user, touch=touch, name="Renamed") == ["name"]
    touch.refresh_from_db()
    campaign.refresh_from_db()
    assert touch.approval_status == ApprovalStatus.PENDING
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert actions(campaign) == ["touch.update", "touch.reopen", "campaign.back_to_review"]


def test_it_sends_changed_words_of_a_scheduled_campaign_back_to_review(
    manager_user: Any,
) -> None:
    campaign = ready_campaign(status=CampaignStatus.SCHEDULED)
    touch = make_touch(campaign, make_channel())
    services.variant_save(
        actor=manager_user, touch=touch, language="", persona=None,
        subject="New words", body="Hello {{ person.first_name }}",
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.IN_REVIEW
    assert Variant.objects.get(touch=touch).subject == "New words"


def test_it_changes_nothing_when_the_same_words_are_saved_again(manager_user: Any) -> None:
    campaign = ready_campaign(status=CampaignStatus.APPROVED)
    touch = make_touch(campaign, make_channel())
    variant = touch.variants.get()
    services.variant_save(
        actor=manager_user, touch=touch, language="", persona=None,
        subject=variant.subject, body=variant.body,
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED
    assert actions(campaign) == []


def test_it_refuses_words_with_an_unknown_variable_at_save_time(manager_user: Any) -> None:
    touch = make_touch(make_campaign(), make_channel(), approved=False)
    with pytest.raises(CampaignError) as caught:
        services.variant_save(
            actor=manager_user, touch=touch, language="nl", persona=None,
            subject="Hi", body="Line one\n\n{{ person.salary }}",
        )  # fmt: skip
    assert caught.value.code == "template"
    assert caught.value.field == "body"
    assert caught.value.line == 3
    assert not touch.variants.filter(language="nl").exists()


def test_it_refuses_to_launch_a_campaign_that_is_not_approved(manager_user: Any) -> None:
    campaign = ready_campaign()
    with pytest.raises(CampaignError) as caught:
        services.campaign_launch(actor=manager_user, campaign=campaign)
    assert caught.value.code == "transition"
    assert "draft cannot be launched" in caught.value.message


def test_it_launches_an_approved_campaign_and_fixes_touch_times(manager_user: Any) -> None:
    start = dt.datetime(2031, 3, 3, 8, 0, tzinfo=dt.UTC)
    campaign = ready_campaign(status=CampaignStatus.APPROVED, starts_at=start)
    touch = make_touch(campaign, make_channel())
    Touch.objects.filter(pk=touch.pk).update(
        timing=Timing.CAMPAIGN_START, offset_days=2, send_time=dt.time(9, 30), scheduled_at=None
    )
    services.campaign_launch(actor=manager_user, campaign=campaign)
    touch.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.launched_at is not None
    assert touch.scheduled_at == dt.datetime(2031, 3, 5, 8, 30, tzinfo=dt.UTC)  # 09:30 CET


def test_it_refuses_to_launch_a_touch_on_a_blackout_day_unless_mandatory(
    manager_user: Any,
) -> None:
    when = dt.datetime(2031, 12, 25, 10, 0, tzinfo=dt.UTC)
    campaign = ready_campaign(status=CampaignStatus.APPROVED)
    touch = make_touch(campaign, make_channel(), send_at=when, name="Xmas")
    services.blackout_create(actor=manager_user, date=dt.date(2031, 12, 25), reason="Christmas")
    with pytest.raises(CampaignError) as caught:
        services.campaign_launch(actor=manager_user, campaign=campaign)
    assert caught.value.code == "blackout"
    assert "Xmas (2031-12-25: Christmas)" in caught.value.message
    Touch.objects.filter(pk=touch.pk).update(mandatory=True)
    services.campaign_launch(actor=manager_user, campaign=campaign)
    assert campaign.status == CampaignStatus.SCHEDULED


def test_it_refuses_a_second_blackout_on_the_same_day(manager_user: Any) -> None:
    services.blackout_create(actor=manager_user, date=dt.date(2031, 1, 1), reason="New year")
    with pytest.raises(CampaignError) as caught:
        services.blackout_create(actor=manager_user, date=dt.date(2031, 1, 1), reason="Again")
    assert caught.value.code == "date_taken"


def test_it_cancels_waiting_deliveries_and_withdraws_sent_invites(manager_user: Any) -> None:
    campaign = ready_campaign(status=CampaignStatus.RUNNING)
    mail, invite = make_channel(), make_channel(ChannelKind.CALENDAR)
    mail_touch, invite_touch = make_touch(campaign, mail), make_touch(campaign, invite)
    ann, bob = make_people(2)
    now = timezone.now()

    def deliver(touch: Touch, person: Any, status: str) -> None:
        Delivery.objects.create(
            touch=touch, person=person, channel=touch.channel, status=status, due_at=now,
            message_id=f"<{touch.pk}.{person.pk}@x>", variant=touch.variants.get(),
        )  # fmt: skip

    deliver(mail_touch, ann, DeliveryStatus.PENDING)
    deliver(mail_touch, bob, DeliveryStatus.SENT)
    deliver(invite_touch, ann, DeliveryStatus.SENT)
    deliver(invite_touch, bob, DeliveryStatus.PENDING)

    assert services.campaign_cancel(actor=manager_user, campaign=campaign) == 2
    assert campaign.status == CampaignStatus.CANCELLED
    withdrawals = Delivery.objects.filter(touch=invite_touch, generation=1)
    assert [(d.person, d.status) for d in withdrawals] == [(ann, DeliveryStatus.PENDING)]
    invite_touch.refresh_from_db()
    assert invite_touch.cancelled_at is not None
    assert invite_touch.ics_sequence == 1
    assert not Delivery.objects.filter(touch=mail_touch, generation=1).exists()
    assert actions(campaign)[-1] == "campaign.cancel"


def test_it_moves_campaigns_along_for_the_scheduler_and_not_backwards() -> None:
    campaign = make_campaign(status=CampaignStatus.SCHEDULED)
    services.campaign_mark_running(campaign=campaign)
    services.campaign_mark_running(campaign=campaign)  # twice: nothing more happens
    services.campaign_mark_completed(campaign=campaign)
    assert campaign.status == CampaignStatus.COMPLETED
    assert actions(campaign) == ["campaign.run", "campaign.complete"]
    draft = make_campaign()
    with pytest.raises(CampaignError) as caught:
        services.campaign_mark_completed(campaign=draft)
    assert caught.value.code == "transition"


def test_it_knows_no_way_out_of_a_final_status() -> None:
    for sources, _target in TRANSITIONS.values():
        assert CampaignStatus.COMPLETED not in sources
        assert CampaignStatus.CANCELLED not in sources


def test_it_refuses_to_edit_the_journey_of_a_running_campaign(manager_user: Any) -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    touch = make_touch(campaign, make_channel())
    with pytest.raises(CampaignError) as caught:
        services.touch_update(actor=manager_user, touch=touch, name="x")
    assert caught.value.code == "not_editable"


def test_it_drops_conditions_on_a_deleted_touch(manager_user: Any) -> None:
    campaign = make_campaign()
    channel = make_channel()
    first = make_touch(campaign, channel, approved=False)
    second = services.touch_create(
        actor=manager_user, campaign=campaign, channel=channel, name="Nudge",
        condition=Condition.NOT_OPENED, condition_touch=first,
    )  # fmt: skip
    services.touch_delete(actor=manager_user, touch=first)
    second.refresh_from_db()
    assert (second.condition, second.condition_touch) == (Condition.ALL, None)


def test_it_refuses_a_condition_on_another_campaigns_touch(manager_user: Any) -> None:
    other = make_touch(make_campaign(), make_channel())
    with pytest.raises(CampaignError) as caught:
        services.touch_create(
            actor=manager_user, campaign=make_campaign(), channel=make_channel(), name="N",
            condition=Condition.NOT_OPENED, condition_touch=other,
        )  # fmt: skip
    assert caught.value.code == "condition"


def test_it_retimes_touches_after_a_reorder(manager_user: Any) -> None:
    campaign = make_campaign(time_zone="UTC")
    channel = make_channel()
    early = make_touch(campaign, channel, send_at=dt.datetime(2031, 5, 1, 9, tzinfo=dt.UTC))
    late = make_touch(campaign, channel, send_at=dt.datetime(2031, 5, 10, 9, tzinfo=dt.UTC))
    after = services.touch_create(
        actor=manager_user, campaign=campaign, channel=channel, name="After",
        timing=Timing.AFTER_PREVIOUS, offset_days=1, send_time=dt.time(12, 0),
    )  # fmt: skip
    assert after.scheduled_at == dt.datetime(2031, 5, 11, 12, tzinfo=dt.UTC)
    services.touches_reorder(
        actor=manager_user, campaign=campaign, order=[late.pk, early.pk, after.pk]
    )
    after.refresh_from_db()
    assert after.scheduled_at == dt.datetime(2031, 5, 2, 12, tzinfo=dt.UTC)
    with pytest.raises(CampaignError):
        services.touches_reorder(actor=manager_user, campaign=campaign, order=[late.pk])


def test_it_moves_touches_and_events_with_the_external_launch(manager_user: Any) -> None:
    launch = dt.datetime(2031, 6, 10, 9, tzinfo=dt.UTC)
    external = services.external_campaign_create(
        actor=manager_user, slug="x", name="X", launch_at=launch
    )
    campaign = make_campaign(external_campaign=external, time_zone="UTC")
    touch = services.touch_create(
        actor=manager_user, campaign=campaign, channel=make_channel(ChannelKind.CALENDAR),
        name="Briefing", timing=Timing.EXTERNAL_LAUNCH, offset_days=-3, send_time=dt.time(9),
        event_starts_at=launch - dt.timedelta(days=2),
        event_ends_at=launch - dt.timedelta(days=2, minutes=-30),
    )  # fmt: skip
    assert touch.scheduled_at == dt.datetime(2031, 6, 7, 9, tzinfo=dt.UTC)
    moved = services.external_campaign_move(
        actor=manager_user, external=external, launch_at=launch + dt.timedelta(days=7)
    )
    touch.refresh_from_db()
    assert moved == 1
    assert touch.scheduled_at == dt.datetime(2031, 6, 14, 9, tzinfo=dt.UTC)
    assert touch.event_starts_at == dt.datetime(2031, 6, 15, 9, tzinfo=dt.UTC)
    assert "campaign.move" in actions(campaign)


def test_it_sends_an_update_when_a_sent_invites_event_moves(manager_user: Any) -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    starts = dt.datetime(2031, 4, 1, 9, tzinfo=dt.UTC)
    touch = make_touch(
        campaign, make_channel(ChannelKind.CALENDAR),
        event_starts_at=starts, event_ends_at=starts + dt.timedelta(hours=1),
    )  # fmt: skip
    [ann] = make_people(1)
    Delivery.objects.create(
        touch=touch, person=ann, channel=touch.channel, status=DeliveryStatus.SENT,
        due_at=starts, message_id="<m@x>",
    )  # fmt: skip
    later = starts + dt.timedelta(days=1)
    updates = services.touch_event_move(
        actor=manager_user, touch=touch, starts_at=later,
        ends_at=later + dt.timedelta(hours=1), location="Room 4",
    )  # fmt: skip
    assert updates == 1
    touch.refresh_from_db()
    assert (touch.ics_sequence, touch.event_location, touch.approval_status) == (
        1, "Room 4", ApprovalStatus.APPROVED,
    )  # fmt: skip
    update = Delivery.objects.get(touch=touch, generation=1)
    assert (update.person, update.status) == (ann, DeliveryStatus.PENDING)
    assert update.message_id.startswith(f"<d{touch.pk}.{ann.pk}.1.")
    assert "touch.event_move" in actions(campaign)
