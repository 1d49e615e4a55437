"""Attribution at ingest: first, last and linear credit over the touches delivered in the
window before an enrolment or completion; retracting a voided statement's events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inward.analytics.events import record_events, retract_statement_events
from inward.analytics.models import (
    Attribution,
    AttributionModel,
    EngagementEvent,
    EventKind,
    FunnelStage,
)
from inward.analytics.tests.ingest_fixtures import (
    T0,
    deliver,
    funnel,
    learning,
    make_offering,
    on_touch,
    promoting,
    stage_of,
)
from inward.delivery.models import DeliveryStatus

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def credit(model: str) -> dict[tuple[int, int], float]:
    """(campaign, touch) → weight under ``model``."""
    found: dict[tuple[int, int], float] = defaultdict(float)
    for row in Attribution.objects.filter(model=model):
        assert row.touch_id is not None
        found[(row.campaign_id, row.touch_id)] += row.weight
    return dict(found)


def test_it_gives_first_last_and_linear_credit_over_the_touches_in_the_window() -> None:
    offering = make_offering()
    setup = promoting(offering, people=1, touches=3)
    [person] = setup.people
    first, middle, last = setup.touches
    deliver(first, person, at=T0)
    deliver(middle, person, at=T0 + DAY)
    deliver(last, person, at=T0 + 2 * DAY)
    c = setup.campaign.pk

    record_events([learning(EventKind.ENROLLED, person, offering, T0 + 3 * DAY)])

    assert credit(AttributionModel.FIRST) == {(c, first.pk): 1.0}
    assert credit(AttributionModel.LAST) == {(c, last.pk): 1.0}
    linear = credit(AttributionModel.LINEAR)
    assert linear.keys() == {(c, t.pk) for t in setup.touches}
    assert sum(linear.values()) == pytest.approx(1.0)
    row = Attribution.objects.filter(model=AttributionModel.FIRST).get()
    event = EngagementEvent.objects.get(kind=EventKind.ENROLLED)
    assert (row.event_id, row.person_id, row.offering_id) == (event.pk, person.pk, offering.pk)
    assert (row.kind, row.occurred_at) == (EventKind.ENROLLED, T0 + 3 * DAY)


def test_it_counts_touches_delivered_exactly_at_either_edge_of_the_window(settings: Any) -> None:
    settings.INWARD_ATTRIBUTION_WINDOW_DAYS = 30
    offering = make_offering()
    setup = promoting(offering, people=1, touches=4)
    [person] = setup.people
    at = T0 + 60 * DAY
    edge_early, too_early, edge_late, after = setup.touches
    deliver(edge_early, person, at=at - 30 * DAY)
    deliver(too_early, person, at=at - 30 * DAY - dt.timedelta(seconds=1))
    deliver(edge_late, person, at=at)
    deliver(after, person, at=at + dt.timedelta(seconds=1))

    record_events([learning(EventKind.STARTED, person, offering, at)])

    touches = {t for _, t in credit(AttributionModel.LINEAR)}
    assert touches == {edge_early.pk, edge_late.pk}


def test_it_gives_no_credit_for_messages_that_were_not_delivered() -> None:
    offering = make_offering()
    setup = promoting(offering, people=1, touches=2)
    [person] = setup.people
    deliver(setup.touches[0], person, at=T0, status=DeliveryStatus.FAILED)
    deliver(setup.touches[1], person, at=None)

    record_events([learning(EventKind.ENROLLED, person, offering, T0 + DAY)])

    assert not Attribution.objects.exists()
    assert funnel(setup.campaign, person) is None


def test_it_shares_one_credit_between_campaigns_promoting_the_same_offering() -> None:
    offering = make_offering()
    one = promoting(offering, people=1, touches=1)
    [person] = one.people
    two = promoting(offering, people=[person], touches=2)
    deliver(two.touches[0], person, at=T0)
    deliver(one.touches[0], person, at=T0 + DAY)
    deliver(two.touches[1], person, at=T0 + 2 * DAY)

    record_events([learning(EventKind.PASSED, person, offering, T0 + 3 * DAY)])

    assert credit(AttributionModel.FIRST) == {(two.campaign.pk, two.touches[0].pk): 1.0}
    assert credit(AttributionModel.LAST) == {(two.campaign.pk, two.touches[1].pk): 1.0}
    linear = credit(AttributionModel.LINEAR)
    assert linear[(one.campaign.pk, one.touches[0].pk)] == pytest.approx(1 / 3)
    # Both campaigns' recipients completed: credited under some model.
    assert stage_of(one.campaign, person) == stage_of(two.campaign, person) == 4


def test_it_takes_back_a_voided_statement_and_recomputes_the_funnel() -> None:
    offering = make_offering()
    setup = promoting(offering, people=1, touches=1)
    [person] = setup.people
    delivery = deliver(setup.touches[0], person, at=T0)
    voided, kept = uuid.uuid4(), uuid.uuid4()
    record_events([on_touch(EventKind.DELIVERED, delivery, T0)])
    record_events(
        [
            _with_statement(learning(EventKind.ENROLLED, person, offering, T0 + DAY), kept),
            _with_statement(learning(EventKind.COMPLETED, person, offering, T0 + 2 * DAY), voided),
        ]
    )
    assert stage_of(setup.campaign, person) == FunnelStage.COMPLETED

    assert retract_statement_events([voided, uuid.uuid4()]) == 1

    row = funnel(setup.campaign, person)
    assert row is not None and row.stage == FunnelStage.ACTED
    assert (row.reached_at, row.acted_at, row.completed_at) == (T0, T0 + DAY, None)
    assert set(Attribution.objects.values_list("kind", flat=True)) == {EventKind.ENROLLED}
    assert not EngagementEvent.objects.filter(statement_id=voided).exists()
    assert retract_statement_events([voided]) == 0


def _with_statement(event: Any, statement_id: uuid.UUID) -> Any:
    from dataclasses import replace

    return replace(event, statement_id=statement_id)


@settings(max_examples=25, deadline=None)
@given(
    sends=st.lists(st.integers(min_value=0, max_value=80), min_size=1, max_size=5),
    enrolled=st.integers(min_value=0, max_value=90),
)
def test_its_weights_add_up_to_one_per_event_and_model(sends: list[int], enrolled: int) -> None:
    Attribution.objects.all().delete()
    offering = make_offering()
    setup = promoting(offering, people=1, touches=len(sends))
    [person] = setup.people
    for touch, day in zip(setup.touches, sends, strict=True):
        deliver(touch, person, at=T0 + day * DAY)

    record_events([learning(EventKind.ENROLLED, person, offering, T0 + enrolled * DAY)])

    in_window = [d for d in sends if enrolled - 30 <= d <= enrolled]
    for model in AttributionModel.values:
        weights = list(Attribution.objects.filter(model=model).values_list("weight", flat=True))
        assert sum(weights) == pytest.approx(1.0 if in_window else 0.0)
    first = Attribution.objects.filter(model=AttributionModel.FIRST).first()
    if in_window:
        assert first is not None and first.touch is not None
        assert first.touch.deliveries.get().sent_at == T0 + min(in_window) * DAY


@pytest.mark.parametrize("together", [True, False])
def test_several_records_of_one_enrolment_are_credited_once(together: bool) -> None:
    """An LMS sends "registered" and then "launched" (and "completed" then "passed"):
    one enrolment and one completion are credited, in one batch or in several."""
    offering = make_offering()
    setup = promoting(offering, people=1, touches=1)
    [person] = setup.people
    [touch] = setup.touches
    deliver(touch, person, at=T0)
    events = [
        learning(EventKind.ENROLLED, person, offering, T0 + DAY),
        learning(EventKind.STARTED, person, offering, T0 + DAY + dt.timedelta(minutes=5)),
        learning(EventKind.COMPLETED, person, offering, T0 + 9 * DAY),
        learning(EventKind.PASSED, person, offering, T0 + 9 * DAY + dt.timedelta(seconds=1)),
    ]
    if together:
        record_events(events)
    else:
        for event in events:
            record_events([event])

    credited = Attribution.objects.filter(model=AttributionModel.LAST)
    assert sorted(credited.values_list("kind", flat=True)) == [
        EventKind.COMPLETED,
        EventKind.ENROLLED,
    ]
    assert stage_of(setup.campaign, person) == FunnelStage.COMPLETED


def test_an_enrolment_after_the_window_of_the_last_one_is_credited_again(settings: Any) -> None:
    settings.INWARD_ATTRIBUTION_WINDOW_DAYS = 30
    offering = make_offering()
    setup = promoting(offering, people=1, touches=2)
    [person] = setup.people
    early, late = setup.touches
    deliver(early, person, at=T0)
    deliver(late, person, at=T0 + 60 * DAY)
    record_events([learning(EventKind.ENROLLED, person, offering, T0 + DAY)])
    record_events([learning(EventKind.ENROLLED, person, offering, T0 + 61 * DAY)])

    assert credit(AttributionModel.LAST) == {
        (setup.campaign.pk, early.pk): 1.0,
        (setup.campaign.pk, late.pk): 1.0,
    }
