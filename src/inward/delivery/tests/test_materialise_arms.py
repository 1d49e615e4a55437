"""A/B tests: a touch with several test versions of its words splits its readers."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from inward.campaigns.models import CampaignStatus, Touch, Variant
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.campaigns.variants import variant_for
from inward.delivery.materialise import touch_materialise
from inward.delivery.models import ChannelKind, Delivery

pytestmark = pytest.mark.django_db
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _ab_touch() -> tuple[Touch, Variant, Variant]:
    campaign = make_campaign(
        audience=make_audience('department = "Sales"'), status=CampaignStatus.SCHEDULED
    )
    touch = make_touch(campaign, make_channel(ChannelKind.EMAIL), send_at=MONDAY)
    a = touch.variants.get()
    Variant.objects.filter(pk=a.pk).update(arm="A")
    b = Variant.objects.create(touch=touch, language="", arm="B", subject="B", body="Version B")
    return touch, a, b


def _chosen(touch: Touch) -> dict[int | None, int | None]:
    rows = Delivery.objects.filter(touch=touch).values_list("person_id", "variant_id")
    return dict(rows)


def test_readers_of_an_ab_touch_split_roughly_evenly_over_the_versions() -> None:
    make_people(200)
    touch, a, b = _ab_touch()

    touch_materialise(touch=touch, batch_size=37)

    counts = Counter(_chosen(touch).values())
    assert set(counts) == {a.pk, b.pk}
    assert 65 < counts[a.pk] < 135  # 100 ± 4.9 standard deviations


def test_the_same_reader_always_gets_the_same_version() -> None:
    make_people(60)
    touch, _a, _b = _ab_touch()
    touch_materialise(touch=touch)
    first = _chosen(touch)
    Delivery.objects.filter(touch=touch).delete()
    Touch.objects.filter(pk=touch.pk).update(materialised_at=None)

    touch_materialise(touch=touch, batch_size=7)

    assert _chosen(touch) == first


def test_it_gives_each_reader_the_version_the_preview_shows_them() -> None:
    people = make_people(30)
    touch, _a, _b = _ab_touch()

    touch_materialise(touch=touch)

    variants = list(touch.variants.all())
    chosen = _chosen(touch)
    for person in people:
        shown = variant_for(
            variants, language=person.language, persona_id=None, split_key=f"{touch.pk}:{person.pk}"
        )
        assert chosen[person.pk] == shown.pk


def test_a_language_version_without_arms_is_not_split() -> None:
    people = make_people(20, language="nl")
    touch, _a, _b = _ab_touch()
    dutch = Variant.objects.create(touch=touch, language="nl", subject="Hoi", body="Hallo")

    touch_materialise(touch=touch)

    assert set(_chosen(touch).values()) == {dutch.pk}
    assert len(_chosen(touch)) == len(people)
