from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Timing, Touch
from inward.campaigns.scheduling import after_anchor, journey_times, wall_clock, zone
from inward.campaigns.tests.factories import make_campaign, make_channel

AMS = ZoneInfo("Europe/Amsterdam")
UTC = dt.UTC


def test_it_keeps_the_wall_clock_time_across_a_daylight_saving_change() -> None:
    # Amsterdam moves to summer time on 30 March 2031.
    anchor = dt.datetime(2031, 3, 28, 8, 0, tzinfo=UTC)  # 09:00 CET
    when = after_anchor(anchor, days=3, time=dt.time(9, 0), tz=AMS)
    assert when == dt.datetime(2031, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert when.astimezone(AMS).time() == dt.time(9, 0)


def test_it_keeps_the_anchors_time_of_day_when_none_is_given() -> None:
    anchor = dt.datetime(2031, 10, 24, 13, 15, tzinfo=UTC)  # 15:15 CEST
    when = after_anchor(anchor, days=3, time=None, tz=AMS)
    assert when.astimezone(AMS).time() == dt.time(15, 15)  # 15:15 CET after the change


def test_it_moves_a_skipped_time_to_just_after_the_change() -> None:
    when = wall_clock(dt.date(2031, 3, 30), dt.time(2, 30), AMS)
    assert when.astimezone(AMS).time() == dt.time(3, 30)


def test_it_counts_days_backwards_for_a_negative_offset() -> None:
    anchor = dt.datetime(2031, 6, 10, 7, 0, tzinfo=UTC)
    when = after_anchor(anchor, days=-7, time=dt.time(10, 0), tz=AMS)
    assert when == dt.datetime(2031, 6, 3, 8, 0, tzinfo=UTC)


def test_it_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(CampaignError) as caught:
        zone("Europe/Atlantis")
    assert caught.value.code == "time_zone"


@pytest.mark.django_db
def test_it_resolves_a_journey_in_order_and_leaves_unknown_anchors_empty() -> None:
    start = dt.datetime(2031, 3, 3, 8, 0, tzinfo=UTC)
    campaign = make_campaign(starts_at=start, time_zone="Europe/Amsterdam")
    channel = make_channel()

    def touch(**fields: object) -> Touch:
        return Touch.objects.create(campaign=campaign, channel=channel, name="t", **fields)

    first = touch(timing=Timing.CAMPAIGN_START, offset_days=0, send_time=dt.time(9, 0))
    second = touch(timing=Timing.AFTER_PREVIOUS, offset_days=2, send_time=dt.time(14, 0))
    external = touch(timing=Timing.EXTERNAL_LAUNCH, offset_days=1)
    after_nothing = touch(timing=Timing.AFTER_PREVIOUS, offset_days=1)
    absolute = touch(timing=Timing.ABSOLUTE, send_at=start)
    times = journey_times(campaign, [first, second, external, after_nothing, absolute])
    assert times == {
        first.pk: dt.datetime(2031, 3, 3, 8, 0, tzinfo=UTC),
        second.pk: dt.datetime(2031, 3, 5, 13, 0, tzinfo=UTC),
        external.pk: None,
        after_nothing.pk: None,
        absolute.pk: start,
    }
