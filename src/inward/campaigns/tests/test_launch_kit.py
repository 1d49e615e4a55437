from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils.html import escape

from inward.campaigns import services
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import KitRole, Recipients, Timing
from inward.campaigns.rendering import compile_variant, message_context
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people
from inward.delivery.models import ChannelKind

pytestmark = pytest.mark.django_db
LAUNCH = dt.datetime(2031, 9, 15, 7, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam


@pytest.fixture
def external(manager_user: Any) -> Any:
    return services.external_campaign_create(
        actor=manager_user, slug="app-2", name="App {2}", launch_at=LAUNCH
    )


def test_it_generates_the_four_touches_timed_from_the_launch(
    manager_user: Any, external: Any
) -> None:
    email, calendar = make_channel(ChannelKind.EMAIL), make_channel(ChannelKind.CALENDAR)
    feed = make_channel(ChannelKind.INTRANET)
    campaign = make_campaign(time_zone="Europe/Amsterdam")
    touches = services.launch_kit_generate(actor=manager_user, campaign=campaign, external=external)
    campaign.refresh_from_db()
    assert campaign.external_campaign == external
    summary = [(t.kit_role, t.channel, t.scheduled_at.date()) for t in touches]  # type: ignore[union-attr]
    assert summary == [
        (KitRole.EARLY_WARNING, email, dt.date(2031, 9, 8)),
        (KitRole.MANAGER_BRIEFING, calendar, dt.date(2031, 9, 12)),
        (KitRole.LAUNCH_DAY, feed, dt.date(2031, 9, 15)),
        (KitRole.FEEDBACK, email, dt.date(2031, 9, 22)),
    ]
    briefing = touches[1]
    assert briefing.recipients == Recipients.MANAGERS
    assert briefing.event_starts_at is not None and briefing.event_ends_at is not None
    assert all(t.timing == Timing.EXTERNAL_LAUNCH for t in touches)
    words = briefing.variants.get(language="", persona=None)
    assert "Talking points" in words.body


@pytest.mark.parametrize("name", ["App {2}", "Sale {{ 50% }} {% now %} {# x #}", "}{"])
def test_it_keeps_braces_in_the_launch_name_as_plain_words(manager_user: Any, name: str) -> None:
    make_channel(ChannelKind.EMAIL)
    external = services.external_campaign_create(
        actor=manager_user, slug="braces", name=name, launch_at=LAUNCH
    )
    touches = services.launch_kit_generate(
        actor=manager_user, campaign=make_campaign(), external=external
    )
    person = make_people(1)[0]
    for touch in touches:
        words = touch.variants.get(language="", persona=None)
        message = compile_variant(subject=words.subject, body=words.body).render(
            message_context(person=person)
        )
        assert name in message.subject and "&#" not in message.subject
        assert name in message.text
        assert escape(name) in message.html


def test_it_adds_nothing_when_generated_twice(manager_user: Any, external: Any) -> None:
    make_channel(ChannelKind.EMAIL)
    campaign = make_campaign()
    services.launch_kit_generate(actor=manager_user, campaign=campaign, external=external)
    assert (
        services.launch_kit_generate(actor=manager_user, campaign=campaign, external=external) == []
    )
    assert campaign.touches.count() == 4


def test_it_moves_the_kit_when_the_launch_moves(manager_user: Any, external: Any) -> None:
    make_channel(ChannelKind.EMAIL)
    make_channel(ChannelKind.CALENDAR)
    campaign = make_campaign()
    touches = services.launch_kit_generate(actor=manager_user, campaign=campaign, external=external)
    briefing_start = touches[1].event_starts_at
    services.external_campaign_move(
        actor=manager_user, external=external, launch_at=LAUNCH + dt.timedelta(days=14)
    )
    for touch in touches:
        before = touch.scheduled_at
        touch.refresh_from_db()
        assert touch.scheduled_at - before == dt.timedelta(days=14)  # type: ignore[operator]
    assert touches[1].event_starts_at - briefing_start == dt.timedelta(days=14)  # type: ignore[operator]


def test_it_needs_a_channel(manager_user: Any, external: Any) -> None:
    with pytest.raises(CampaignError) as caught:
        services.launch_kit_generate(
            actor=manager_user, campaign=make_campaign(), external=external
        )
    assert caught.value.code == "no_channel"
