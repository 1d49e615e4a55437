"""Funnel rows: written for everyone in the outbox when a touch is materialised, with the
dimensions copied; moved forward only, whatever order and batches events come in."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from inward.analytics.events import record_events
from inward.analytics.funnel_state import (
    ensure_funnel_rows,
    funnel_reached_backfill,
    funnel_rows_rebuild,
)
from inward.analytics.models import STAGE_OF_KIND, EventKind, FunnelStage, RecipientFunnel
from inward.analytics.tests.ingest_fixtures import T0, deliver, funnel, on_touch, promoting
from inward.audiences.models import Persona
from inward.campaigns.models import CampaignStatus, Variant
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.models import Delivery, DeliverySettings, Preference
from inward.delivery.scheduler import scheduler_tick

pytestmark = pytest.mark.django_db


def test_it_writes_a_row_per_person_with_the_dimensions_of_their_delivery() -> None:
    setup = promoting(None, people=3, touches=2)
    dutch, frisian, plain = setup.people
    touch = setup.touches[0]
    persona = Persona.objects.create(name="Managers")
    nl = Variant.objects.create(
        touch=touch, language="nl", persona=persona, subject="Hoi", body="x"
    )
    Preference.objects.create(person=frisian, language="fy")
    Delivery.objects.filter(pk=deliver(touch, dutch, at=None).pk).update(variant=nl)
    deliver(touch, frisian, at=None)
    deliver(touch, plain, at=None)

    assert ensure_funnel_rows(touch) == 3
    assert ensure_funnel_rows(touch) == 0  # twice adds nothing
    deliver(setup.touches[1], plain, at=None)
    assert ensure_funnel_rows(setup.touches[1]) == 0  # one row per campaign and person

    rows = {r.person_id: r for r in RecipientFunnel.objects.all()}
    assert (rows[dutch.pk].language, rows[dutch.pk].persona_id) == ("nl", persona.pk)
    assert rows[dutch.pk].variant_id == nl.pk
    assert (rows[frisian.pk].language, rows[frisian.pk].persona_id) == ("fy", None)
    assert rows[plain.pk].language == plain.language == "en"
    for row in rows.values():
        assert row.stage == FunnelStage.AUDIENCE and row.reached_at is None
        assert (row.first_touch_id, row.channel_id) == (touch.pk, setup.channel.pk)
        assert row.department_id is not None and row.site_id is not None


def test_the_scheduler_writes_the_rows_right_after_materialising() -> None:
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))
    people = make_people(4)
    campaign = make_campaign(audience=make_audience(), status=CampaignStatus.SCHEDULED)
    make_touch(campaign, make_channel(), send_at=timezone.now())

    scheduler_tick()

    assert Delivery.objects.count() == 4
    assert set(RecipientFunnel.objects.values_list("person_id", flat=True)) == {
        p.pk for p in people
    }


def test_it_backfills_reached_for_sent_deliveries_whose_events_were_lost() -> None:
    setup = promoting(None, people=2, touches=1)
    sent, waiting = setup.people
    deliver(setup.touches[0], sent, at=T0)
    deliver(setup.touches[0], waiting, at=None)

    assert funnel_rows_rebuild() == 0  # the touch is not materialised
    ensure_funnel_rows(setup.touches[0])
    assert funnel_reached_backfill() == 1

    row = funnel(setup.campaign, sent)
    assert row is not None and (row.stage, row.reached_at) == (FunnelStage.REACHED, T0)
    assert funnel(setup.campaign, waiting).stage == FunnelStage.AUDIENCE  # type: ignore[union-attr]


KINDS = [
    EventKind.DELIVERED,
    EventKind.OPENED,
    EventKind.CLICKED,
    EventKind.READ,
    EventKind.ACKNOWLEDGED,
    EventKind.REPLIED,
]


@settings(max_examples=30, deadline=None)
@given(
    happenings=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(min_value=0, max_value=10_000)),
        min_size=1,
        max_size=12,
    ),
    seed=st.integers(min_value=0, max_value=1000),
    cuts=st.integers(min_value=1, max_value=4),
)
def test_the_stage_is_the_furthest_and_each_time_the_earliest_in_any_order_and_batching(
    happenings: list[tuple[str, int]], seed: int, cuts: int
) -> None:
    setup = promoting(None, people=1, touches=1)
    [person] = setup.people
    delivery = deliver(setup.touches[0], person, at=T0)
    events = [on_touch(k, delivery, T0 + dt.timedelta(minutes=m)) for k, m in happenings]
    random.Random(seed).shuffle(events)
    size = max(1, len(events) // cuts)
    stages_seen = []
    for start in range(0, len(events), size):
        record_events(events[start : start + size])
        stages_seen.append(funnel(setup.campaign, person).stage)  # type: ignore[union-attr]

    assert stages_seen == sorted(stages_seen)  # never backwards
    row = funnel(setup.campaign, person)
    assert row is not None
    assert row.stage == max(STAGE_OF_KIND[k] for k, _ in happenings)
    for stage, column in ((1, "reached_at"), (2, "engaged_at")):
        minutes = [m for k, m in happenings if STAGE_OF_KIND[k] >= stage]
        expected = T0 + dt.timedelta(minutes=min(minutes)) if minutes else None
        assert getattr(row, column) == expected
