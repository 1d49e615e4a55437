"""Writing a touch's deliveries: who, when, and who is suppressed and why."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from inward.audiences.models import Persona
from inward.campaigns.models import (
    Blackout,
    Campaign,
    CampaignStatus,
    Condition,
    Recipients,
    Touch,
    Variant,
)
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.materialise import MaterialiseReport, touch_materialise, touch_recipients
from inward.delivery.models import (
    ChannelKind,
    Delivery,
    DeliverySettings,
    DeliveryStatus,
    Preference,
    SuppressReason,
)
from inward.delivery.tests.harness import shared_database
from inward.directory.models import Person, Status

pytestmark = pytest.mark.django_db
# A Monday, 11:00 in Amsterdam: outside quiet hours.
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _campaign(**fields: Any) -> Campaign:
    return make_campaign(
        audience=make_audience('department = "Sales"'), status=CampaignStatus.SCHEDULED, **fields
    )


def _touch(
    campaign: Campaign | None = None, *, kind: str = ChannelKind.EMAIL, **fields: Any
) -> Touch:
    fields.setdefault("send_at", MONDAY)
    return make_touch(campaign or _campaign(), make_channel(kind), **fields)


def _deliveries(touch: Touch) -> dict[int | None, Delivery]:
    return {d.person_id: d for d in Delivery.objects.filter(touch=touch)}


def test_it_writes_one_pending_delivery_per_person_and_marks_the_touch() -> None:
    people = make_people(4)
    make_people(2, department="Finance")
    touch = _touch()

    report = touch_materialise(touch=touch)

    rows = _deliveries(touch)
    assert set(rows) == {p.pk for p in people}
    row = rows[people[0].pk]
    assert row.status == DeliveryStatus.PENDING
    assert row.due_at == MONDAY
    assert row.channel_id == touch.channel_id
    assert row.variant_id == touch.variants.get().pk
    assert re.fullmatch(rf"<d{touch.pk}\.{people[0].pk}\.0\.[0-9a-f]{{8}}@[\w.-]+>", row.message_id)
    assert report.counts == {DeliveryStatus.PENDING: 4}
    touch.refresh_from_db()
    assert touch.materialised_at is not None


def test_running_it_twice_adds_nothing_and_keeps_the_message_ids() -> None:
    make_people(5)
    touch = _touch()
    touch_materialise(touch=touch)
    before = {d.pk: d.message_id for d in Delivery.objects.filter(touch=touch)}

    again = touch_materialise(touch=touch)

    assert again.skipped
    assert {d.pk: d.message_id for d in Delivery.objects.filter(touch=touch)} == before


def test_a_run_that_stopped_half_way_is_finished_without_duplicates() -> None:
    people = make_people(7)
    touch = _touch()
    touch_materialise(touch=touch)
    Delivery.objects.filter(touch=touch, person__in=people[3:]).delete()
    Touch.objects.filter(pk=touch.pk).update(materialised_at=None)
    kept = set(Delivery.objects.filter(touch=touch).values_list("pk", "message_id"))

    touch_materialise(touch=touch, batch_size=2)

    rows = Delivery.objects.filter(touch=touch)
    assert rows.count() == 7
    assert kept <= set(rows.values_list("pk", "message_id"))


def test_it_streams_the_audience_in_batches() -> None:
    people = make_people(23)
    touch = _touch()

    touch_materialise(touch=touch, batch_size=5)

    assert set(_deliveries(touch)) == {p.pk for p in people}


def test_it_leaves_out_the_exclusions_and_people_who_left() -> None:
    leeuwarden = make_people(3)
    groningen = make_people(2, site="Groningen")
    Person.objects.filter(pk=leeuwarden[0].pk).update(status=Status.LEFT)
    campaign = _campaign()
    campaign.exclusions.add(make_audience('site = "Groningen"'))
    touch = _touch(campaign)

    touch_materialise(touch=touch)

    assert set(_deliveries(touch)) == {p.pk for p in leeuwarden[1:]}
    assert not set(_deliveries(touch)) & {p.pk for p in groningen}


def test_it_sends_a_managers_touch_to_the_distinct_managers_of_the_audience() -> None:
    [boss] = make_people(1, department="Board")
    team = make_people(3)
    Person.objects.filter(pk__in=[p.pk for p in team]).update(manager=boss)
    touch = _touch(recipients=Recipients.MANAGERS)

    touch_materialise(touch=touch)

    assert set(_deliveries(touch)) == {boss.pk}


def test_it_suppresses_people_who_opted_out_of_the_channel_unless_mandatory() -> None:
    people = make_people(2)
    Preference.objects.create(person=people[0], channels_off=["email"])
    Preference.objects.create(person=people[1], channels_off=["slack"])
    campaign = _campaign()
    touch = _touch(campaign)
    mandatory = _touch(campaign, mandatory=True, send_at=MONDAY + dt.timedelta(days=1))

    touch_materialise(touch=touch)
    touch_materialise(touch=mandatory)

    rows = _deliveries(touch)
    assert rows[people[0].pk].status == DeliveryStatus.SUPPRESSED
    assert rows[people[0].pk].suppressed_reason == SuppressReason.OPTED_OUT
    assert rows[people[1].pk].status == DeliveryStatus.PENDING
    assert _deliveries(mandatory)[people[0].pk].status == DeliveryStatus.PENDING


def test_it_suppresses_a_blackout_day_unless_mandatory() -> None:
    [person] = make_people(1)
    Blackout.objects.create(date=MONDAY.date(), reason="Results day")
    campaign = _campaign()
    touch = _touch(campaign)
    mandatory = _touch(campaign, mandatory=True)

    report = touch_materialise(touch=touch)
    touch_materialise(touch=mandatory)

    assert _deliveries(touch)[person.pk].suppressed_reason == SuppressReason.BLACKOUT
    assert report.suppressed == {SuppressReason.BLACKOUT: 1}
    assert _deliveries(mandatory)[person.pk].status == DeliveryStatus.PENDING


def test_it_records_the_weekly_cap_as_suppressed_never_drops_it() -> None:
    DeliverySettings.objects.create(pk=1, weekly_cap=2)
    [person] = make_people(1)
    campaign = _campaign()
    days = [-9, -5, -1]  # the first is more than 7 days before: it does not count
    for offset in days:
        earlier = _touch(campaign, send_at=MONDAY + dt.timedelta(days=offset))
        touch_materialise(touch=earlier)
    touch = _touch(campaign)
    mandatory = _touch(campaign, mandatory=True, send_at=MONDAY + dt.timedelta(hours=1))

    touch_materialise(touch=touch)
    touch_materialise(touch=mandatory)

    row = _deliveries(touch)[person.pk]
    assert (row.status, row.suppressed_reason) == (
        DeliveryStatus.SUPPRESSED,
        SuppressReason.FREQUENCY_CAP,
    )
    assert _deliveries(mandatory)[person.pk].status == DeliveryStatus.PENDING


def test_the_weekly_cap_counts_only_what_went_or_goes_out() -> None:
    DeliverySettings.objects.create(pk=1, weekly_cap=1)
    [person] = make_people(1)
    campaign = _campaign()
    earlier = _touch(campaign, send_at=MONDAY - dt.timedelta(days=2))
    touch_materialise(touch=earlier)
    Delivery.objects.filter(touch=earlier).update(status=DeliveryStatus.FAILED)
    touch = _touch(campaign)

    touch_materialise(touch=touch)

    assert _deliveries(touch)[person.pk].status == DeliveryStatus.PENDING


def test_a_local_time_touch_is_due_at_the_send_time_on_each_readers_clock() -> None:
    [amsterdam] = make_people(1, time_zone="Europe/Amsterdam")
    [new_york] = make_people(1, time_zone="America/New_York")
    [nowhere] = make_people(1, time_zone="Mars/Olympus_Mons")
    touch = _touch(local_time=True, send_time=dt.time(9, 30))

    touch_materialise(touch=touch)

    rows = _deliveries(touch)
    assert rows[amsterdam.pk].due_at == dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    assert rows[new_york.pk].due_at == dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
    # An unknown zone falls back to the organisation's default zone.
    assert rows[nowhere.pk].due_at == rows[amsterdam.pk].due_at


def test_it_moves_a_message_out_of_the_readers_quiet_hours_unless_mandatory() -> None:
    [person] = make_people(1, time_zone="Europe/Amsterdam")
    late = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)  # 22:00 in Amsterdam
    campaign = _campaign()
    touch = _touch(campaign, send_at=late)
    mandatory = _touch(campaign, send_at=late, mandatory=True)

    touch_materialise(touch=touch)
    touch_materialise(touch=mandatory)

    # 07:00 the next morning in Amsterdam.
    assert _deliveries(touch)[person.pk].due_at == dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)
    assert _deliveries(mandatory)[person.pk].due_at == late


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition.NOT_OPENED, {"none"}),
        (Condition.OPENED, {"opened", "clicked"}),
        (Condition.CLICKED, {"clicked"}),
        (Condition.NOT_CLICKED, {"none", "opened"}),
    ],
)
def test_a_condition_reads_what_people_did_with_the_earlier_touch(
    condition: str, expected: set[str]
) -> None:
    people = dict(zip(["none", "opened", "clicked"], make_people(3), strict=True))
    campaign = _campaign()
    first = _touch(campaign)
    touch_materialise(touch=first)
    Delivery.objects.filter(touch=first, person=people["opened"]).update(opened_at=MONDAY)
    # Images blocked: a click without an open still counts as having opened it.
    Delivery.objects.filter(touch=first, person=people["clicked"]).update(clicked_at=MONDAY)
    follow_up = _touch(
        campaign, condition=condition, condition_touch=first, send_at=MONDAY + dt.timedelta(days=3)
    )

    touch_materialise(touch=follow_up)

    names = {name for name, p in people.items() if p.pk in _deliveries(follow_up)}
    assert names == expected


def test_a_condition_without_a_named_touch_reads_the_previous_one() -> None:
    people = make_people(2)
    campaign = _campaign()
    first = _touch(campaign)
    touch_materialise(touch=first)
    Delivery.objects.filter(touch=first, person=people[0]).update(opened_at=MONDAY)
    follow_up = _touch(campaign, condition=Condition.NOT_OPENED)

    assert list(touch_recipients(touch=follow_up)) == [people[1]]


def test_a_channel_post_is_one_delivery_without_a_person() -> None:
    make_people(3)
    touch = _touch(kind=ChannelKind.TEAMS)

    touch_materialise(touch=touch)

    [row] = Delivery.objects.filter(touch=touch)
    assert row.person_id is None
    assert row.status == DeliveryStatus.PENDING
    assert ".post.0." in row.message_id


def test_it_picks_each_readers_variant_by_language_and_persona() -> None:
    [dutch, english, preferred] = make_people(3, language="nl")
    Person.objects.filter(pk=english.pk).update(language="en")
    Preference.objects.create(person=preferred, language="fy")
    touch = _touch()
    fallback = touch.variants.get()
    nl = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="Hallo")
    fy = Variant.objects.create(touch=touch, language="fy", subject="Hoi", body="Goeie")

    touch_materialise(touch=touch)

    rows = _deliveries(touch)
    assert rows[dutch.pk].variant_id == nl.pk
    assert rows[english.pk].variant_id == fallback.pk
    assert rows[preferred.pk].variant_id == fy.pk


def test_a_persona_variant_goes_to_the_personas_members() -> None:
    [seller] = make_people(1, site="Leeuwarden")
    [other] = make_people(1, site="Sneek")
    persona = Persona.objects.create(
        name="Field sellers", audience=make_audience('site = "Leeuwarden"')
    )
    touch = _touch()
    fallback = touch.variants.get()
    special = Variant.objects.create(
        touch=touch, language="", persona=persona, subject="For you", body="Yes"
    )

    touch_materialise(touch=touch)

    rows = _deliveries(touch)
    assert rows[seller.pk].variant_id == special.pk
    assert rows[other.pk].variant_id == fallback.pk


@pytest.mark.django_db(transaction=True)
def test_two_workers_writing_the_same_touch_at_once_write_it_once(tmp_path: Path) -> None:
    people = make_people(3000)
    touch = _touch()
    start = threading.Barrier(2)
    reports: list[MaterialiseReport] = []

    def write() -> None:
        start.wait()
        try:
            reports.append(touch_materialise(touch=Touch.objects.get(pk=touch.pk)))
        finally:
            connection.close()

    with shared_database(tmp_path):
        threads = [threading.Thread(target=write) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        persons = list(Delivery.objects.filter(touch=touch).values_list("person_id", flat=True))

    assert len(reports) == 2
    assert sorted(persons) == sorted(p.pk for p in people)


@pytest.mark.parametrize(
    ("touch_fields", "campaign_status"),
    [
        ({"cancelled_at": MONDAY}, CampaignStatus.RUNNING),
        ({"approval_status": "pending"}, CampaignStatus.RUNNING),
        ({}, CampaignStatus.CANCELLED),
    ],
    ids=["touch-cancelled", "approval-withdrawn", "campaign-cancelled"],
)
def test_it_writes_nothing_for_a_touch_stopped_after_the_scheduler_picked_it(
    touch_fields: dict[str, Any], campaign_status: str
) -> None:
    make_people(3)
    touch = _touch()  # as the scheduler loaded it, before the cancel
    Touch.objects.filter(pk=touch.pk).update(**touch_fields)
    Campaign.objects.filter(pk=touch.campaign_id).update(status=campaign_status)

    report = touch_materialise(touch=touch)

    assert report.skipped
    assert not Delivery.objects.filter(touch=touch).exists()
    touch.refresh_from_db()
    assert touch.materialised_at is None
