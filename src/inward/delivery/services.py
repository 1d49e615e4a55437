"""Writes for organisation-wide sending rules, employees' preferences and their feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.models import User
from inward.analytics.events import EventIn, record_events
from inward.analytics.models import EventKind, EventSource
from inward.audit.services import audit_record
from inward.campaigns.errors import CampaignError
from inward.campaigns.scheduling import zone
from inward.delivery.models import ChannelKind, Delivery, DeliverySettings, FeedItem, Preference
from inward.directory.models import Person

SETTINGS_PK = 1


def delivery_settings_get() -> DeliverySettings:
    """The one settings row, created with the defaults the first time it is asked for."""
    row, _created = DeliverySettings.objects.get_or_create(pk=SETTINGS_PK)
    return row


@transaction.atomic
def delivery_settings_update(
    *,
    actor: User | None,
    weekly_cap: int,
    quiet_start: dt.time,
    quiet_end: dt.time,
    default_time_zone: str,
) -> list[str]:
    """Change the sending rules (admins only); returns what changed. Quiet hours may
    wrap midnight (20:00 to 07:00); equal start and end mean no quiet hours."""
    if actor is not None:
        access.require(access.can_manage_channels(actor))
    if weekly_cap < 1:
        raise CampaignError("weekly_cap", _("The weekly limit must be at least 1."))
    zone(default_time_zone)
    row = DeliverySettings.objects.select_for_update().get(pk=delivery_settings_get().pk)
    wanted = {
        "weekly_cap": weekly_cap,
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "default_time_zone": default_time_zone,
    }
    changed = [name for name, value in wanted.items() if getattr(row, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(row, name, wanted[name])
    row.save(update_fields=[*changed, "updated_at"])
    data = {name: str(wanted[name]) for name in changed}
    audit_record(
        actor=actor,
        action="delivery_settings.update",
        target=row,
        summary=", ".join(f"{k}={v}" for k, v in data.items()),
        data=data,
    )
    return changed


@transaction.atomic
def preference_update(*, person: Person, channels_off: Iterable[str], language: str) -> Preference:
    """An employee's own choices: the channel kinds they opt out of (mandatory messages
    still come) and the language they read. Unknown kinds are refused."""
    off = sorted(set(channels_off))
    unknown = [kind for kind in off if kind not in ChannelKind.values]
    if unknown:
        raise CampaignError(
            "channel_kind", _("Unknown channel kinds: %(k)s.") % {"k": ", ".join(unknown)}
        )
    preference, _created = Preference.objects.select_for_update().get_or_create(person=person)
    if (preference.channels_off, preference.language) != (off, language.strip()):
        preference.channels_off, preference.language = off, language.strip()
        preference.save(update_fields=["channels_off", "language", "updated_at"])
    return preference


def feed_item_read(*, item: FeedItem) -> FeedItem:
    """Record that the reader opened the item (the first time only), and that the
    delivery behind it was opened; the first read is a READ engagement event."""
    if item.read_at is None:
        now = timezone.now()
        with transaction.atomic():
            # Targeted and conditional: two tabs opening it at once record the first time.
            first = FeedItem.objects.filter(pk=item.pk, read_at=None).update(
                read_at=now, updated_at=now
            )
            if first:
                _delivery_opened(item, now)
                _feed_event(item, EventKind.READ, now)
        item.refresh_from_db(fields=["read_at"])
    return item


def feed_item_acknowledge(*, item: FeedItem) -> FeedItem:
    """The reader confirms a critical item (reading it too). Acknowledging twice keeps
    the first time; the first is an ACKNOWLEDGED engagement event."""
    feed_item_read(item=item)
    if item.acknowledged_at is None:
        now = timezone.now()
        with transaction.atomic():
            first = FeedItem.objects.filter(pk=item.pk, acknowledged_at=None).update(
                acknowledged_at=now, updated_at=now
            )
            if first:
                _feed_event(item, EventKind.ACKNOWLEDGED, now)
        item.refresh_from_db(fields=["acknowledged_at"])
    return item


def _delivery_opened(item: FeedItem, now: dt.datetime) -> None:
    if item.delivery_id is not None:
        Delivery.objects.filter(pk=item.delivery_id, opened_at=None).update(opened_at=now)


def _feed_event(item: FeedItem, kind: str, now: dt.datetime) -> None:
    """The engagement event of a feed read or acknowledgement, with the campaign, touch,
    variant and channel of the delivery behind the item (if it still exists)."""
    facts: dict[str, Any] = {}
    if item.delivery_id is not None:
        row = (
            Delivery.objects.filter(pk=item.delivery_id)
            .values("touch_id", "touch__campaign_id", "variant_id", "channel_id")
            .first()
        )
        facts = dict(row) if row else {}
    record_events(
        [
            EventIn(
                kind=kind,
                occurred_at=now,
                source=EventSource.FEED,
                person_id=item.person_id,
                campaign_id=facts.get("touch__campaign_id"),
                touch_id=facts.get("touch_id"),
                variant_id=facts.get("variant_id"),
                channel_id=facts.get("channel_id"),
                delivery_id=item.delivery_id if facts else None,
            )
        ]
    )
