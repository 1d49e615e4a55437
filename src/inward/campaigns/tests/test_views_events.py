"""Moving a sent calendar invite's event from the touch page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inward.campaigns.models import CampaignStatus
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import ChannelKind, Delivery, DeliveryStatus

STARTS = dt.datetime(2031, 4, 1, 9, tzinfo=dt.UTC)


def running_invite() -> Any:
    campaign = make_campaign(status=CampaignStatus.RUNNING, time_zone="Europe/Amsterdam")
    touch = make_touch(
        campaign,
        make_channel(ChannelKind.CALENDAR),
        event_starts_at=STARTS,
        event_ends_at=STARTS + dt.timedelta(hours=1),
    )
    [ann] = make_people(1)
    Delivery.objects.create(
        touch=touch,
        person=ann,
        channel=touch.channel,
        status=DeliveryStatus.SENT,
        due_at=STARTS,
        message_id="<m@x>",
    )
    return touch


def test_it_moves_a_running_invites_event_and_queues_an_update(
    client_as: Any, manager_user: Any
) -> None:
    touch = running_invite()
    client = client_as(manager_user)
    url = f"/campaigns/{touch.campaign.slug}/touches/{touch.pk}/event/"
    assert (
        "Move the event"
        in client.get(f"/campaigns/{touch.campaign.slug}/touches/{touch.pk}/").content.decode()
    )
    response = client.post(
        url,
        {
            "event_starts_at": "2031-04-02T11:00",
            "event_ends_at": "2031-04-02T12:00",
            "event_location": "Room 4",
        },
    )
    assert response.status_code == 302
    touch.refresh_from_db()
    # 11:00 in Amsterdam (summer time) is 09:00 UTC
    assert touch.event_starts_at == dt.datetime(2031, 4, 2, 9, tzinfo=dt.UTC)
    assert (touch.event_location, touch.ics_sequence) == ("Room 4", 1)
    assert Delivery.objects.filter(touch=touch, generation=1).count() == 1


def test_it_keeps_what_was_typed_when_the_event_ends_before_it_starts(
    client_as: Any, manager_user: Any
) -> None:
    touch = running_invite()
    response = client_as(manager_user).post(
        f"/campaigns/{touch.campaign.slug}/touches/{touch.pk}/event/",
        {"event_starts_at": "2031-04-02T11:00", "event_ends_at": "2031-04-02T10:00"},
    )
    assert response.status_code == 200
    assert "The event must end after it starts." in response.content.decode()
    assert 'value="2031-04-02T11:00"' in response.content.decode()
    touch.refresh_from_db()
    assert touch.event_starts_at == STARTS


def test_it_lets_only_campaign_editors_move_events(
    client_as: Any, channel_owner_user: Any, employee_user: Any
) -> None:
    touch = running_invite()
    url = f"/campaigns/{touch.campaign.slug}/touches/{touch.pk}/event/"
    assert client_as(channel_owner_user).get(url).status_code == 403
    assert client_as(employee_user).get(url).status_code == 403


def test_it_has_no_event_page_for_other_channels(client_as: Any, manager_user: Any) -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    touch = make_touch(campaign, make_channel(ChannelKind.EMAIL))
    url = f"/campaigns/{campaign.slug}/touches/{touch.pk}/event/"
    assert client_as(manager_user).get(url).status_code == 404
