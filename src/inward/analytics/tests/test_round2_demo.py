"""Round 2: the finished demo campaign keeps on its deliveries what the tracking would
have kept (first open or read, first click, when written), so a person's record and the
touch rows agree with its events; and its persona breakdown is "Not known" because the
campaign was written for no persona."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db.models import Min

from inward.analytics.demo import SLUG
from inward.analytics.models import EngagementEvent, EventKind, RecipientFunnel
from inward.analytics.selectors import funnel_report
from inward.campaigns.models import Campaign, Variant
from inward.delivery.models import Delivery
from inward.directory.demo import demo_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign() -> Campaign:
    demo_build(people=300)
    return Campaign.objects.get(slug=SLUG)


def first_times(campaign: Campaign, kinds: list[str]) -> dict[int, object]:
    rows = (
        EngagementEvent.objects.filter(campaign=campaign, kind__in=kinds, robot=False)
        .values("delivery_id")
        .annotate(at=Min("occurred_at"))
    )
    return {row["delivery_id"]: row["at"] for row in rows}


def test_demo_deliveries_carry_their_first_open_and_click(campaign: Campaign) -> None:
    opened = first_times(campaign, [EventKind.OPENED, EventKind.READ, EventKind.CLICKED])
    clicked = first_times(campaign, [EventKind.CLICKED])
    deliveries = Delivery.objects.filter(touch__campaign=campaign)

    assert opened and clicked
    assert {d.pk: d.opened_at for d in deliveries if d.opened_at} == opened
    assert {d.pk: d.clicked_at for d in deliveries if d.clicked_at} == clicked
    for delivery in deliveries:
        assert delivery.sent_at is not None
        assert delivery.created_at <= delivery.sent_at <= delivery.updated_at


def test_demo_touch_rows_count_who_engaged_with_each_touch(campaign: Campaign) -> None:
    engaged: dict[int, set[int]] = defaultdict(set)
    for touch_id, person_id in EngagementEvent.objects.filter(
        campaign=campaign, kind__in=[EventKind.OPENED, EventKind.READ, EventKind.CLICKED]
    ).values_list("touch_id", "person_id"):
        engaged[touch_id].add(person_id)

    report = funnel_report(campaign, minimum=1, breakdowns=["touch"])

    by_touch = {int(row.key): row.counts for row in report.breakdowns[0].rows}
    assert {t: counts[2] for t, counts in by_touch.items()} == {
        t: len(people) for t, people in engaged.items()
    }
    total_engaged = report.total.counts[2]
    assert total_engaged is not None
    assert all(c[2] is not None and c[2] < total_engaged for c in by_touch.values())


def test_the_demo_campaign_has_no_persona_to_record(campaign: Campaign) -> None:
    assert not campaign.personas.exists()
    assert not Variant.objects.filter(touch__campaign=campaign, persona__isnull=False).exists()
    assert not RecipientFunnel.objects.filter(campaign=campaign, persona__isnull=False).exists()
