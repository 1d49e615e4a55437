from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from inward.audit.models import AuditEntry
from inward.campaigns.errors import CampaignError
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery, FeedItem
from inward.delivery.services import (
    delivery_settings_get,
    delivery_settings_update,
    feed_item_acknowledge,
    feed_item_read,
    preference_update,
)

pytestmark = pytest.mark.django_db


def settings_change(actor: Any, **changes: Any) -> list[str]:
    current = delivery_settings_get()
    values = {
        "weekly_cap": current.weekly_cap,
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
        "default_time_zone": current.default_time_zone,
        **changes,
    }
    return delivery_settings_update(actor=actor, **values)


def test_it_creates_the_settings_with_defaults_once() -> None:
    first, second = delivery_settings_get(), delivery_settings_get()
    assert first.pk == second.pk == 1
    assert (first.weekly_cap, first.quiet_start) == (3, dt.time(20, 0))


def test_it_lets_admins_change_the_sending_rules_and_audits_it(admin_user: Any) -> None:
    assert settings_change(admin_user, weekly_cap=5) == ["weekly_cap"]
    assert delivery_settings_get().weekly_cap == 5
    entry = AuditEntry.objects.get(action="delivery_settings.update")
    assert (entry.actor, entry.data) == (admin_user, {"weekly_cap": "5"})
    assert settings_change(admin_user, weekly_cap=5) == []


def test_it_refuses_sending_rules_from_managers_and_nonsense(
    manager_user: Any, admin_user: Any
) -> None:
    with pytest.raises(PermissionDenied):
        settings_change(manager_user, weekly_cap=9)
    with pytest.raises(CampaignError):
        settings_change(admin_user, weekly_cap=0)
    with pytest.raises(CampaignError):
        settings_change(admin_user, default_time_zone="Nowhere/Land")


def test_it_stores_an_employees_preferences() -> None:
    [person] = make_people(1)
    preference = preference_update(
        person=person, channels_off=["slack", "email", "slack"], language="nl"
    )
    assert (preference.channels_off, preference.language) == (["email", "slack"], "nl")
    again = preference_update(person=person, channels_off=[], language="")
    assert (again.pk, again.channels_off) == (preference.pk, [])
    with pytest.raises(CampaignError):
        preference_update(person=person, channels_off=["pigeon"], language="")


def test_it_records_reading_and_acknowledging_once() -> None:
    [person] = make_people(1)
    touch = make_touch(make_campaign(), make_channel("intranet"))
    delivery = Delivery.objects.create(
        touch=touch, person=person, channel=touch.channel, status="sent",
        due_at=timezone.now(), message_id="<m@x>",
    )  # fmt: skip
    item = FeedItem.objects.create(
        person=person, delivery=delivery, subject="Read me", body_html="<p>x</p>", critical=True
    )
    feed_item_read(item=item)
    first_read = item.read_at
    assert first_read is not None
    delivery.refresh_from_db()
    assert delivery.opened_at == first_read
    feed_item_acknowledge(item=item)
    acknowledged = item.acknowledged_at
    feed_item_acknowledge(item=item)
    item.refresh_from_db()
    assert (item.read_at, item.acknowledged_at) == (first_read, acknowledged)


def test_it_reads_an_item_when_it_is_acknowledged_first() -> None:
    [person] = make_people(1)
    item = FeedItem.objects.create(person=person, subject="x", body_html="", critical=True)
    feed_item_acknowledge(item=item)
    assert item.read_at is not None and item.acknowledged_at is not None
