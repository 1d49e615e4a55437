"""The scheduler: which touches it writes when, and how campaigns move along."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from django.db import connection

from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus, Touch
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.materialise import LOCK_NAMESPACE
from inward.delivery.models import ChannelKind, Delivery, DeliverySettings, DeliveryStatus
from inward.delivery.scheduler import scheduler_tick, touches_due
from inward.delivery.tests.harness import _postgres_url

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _people() -> None:
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))
    make_people(3)


def _campaign(status: str = CampaignStatus.SCHEDULED) -> Campaign:
    return make_campaign(audience=make_audience('department = "Sales"'), status=status)


def _touch(campaign: Campaign, at: dt.datetime, **fields: Any) -> Touch:
    return make_touch(campaign, make_channel(ChannelKind.INTRANET), send_at=at, **fields)


def test_it_writes_touches_due_within_five_minutes_and_no_later_ones() -> None:
    campaign = _campaign()
    soon = _touch(campaign, NOW + dt.timedelta(minutes=4))
    later = _touch(campaign, NOW + dt.timedelta(minutes=6))

    report = scheduler_tick(now=NOW)

    assert [r.touch_id for r in report.materialised] == [soon.pk]
    assert Delivery.objects.filter(touch=soon).count() == 3
    assert not Delivery.objects.filter(touch=later).exists()


def test_it_writes_local_time_touches_up_to_fourteen_hours_early() -> None:
    campaign = _campaign()
    local = _touch(campaign, NOW + dt.timedelta(hours=13), local_time=True)
    too_far = _touch(campaign, NOW + dt.timedelta(hours=15), local_time=True)

    assert list(touches_due(now=NOW)) == [local]
    assert too_far not in touches_due(now=NOW)


def test_it_skips_cancelled_unapproved_and_draft_touches() -> None:
    live = _campaign()
    _touch(live, NOW, cancelled_at=NOW)
    _touch(live, NOW, approved=False)
    Touch.objects.filter(campaign=live).update(approval_status=ApprovalStatus.PENDING)
    _touch(_campaign(CampaignStatus.DRAFT), NOW)
    _touch(_campaign(CampaignStatus.CANCELLED), NOW)

    assert list(touches_due(now=NOW)) == []


def test_it_writes_each_touch_once() -> None:
    campaign = _campaign()
    touch = _touch(campaign, NOW)

    scheduler_tick(now=NOW)
    again = scheduler_tick(now=NOW + dt.timedelta(minutes=1))

    assert again.materialised == []
    assert Delivery.objects.filter(touch=touch).count() == 3


def test_it_runs_a_campaign_when_its_first_touch_is_written_and_completes_it_after() -> None:
    campaign = _campaign()
    first = _touch(campaign, NOW)
    second = _touch(campaign, NOW + dt.timedelta(days=2))

    report = scheduler_tick(now=NOW)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert report.started == [campaign.slug]

    Delivery.objects.filter(touch=first).update(status=DeliveryStatus.SENT)
    scheduler_tick(now=NOW + dt.timedelta(hours=1))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING  # the second touch is still to come

    report = scheduler_tick(now=NOW + dt.timedelta(days=2))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING  # its deliveries are pending
    assert report.materialised[0].touch_id == second.pk

    Delivery.objects.filter(touch=second).update(status=DeliveryStatus.SENT)
    report = scheduler_tick(now=NOW + dt.timedelta(days=2, minutes=1))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert report.completed == [campaign.slug]


def test_a_cancelled_touch_does_not_hold_a_campaign_open() -> None:
    campaign = _campaign(CampaignStatus.RUNNING)
    sent = _touch(campaign, NOW - dt.timedelta(days=1), materialised_at=NOW)
    _touch(campaign, NOW + dt.timedelta(days=3), cancelled_at=NOW)
    Delivery.objects.create(
        touch=sent, channel=sent.channel, due_at=NOW, status=DeliveryStatus.SENT, message_id="<x>"
    )

    report = scheduler_tick(now=NOW)

    assert report.completed == [campaign.slug]


def test_a_touch_that_cannot_be_written_is_reported_and_the_rest_goes_on() -> None:
    broken = make_campaign(audience=make_audience("department = "), status="scheduled")
    _touch(broken, NOW)
    good = _touch(_campaign(), NOW)

    report = scheduler_tick(now=NOW)

    assert len(report.errors) == 1
    assert [r.touch_id for r in report.materialised] == [good.pk]


def test_it_reports_a_touch_another_worker_is_writing(tmp_path: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; there is no per-touch lock to wait for")
    touch = _touch(_campaign(), NOW)
    url = _postgres_url()
    with psycopg.connect(url, autocommit=True) as other:  # another worker holds the lock
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, touch.pk])

        busy = scheduler_tick(now=NOW)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, touch.pk])

    assert busy.in_progress == [touch.pk]
    assert not busy.materialised and not busy.changed
    done = scheduler_tick(now=NOW)
    assert done.in_progress == [] and done.materialised[0].touch_id == touch.pk
