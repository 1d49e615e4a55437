"""The intranet transport: a feed item per delivery, written once."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.channels.base import Job, Recipient, TransportError
from inward.delivery.channels.intranet.transport import IntranetTransport
from inward.delivery.models import Delivery, FeedItem
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def delivery_for(person: Person, **touch: Any) -> Delivery:
    channel = make_channel("intranet")
    return Delivery.objects.create(
        touch=make_touch(make_campaign(), channel, **touch),
        person=person,
        channel=channel,
        due_at=timezone.now(),
        message_id="<d.x@example.com>",
    )


def job_for(delivery: Delivery, **fields: Any) -> Job:
    person = delivery.person
    assert person is not None
    defaults: dict[str, Any] = {
        "delivery_id": delivery.pk,
        "message_id": delivery.message_id,
        "touch_key": "t",
        "recipient": Recipient(person.pk, person.email, person.display_name, "en"),
        "subject": "Policy update",
        "text": "Read it.",
        "html": "<p>Read <strong>it</strong>.</p>",
        "critical": True,
    }
    return Job(**(defaults | fields))


def test_it_puts_the_message_in_the_persons_feed() -> None:
    [person] = make_people(1)
    delivery = delivery_for(person)
    IntranetTransport(delivery.channel).send(job_for(delivery))

    item = FeedItem.objects.get()
    assert (item.person, item.delivery) == (person, delivery)
    assert item.subject == "Policy update"
    assert item.body_html == "<p>Read <strong>it</strong>.</p>"
    assert item.critical
    assert item.read_at is None


def test_it_writes_one_item_however_often_a_delivery_is_retried() -> None:
    [person] = make_people(1)
    delivery = delivery_for(person)
    transport = IntranetTransport(delivery.channel)
    transport.send(job_for(delivery))
    transport.send(job_for(delivery, subject="Policy update (retry)"))

    assert list(FeedItem.objects.values_list("subject", flat=True)) == ["Policy update"]


def test_it_needs_a_person() -> None:
    [person] = make_people(1)
    delivery = delivery_for(person)
    with pytest.raises(TransportError) as caught:
        IntranetTransport(delivery.channel).send(job_for(delivery, recipient=None))

    assert caught.value.permanent
    assert not FeedItem.objects.exists()
