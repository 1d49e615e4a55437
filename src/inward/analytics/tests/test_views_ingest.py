"""From the event stream to the pages: deliveries written, events recorded through the
real ingest (``record_events``: funnel state and attribution), then the results page,
the CSV and "My data" read what the ingest produced."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from inward.analytics.events import EventIn, record_events
from inward.analytics.funnel_state import ensure_funnel_rows
from inward.analytics.models import EventKind, EventSource
from inward.campaigns.models import CampaignStatus
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery, DeliveryStatus
from inward.directory.models import Person
from inward.learning.models import Offering, OfferingKind

pytestmark = pytest.mark.django_db


def test_enrolments_recorded_at_ingest_show_as_attributed_learning(
    client_as: Any, admin_user: Any, employee_user: Any
) -> None:
    offering = Offering.objects.create(
        slug="coaching",
        title="Coaching skills",
        kind=OfferingKind.COURSE,
        activity_id="https://learn.example.com/coaching",
    )
    sent = timezone.now() - dt.timedelta(days=10)
    campaign = make_campaign(name="Coach better", status=CampaignStatus.RUNNING, offering=offering)
    touch = make_touch(campaign, make_channel(name="Company e-mail"), name="Invite", send_at=sent)
    people = [*make_people(20, department="Sales")]
    people.append(Person.objects.create(email="emma@example.com", first_name="Emma"))
    for person in people:
        Delivery.objects.create(
            touch=touch,
            person=person,
            channel=touch.channel,
            status=DeliveryStatus.SENT,
            due_at=sent,
            sent_at=sent,
            message_id=f"<ingest.{person.pk}@test>",
        )
    ensure_funnel_rows(touch)

    def event(person: Person, kind: str, days: int, **more: Any) -> EventIn:
        return EventIn(
            kind=kind,
            occurred_at=sent + dt.timedelta(days=days),
            source=EventSource.DEMO,
            person_id=person.pk,
            **more,
        )

    on_touch = {"campaign_id": campaign.pk, "touch_id": touch.pk, "channel_id": touch.channel_id}
    events = [event(p, EventKind.DELIVERED, 0, **on_touch) for p in people]
    events += [event(p, EventKind.OPENED, 1, **on_touch) for p in people[:15]]
    events += [event(p, EventKind.ENROLLED, 2, offering_id=offering.pk) for p in people[:8]]
    events += [event(people[-1], EventKind.ENROLLED, 3, offering_id=offering.pk)]
    record_events(events)

    html = client_as(admin_user).get(f"/analytics/campaigns/{campaign.slug}/").content.decode()
    funnel = re.search(r'id="funnel-table">.*?</table>', html, re.S)
    assert funnel is not None
    cells = re.findall(r'<td class="text-end count">(.*?)</td>', funnel.group(0), re.S)
    # Emma enrolled without opening: acting counts as getting past "engaged" too.
    assert cells == ["21", "21", "16", "9", "0", "0"]
    assert re.search(r'<span class="fw-semibold">9</span> enrolled', html)

    csv = client_as(admin_user).get(f"/analytics/campaigns/{campaign.slug}/export.csv")
    assert "Everyone,Everyone,Acted,9," in csv.content.decode()

    mine = client_as(employee_user).get("/analytics/me/").content.decode()
    assert "Coach better" in mine and "Coaching skills" in mine
    assert mine.count("<tr>") == 3 + 1 + 2 + 1, "3 header rows, 1 campaign, 2 events, 1 message"
