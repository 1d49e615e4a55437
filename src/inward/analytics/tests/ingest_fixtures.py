"""Test data for the event stream: campaigns promoting an offering, sent deliveries,
events. Plain functions that write rows directly (the tests exercise ingest)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inward.analytics.events import EventIn
from inward.analytics.models import EventKind, EventSource, RecipientFunnel
from inward.campaigns.models import Campaign, Touch
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Channel, Delivery, DeliveryStatus
from inward.directory.models import Person
from inward.learning.models import Offering, OfferingKind

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_seq = itertools.count(1)


def make_offering() -> Offering:
    n = next(_seq)
    return Offering.objects.create(
        slug=f"course-{n}",
        title=f"Course {n}",
        kind=OfferingKind.COURSE,
        activity_id=f"https://learn.example.com/activities/{n}",
    )


@dataclass
class Setup:
    campaign: Campaign
    touches: list[Touch]
    channel: Channel
    people: list[Person]


def promoting(
    offering: Offering | None, *, people: Sequence[Person] | int = 2, touches: int = 2
) -> Setup:
    """A campaign promoting ``offering`` with ``touches`` e-mail touches (none sent yet)."""
    channel = make_channel()
    campaign = make_campaign(offering=offering)
    made = [make_touch(campaign, channel, name=f"Touch {n}") for n in range(touches)]
    folks = make_people(people) if isinstance(people, int) else list(people)
    return Setup(campaign, made, channel, folks)


def deliver(
    touch: Touch, person: Person, *, at: dt.datetime | None, status: str = DeliveryStatus.SENT
) -> Delivery:
    """A delivery of ``touch`` to ``person``, sent at ``at`` (None: not sent)."""
    return Delivery.objects.create(
        touch=touch,
        person=person,
        channel=touch.channel,
        variant=touch.variants.first(),
        status=status if at is not None else DeliveryStatus.PENDING,
        due_at=at or T0,
        sent_at=at,
        message_id=f"<{touch.pk}.{person.pk}.{next(_seq)}@example.com>",
    )


def event(kind: str, person: Person | None, at: dt.datetime, **fields: Any) -> EventIn:
    fields.setdefault("source", EventSource.MANUAL)
    return EventIn(kind=kind, occurred_at=at, person_id=person.pk if person else None, **fields)


def learning(kind: str, person: Person, offering: Offering, at: dt.datetime) -> EventIn:
    return event(kind, person, at, offering_id=offering.pk, source=EventSource.XAPI)


def on_touch(kind: str, delivery: Delivery, at: dt.datetime, **fields: Any) -> EventIn:
    touch = delivery.touch
    return event(
        kind,
        delivery.person,
        at,
        campaign_id=touch.campaign_id,
        touch_id=touch.pk,
        variant_id=delivery.variant_id,
        channel_id=delivery.channel_id,
        delivery_id=delivery.pk,
        **fields,
    )


def funnel(campaign: Campaign, person: Person) -> RecipientFunnel | None:
    return RecipientFunnel.objects.filter(campaign=campaign, person=person).first()


def stage_of(campaign: Campaign, person: Person) -> int | None:
    row = funnel(campaign, person)
    return row.stage if row else None


DELIVERED, OPENED, CLICKED = EventKind.DELIVERED, EventKind.OPENED, EventKind.CLICKED
