"""Recording events: funnel state moves forward, never back; robots are kept but never
counted; a batch costs a handful of queries whatever its size."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inward.analytics.events import record_events
from inward.analytics.models import EngagementEvent, EventKind, FunnelStage, RecipientFunnel
from inward.analytics.tests.ingest_fixtures import (
    T0,
    deliver,
    event,
    funnel,
    learning,
    make_offering,
    on_touch,
    promoting,
    stage_of,
)

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def test_it_stores_every_event_and_says_how_many() -> None:
    setup = promoting(None, people=1)
    delivery = deliver(setup.touches[0], setup.people[0], at=T0)

    stored = record_events(
        [
            on_touch(EventKind.DELIVERED, delivery, T0),
            on_touch(EventKind.OPENED, delivery, T0 + H, detail={"note": "ü"}),
        ]
    )

    assert stored == 2
    opened = EngagementEvent.objects.get(kind=EventKind.OPENED)
    assert opened.delivery_id == delivery.pk and opened.touch_id == setup.touches[0].pk
    assert opened.detail == {"note": "ü"} and opened.occurred_at == T0 + H
    assert record_events([]) == 0


def test_it_moves_the_recipient_forward_and_keeps_the_first_time_of_each_stage() -> None:
    setup = promoting(None, people=1)
    [person] = setup.people
    delivery = deliver(setup.touches[0], person, at=T0)

    record_events([on_touch(EventKind.DELIVERED, delivery, T0)])
    assert stage_of(setup.campaign, person) == FunnelStage.REACHED
    record_events([on_touch(EventKind.CLICKED, delivery, T0 + 3 * H)])
    record_events([on_touch(EventKind.OPENED, delivery, T0 + 2 * H)])  # earlier, arrives later
    record_events([on_touch(EventKind.DELIVERED, delivery, T0 + 5 * H)])  # a lower stage

    row = funnel(setup.campaign, person)
    assert row is not None
    assert row.stage == FunnelStage.ENGAGED
    assert (row.reached_at, row.engaged_at) == (T0, T0 + 2 * H)
    assert row.last_touch_id == setup.touches[0].pk
    assert row.department_id == person.department_id and row.site_id == person.site_id


def test_it_keeps_robots_and_events_without_a_person_but_counts_neither() -> None:
    setup = promoting(None, people=1)
    [person] = setup.people
    delivery = deliver(setup.touches[0], person, at=T0)

    record_events(
        [
            on_touch(EventKind.OPENED, delivery, T0 + H, robot=True, detail={"robot": "x"}),
            event(EventKind.OPENED, None, T0 + H, campaign_id=setup.campaign.pk),
        ]
    )

    assert EngagementEvent.objects.count() == 2
    assert EngagementEvent.objects.filter(robot=True).count() == 1
    assert not RecipientFunnel.objects.exists()


def test_it_costs_the_same_few_queries_for_ten_events_as_for_a_thousand() -> None:
    offering = make_offering()
    setup = promoting(offering, people=50)
    deliveries = [deliver(setup.touches[0], p, at=T0) for p in setup.people]

    def batch(size: int, start: dt.datetime) -> list[Any]:
        found = []
        for n in range(size):
            delivery = deliveries[n % len(deliveries)]
            kind = [EventKind.DELIVERED, EventKind.OPENED, EventKind.CLICKED][n % 3]
            found.append(on_touch(kind, delivery, start + dt.timedelta(seconds=n)))
            if n % 10 == 0:
                found.append(learning(EventKind.ENROLLED, delivery.person, offering, start))
        return found

    with CaptureQueriesContext(connection) as small:
        record_events(batch(10, T0 + H))
    with CaptureQueriesContext(connection) as large:
        record_events(batch(1000, T0 + 2 * H))

    # insert (2 chunks of 500), touchpoints, attributions, funnel upsert, savepoints
    assert len(large.captured_queries) <= len(small.captured_queries) + 2 <= 10
    assert EngagementEvent.objects.count() == 10 + 1 + 1000 + 100


def test_it_makes_a_row_for_a_recipient_it_did_not_know() -> None:
    setup = promoting(None, people=1)
    [person] = setup.people
    delivery = deliver(setup.touches[0], person, at=T0)
    assert funnel(setup.campaign, person) is None

    record_events([on_touch(EventKind.READ, delivery, T0 + H)])

    row = funnel(setup.campaign, person)
    assert row is not None and row.stage == FunnelStage.ENGAGED
    assert row.language == person.language and row.first_touch_id == setup.touches[0].pk
    assert row.reached_at == row.engaged_at == T0 + H  # reached at the latest then


def test_it_credits_an_enrolment_to_the_campaign_that_reached_the_person() -> None:
    offering = make_offering()
    setup = promoting(offering, people=1)
    other = promoting(make_offering(), people=setup.people)  # promotes something else
    [person] = setup.people
    for touch in (*setup.touches, *other.touches):
        deliver(touch, person, at=T0)

    record_events([learning(EventKind.ENROLLED, person, offering, T0 + H)])
    record_events([learning(EventKind.COMPLETED, person, offering, T0 + 9 * H)])

    row = funnel(setup.campaign, person)
    assert row is not None and row.stage == FunnelStage.COMPLETED
    assert (row.acted_at, row.completed_at) == (T0 + H, T0 + 9 * H)
    assert funnel(other.campaign, person) is None


def test_it_moves_everyone_who_recommends_to_advocated_in_campaigns_that_reached_them() -> None:
    offering = make_offering()
    setup = promoting(offering, people=2)
    reached, unreached = setup.people
    deliver(setup.touches[0], reached, at=T0)
    deliver(setup.touches[0], unreached, at=None)  # pending: never reached

    record_events(
        [
            learning(EventKind.RECOMMENDED, reached, offering, T0 + 40 * 24 * H),  # any time
            learning(EventKind.RECOMMENDED, unreached, offering, T0 + H),
        ]
    )

    assert stage_of(setup.campaign, reached) == FunnelStage.ADVOCATED
    assert stage_of(setup.campaign, unreached) is None
