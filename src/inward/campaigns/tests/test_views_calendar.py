"""The calendar across teams, blackout days, and the cost of the list pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inward.campaigns.models import Blackout, CampaignStatus, OwnerTeam
from inward.campaigns.tests.factories import make_audience, make_campaign, make_channel, make_touch

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=AMSTERDAM)


def test_it_shows_every_scheduled_touch_of_the_month_coloured_by_team(
    client_as: Any, channel_owner_user: Any
) -> None:
    channel = make_channel(name="Company e-mail")
    learning = make_campaign(name="Onboarding", owner_team=OwnerTeam.LEARNING)
    comms = make_campaign(name="Town hall", owner_team=OwnerTeam.COMMS)
    make_touch(learning, channel, name="Welcome", send_at=at(4, 9))
    make_touch(comms, channel, name="Save the date", send_at=at(20, 14))
    make_touch(comms, channel, name="Next month", send_at=at(2, 9, month=4))
    page = text(client_as(channel_owner_user).get("/campaigns/calendar/?date=2026-03-10"))
    assert "March 2026" in page
    assert "09:00" in page and "Welcome" in page and "Save the date" in page
    assert 'class="calendar-entry team-learning' in page
    assert 'class="calendar-entry team-comms' in page
    assert "Next month" in page  # 2 April is in the last row of March's grid
    assert 'href="?view=month&amp;date=2026-02-01"' in page
    assert 'href="?view=month&amp;date=2026-04-01"' in page


def test_it_warns_when_one_audience_gets_several_touches_on_a_day(
    client_as: Any, manager_user: Any
) -> None:
    channel = make_channel()
    audience = make_audience(name="All sales")
    one = make_campaign(audience=audience)
    two = make_campaign(audience=audience)
    make_touch(one, channel, send_at=at(4, 9))
    make_touch(two, channel, send_at=at(4, 15))
    make_touch(two, channel, send_at=at(5, 15))
    page = text(client_as(manager_user).get("/campaigns/calendar/?view=week&date=2026-03-04"))
    assert page.count("All sales gets 2 touches this day") == 1
    assert "week of 2 Mar \u2013 8 Mar 2026" in page
    assert 'href="?view=week&amp;date=2026-02-25"' in page


def test_it_marks_blackout_days_and_leaves_out_cancelled_campaigns(
    client_as: Any, manager_user: Any
) -> None:
    Blackout.objects.create(date=dt.date(2026, 4, 27), reason="King's Day")
    cancelled = make_campaign(status=CampaignStatus.CANCELLED)
    make_touch(cancelled, make_channel(), name="Never", send_at=at(27, 9, month=4))
    page = text(client_as(manager_user).get("/campaigns/calendar/?date=2026-04-01"))
    assert "calendar-blackout" in page
    assert "King&#x27;s Day" in page
    assert "Never" not in page
    assert "No touches are scheduled this month" in page


def test_it_falls_back_to_this_month_for_a_bad_date_or_view(
    client_as: Any, manager_user: Any
) -> None:
    response = client_as(manager_user).get("/campaigns/calendar/?view=year&date=soon")
    assert response.status_code == 200
    assert 'aria-current="page">Month</a>' in text(response)


def test_it_reads_the_calendar_in_a_few_queries(
    client_as: Any, manager_user: Any, django_assert_max_num_queries: Any
) -> None:
    channel = make_channel()
    for day in range(1, 29):
        make_touch(make_campaign(), channel, send_at=at(day, 9))
    Blackout.objects.create(date=dt.date(2026, 3, 9), reason="Results")
    client = client_as(manager_user)
    with django_assert_max_num_queries(8):
        response = client.get("/campaigns/calendar/?date=2026-03-01")
    assert text(response).count("calendar-entry team-") == 28


def test_it_lists_campaigns_in_a_few_queries_however_many(
    client_as: Any, manager_user: Any, django_assert_max_num_queries: Any
) -> None:
    channel = make_channel()
    for n in range(30):
        make_touch(make_campaign(name=f"Campaign {n:02}"), channel)
    client = client_as(manager_user)
    with django_assert_max_num_queries(8):
        response = client.get("/campaigns/?sort=name")
    page = text(response)
    assert "30 campaigns" in page
    assert "Page 1 of 2" in page
    assert "Campaign 00" in page and "Campaign 25" not in page
    assert "Campaign 29" in text(client.get("/campaigns/?sort=name&page=2"))


def test_it_filters_campaigns_by_status_team_and_search(client_as: Any, manager_user: Any) -> None:
    make_campaign(name="Alpha", owner_team=OwnerTeam.COMMS)
    make_campaign(name="Beta", owner_team=OwnerTeam.MARKETING, status=CampaignStatus.RUNNING)
    client = client_as(manager_user)
    assert "Beta" not in text(client.get("/campaigns/?team=comms"))
    page = text(client.get("/campaigns/?status=running"))
    assert "Beta" in page and "Alpha" not in page
    assert "No campaign matches" in text(client.get("/campaigns/?q=gamma"))


def test_it_teaches_the_first_campaign_on_an_empty_list(client_as: Any, manager_user: Any) -> None:
    page = text(client_as(manager_user).get("/campaigns/"))
    assert "No campaigns yet" in page
    assert "Create an audience first" in page
    assert 'href="/campaigns/new/"' in page


def test_it_lists_the_approvals_inbox_in_a_few_queries(
    client_as: Any, channel_owner_user: Any, django_assert_max_num_queries: Any
) -> None:
    channel = make_channel()
    channel.owners.add(channel_owner_user)
    for _ in range(10):
        campaign = make_campaign(status=CampaignStatus.IN_REVIEW)
        make_touch(campaign, channel, approved=False)
    client = client_as(channel_owner_user)
    # Constant in the number of touches; two of them load what each version is made of.
    with django_assert_max_num_queries(12):
        response = client.get("/campaigns/approvals/")
    assert "10 touches wait for you" in text(response)


def test_it_adds_and_removes_blackout_days(client_as: Any, manager_user: Any) -> None:
    client = client_as(manager_user)
    response = client.post("/campaigns/blackouts/", {"date": "2030-04-27", "reason": "King's Day"})
    assert response["Location"] == "/campaigns/blackouts/"
    blackout = Blackout.objects.get()
    assert "King&#x27;s Day" in text(client.get("/campaigns/blackouts/"))
    client.post(f"/campaigns/blackouts/{blackout.pk}/delete/")
    assert not Blackout.objects.exists()
    assert "No blackout days ahead" in text(client.get("/campaigns/blackouts/"))


def test_it_shows_channel_owners_blackouts_without_the_form(
    client_as: Any, channel_owner_user: Any
) -> None:
    Blackout.objects.create(date=dt.date(2030, 1, 1), reason="New year")
    page = text(client_as(channel_owner_user).get("/campaigns/blackouts/"))
    assert "New year" in page
    assert "Add a blackout day" not in page
    assert "Remove" not in page
