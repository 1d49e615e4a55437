"""A touch's condition rule ("only if") is read when the touch is written to the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inward.analytics.models import EngagementEvent, EventKind, EventSource
from inward.audiences.rules import RuleError
from inward.campaigns.models import Campaign, CampaignStatus, Condition, Recipients, Touch
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.materialise import touch_materialise, touch_recipients
from inward.delivery.models import Delivery
from inward.directory.models import Person, Status
from inward.learning.models import Offering, OfferingKind

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _offering() -> Offering:
    return Offering.objects.create(
        slug="leadership-101",
        title="Leadership 101",
        kind=OfferingKind.COURSE,
        activity_id="https://lms.example.com/courses/leadership-101",
    )


def _campaign(rule: str = 'department = "Sales"') -> Campaign:
    return make_campaign(
        slug="leaders", audience=make_audience(rule), status=CampaignStatus.SCHEDULED
    )


def _touch(campaign: Campaign, **fields: Any) -> Touch:
    return make_touch(campaign, make_channel(), send_at=MONDAY, **fields)


def _event(person: Person, kind: str, when: dt.datetime, **about: Any) -> None:
    EngagementEvent.objects.create(
        person=person, kind=kind, source=EventSource.XAPI, occurred_at=when, **about
    )


def _recipients(touch: Touch) -> set[int | None]:
    return set(Delivery.objects.filter(touch=touch).values_list("person_id", flat=True))


def test_someone_who_enrolled_is_not_sent_the_not_enrolled_touch() -> None:
    course = _offering()
    enrolled, completed, neither, robot = make_people(4)
    campaign = _campaign()
    reminder = _touch(campaign, condition_rule='not enrolled("leadership-101")')
    # What they did after the touch was planned, up to the moment it is sent, counts.
    _event(enrolled, EventKind.ENROLLED, MONDAY - dt.timedelta(hours=1), offering=course)
    _event(completed, EventKind.COMPLETED, MONDAY - dt.timedelta(days=3), offering=course)
    EngagementEvent.objects.create(
        person=robot,
        kind=EventKind.ENROLLED,
        source=EventSource.XAPI,
        occurred_at=MONDAY,
        offering=course,
        robot=True,
    )

    report = touch_materialise(touch=reminder, now=MONDAY)

    assert _recipients(reminder) == {neither.pk, robot.pk}
    assert report.recipients == 2


def test_the_window_counts_back_from_the_day_the_touch_is_sent() -> None:
    course = _offering()
    recent, long_ago = make_people(2)
    campaign = _campaign()
    reminder = _touch(campaign, condition_rule='not enrolled("leadership-101", 30d)')
    _event(recent, EventKind.STARTED, MONDAY - dt.timedelta(days=10), offering=course)
    _event(long_ago, EventKind.STARTED, MONDAY - dt.timedelta(days=40), offering=course)

    touch_materialise(touch=reminder, now=MONDAY)

    assert _recipients(reminder) == {long_ago.pk}


def test_the_rule_and_the_condition_on_an_earlier_touch_both_apply() -> None:
    course = _offering()
    opened_it, enrolled, neither = make_people(3)
    campaign = _campaign()
    first = _touch(campaign)
    touch_materialise(touch=first, now=MONDAY)
    Delivery.objects.filter(touch=first, person=opened_it).update(opened_at=MONDAY)
    _event(enrolled, EventKind.ENROLLED, MONDAY, offering=course)
    follow_up = _touch(
        campaign,
        condition=Condition.NOT_OPENED,
        condition_touch=first,
        condition_rule='not enrolled("leadership-101")',
    )

    touch_materialise(touch=follow_up, now=MONDAY + dt.timedelta(days=3))

    assert _recipients(follow_up) == {neither.pk}


def test_a_rule_can_name_the_campaign_itself() -> None:
    clicked, ignored = make_people(2)
    campaign = _campaign()
    first = _touch(campaign)
    _event(clicked, EventKind.CLICKED, MONDAY, campaign=campaign, touch=first)
    last_call = _touch(campaign, condition_rule='not opened("leaders")')

    assert list(touch_recipients(touch=last_call, today=MONDAY.date())) == [ignored]


def test_for_a_touch_to_managers_the_rule_is_read_for_the_managers() -> None:
    course = _offering()
    [manager, other_manager] = make_people(2, department="Management")
    reports = make_people(2)
    Person.objects.filter(pk=reports[0].pk).update(manager=manager)
    Person.objects.filter(pk=reports[1].pk).update(manager=other_manager)
    _event(manager, EventKind.COMPLETED, MONDAY, offering=course)
    _event(reports[1], EventKind.COMPLETED, MONDAY, offering=course)
    briefing = _touch(
        _campaign(),
        recipients=Recipients.MANAGERS,
        condition_rule='not completed("leadership-101")',
    )

    assert list(touch_recipients(touch=briefing, today=MONDAY.date())) == [other_manager]


def test_the_rule_does_not_drop_people_the_audience_let_in() -> None:
    _offering()
    [on_leave] = make_people(1)
    Person.objects.filter(pk=on_leave.pk).update(status=Status.ON_LEAVE)
    campaign = _campaign('department = "Sales" and status in ("active", "on_leave")')
    touch = _touch(campaign, condition_rule='not enrolled("leadership-101")')

    assert list(touch_recipients(touch=touch, today=MONDAY.date())) == [on_leave]


def test_a_rule_that_no_longer_compiles_writes_nothing() -> None:
    make_people(2)
    campaign = _campaign()
    touch = _touch(campaign, condition_rule='not enrolled("gone")')

    with pytest.raises(RuleError, match='there is no learning offering "gone"'):
        touch_materialise(touch=touch, now=MONDAY)

    touch.refresh_from_db()
    assert touch.materialised_at is None
    assert not Delivery.objects.filter(touch=touch).exists()


def test_an_empty_rule_changes_nothing() -> None:
    people = make_people(3)
    touch = _touch(_campaign(), condition_rule="  ")

    touch_materialise(touch=touch, now=MONDAY)

    assert _recipients(touch) == {p.pk for p in people}
