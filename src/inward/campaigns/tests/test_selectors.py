from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inward.campaigns import selectors
from inward.campaigns.models import Blackout, CampaignStatus
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_touch,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2031, 5, day, hour, tzinfo=UTC)


def test_it_lists_touches_in_a_date_range_with_their_campaign_and_audience() -> None:
    audience = make_audience(name="Sales")
    campaign = make_campaign(audience=audience, name="Spring")
    channel = make_channel(name="Mail")
    inside = make_touch(campaign, channel, send_at=at(5), name="Inside")
    make_touch(campaign, channel, send_at=at(20), name="Outside")
    cancelled = make_campaign(audience=audience, status=CampaignStatus.CANCELLED)
    make_touch(cancelled, channel, send_at=at(5))
    entries = selectors.calendar_entries(start=dt.date(2031, 5, 1), end=dt.date(2031, 5, 10))
    assert [(e.touch_id, e.campaign_name, e.channel_name, e.audience_name) for e in entries] == [
        (inside.pk, "Spring", "Mail", "Sales")
    ]
    assert entries[0].day == dt.date(2031, 5, 5)


def test_it_includes_both_end_days_in_the_sites_time_zone(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Amsterdam"
    channel, campaign = make_channel(), make_campaign()
    just_after_midnight = make_touch(
        campaign, channel, send_at=dt.datetime(2031, 5, 10, 22, 30, tzinfo=UTC)
    )
    before_midnight = make_touch(
        campaign, channel, send_at=dt.datetime(2031, 5, 11, 21, 30, tzinfo=UTC)
    )
    make_touch(campaign, channel, send_at=dt.datetime(2031, 5, 11, 22, 30, tzinfo=UTC))
    entries = selectors.calendar_entries(start=dt.date(2031, 5, 11), end=dt.date(2031, 5, 11))
    assert [e.touch_id for e in entries] == [just_after_midnight.pk, before_midnight.pk]
    assert {e.day for e in entries} == {dt.date(2031, 5, 11)}


def test_it_warns_when_one_audience_gets_two_touches_on_a_day() -> None:
    sales, support = make_audience(), make_audience(rule='department = "Support"')
    channel = make_channel()
    make_touch(make_campaign(audience=sales), channel, send_at=at(5, 8))
    make_touch(make_campaign(audience=sales), channel, send_at=at(5, 14))
    make_touch(make_campaign(audience=support), channel, send_at=at(5, 9))
    make_touch(make_campaign(audience=sales), channel, send_at=at(6, 9))
    warnings = selectors.calendar_warnings(start=dt.date(2031, 5, 1), end=dt.date(2031, 5, 31))
    assert [(w.day, w.audience_id, len(w.entries)) for w in warnings] == [
        (dt.date(2031, 5, 5), sales.pk, 2)
    ]


def test_it_lists_blackouts_between_two_days() -> None:
    for day in (1, 15, 31):
        Blackout.objects.create(date=dt.date(2031, 5, day), reason=f"day {day}")
    found = selectors.blackouts_between(start=dt.date(2031, 5, 1), end=dt.date(2031, 5, 15))
    assert [b.reason for b in found] == ["day 1", "day 15"]


def test_it_shows_channel_owners_only_touches_waiting_on_their_channels(
    channel_owner_user: Any, admin_user: Any
) -> None:
    mine, theirs = make_channel(), make_channel()
    mine.owners.add(channel_owner_user)
    campaign = make_campaign(status=CampaignStatus.IN_REVIEW)
    waiting = make_touch(campaign, mine, approved=False)
    make_touch(campaign, mine, approved=True)
    other = make_touch(campaign, theirs, approved=False)
    assert list(selectors.approvals_inbox(user=channel_owner_user)) == [waiting]
    assert set(selectors.approvals_inbox(user=admin_user)) == {waiting, other}


def test_it_searches_filters_and_counts_touches_in_the_campaign_list() -> None:
    spring = make_campaign(name="Spring onboarding")
    make_campaign(name="Autumn", status=CampaignStatus.RUNNING)
    make_touch(spring, make_channel())
    found = list(selectors.campaign_list(query="spring"))
    assert [(c.name, c.touch_count) for c in found] == [("Spring onboarding", 1)]  # type: ignore[attr-defined]
    assert [c.name for c in selectors.campaign_list(status="running")] == ["Autumn"]


def test_it_reads_a_busy_calendar_in_one_query(django_assert_num_queries: Any) -> None:
    channel, audience = make_channel(), make_audience()
    for day in range(1, 29):
        make_touch(make_campaign(audience=audience), channel, send_at=at(day))
    with django_assert_num_queries(1):
        entries = selectors.calendar_entries(start=dt.date(2031, 5, 1), end=dt.date(2031, 5, 31))
        selectors.calendar_warnings(
            start=dt.date(2031, 5, 1), end=dt.date(2031, 5, 31), entries=entries
        )
    assert len(entries) == 28
