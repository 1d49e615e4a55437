"""Where events come from besides tracking links: the sender (DELIVERED, per batch; from
a writer thread under `inward deliver`) and the intranet feed (READ, ACKNOWLEDGED)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inward.analytics.models import (
    EngagementEvent,
    EventKind,
    EventSource,
    FunnelStage,
    RecipientFunnel,
)
from inward.analytics.tests.ingest_fixtures import funnel
from inward.analytics.writer import writer
from inward.campaigns.models import CampaignStatus
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.models import ChannelKind, Delivery, DeliverySettings, FeedItem
from inward.delivery.scheduler import scheduler_tick
from inward.delivery.sender import outbox_send_batch
from inward.delivery.services import feed_item_acknowledge, feed_item_read
from inward.delivery.tests.harness import shared_database

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_quiet_hours() -> None:
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))


def feed_campaign(people: int) -> Any:
    folks = make_people(people)
    campaign = make_campaign(audience=make_audience(), status=CampaignStatus.SCHEDULED)
    touch = make_touch(
        campaign, make_channel(ChannelKind.INTRANET), send_at=timezone.now(), critical=True
    )
    scheduler_tick()
    return campaign, touch, folks


def test_the_sender_records_one_delivered_event_per_message_in_one_write_per_batch() -> None:
    campaign, touch, people = feed_campaign(30)

    with CaptureQueriesContext(connection) as queries:
        assert outbox_send_batch(worker="t", limit=30) == 30

    events = EngagementEvent.objects.filter(kind=EventKind.DELIVERED)
    assert events.count() == 30
    event = events.get(person=people[0])
    delivery = Delivery.objects.get(person=people[0])
    assert (event.delivery_id, event.touch_id, event.campaign_id) == (
        delivery.pk,
        touch.pk,
        campaign.pk,
    )
    assert event.source == EventSource.SENDER and event.channel_id == touch.channel_id
    assert abs((event.occurred_at - delivery.sent_at).total_seconds()) < 5  # type: ignore[operator]
    inserts = [q for q in queries.captured_queries if "analytics_engagementevent" in q["sql"]]
    assert len(inserts) == 1
    for person in people:
        row = funnel(campaign, person)
        assert row is not None and row.stage == FunnelStage.REACHED
        assert row.last_touch_id == touch.pk


def test_reading_and_acknowledging_in_the_feed_are_engagement_the_first_time_only() -> None:
    campaign, touch, [reader, other] = feed_campaign(2)
    outbox_send_batch(worker="t")
    item = FeedItem.objects.get(person=reader)

    feed_item_read(item=item)
    feed_item_read(item=item)
    feed_item_acknowledge(item=item)
    feed_item_acknowledge(item=item)

    kinds = list(
        EngagementEvent.objects.filter(person=reader, source=EventSource.FEED).values_list(
            "kind", "touch_id", "campaign_id"
        )
    )
    assert sorted(kinds) == sorted(
        [(EventKind.READ, touch.pk, campaign.pk), (EventKind.ACKNOWLEDGED, touch.pk, campaign.pk)]
    )
    row = funnel(campaign, reader)
    assert row is not None and row.stage == FunnelStage.ENGAGED
    assert row.engaged_at == FeedItem.objects.get(pk=item.pk).read_at
    assert funnel(campaign, other).stage == FunnelStage.REACHED  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_inward_deliver_writes_delivered_events_from_its_own_thread_before_it_stops(
    tmp_path: Path,
) -> None:
    campaign, _touch, people = feed_campaign(25)

    with shared_database(tmp_path):
        call_command("deliver", "--once", "--interval", "0.05", "--batch", "10")
        events = EngagementEvent.objects.filter(kind=EventKind.DELIVERED)
        assert sorted(events.values_list("person_id", flat=True)) == sorted(p.pk for p in people)
        reached = RecipientFunnel.objects.filter(campaign=campaign, stage=FunnelStage.REACHED)
        assert reached.count() == 25
    assert not writer.running
