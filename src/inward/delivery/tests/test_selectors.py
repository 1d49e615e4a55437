"""Reads about the outbox: progress per touch, with small groups hidden."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from inward.campaigns.models import Campaign, CampaignStatus
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import Delivery
from inward.delivery.selectors import (
    campaign_progress,
    counts_for_viewer,
    small_hidden,
    viewer_minimum,
)

pytestmark = pytest.mark.django_db


def sent_to(campaign: Campaign, sizes: list[int], *, opened: int = 0) -> None:
    """One touch per size, each sent to that many people; the first ``opened`` of every
    touch opened it."""
    channel = make_channel()
    people = make_people(max(sizes))
    for size in sizes:
        touch = make_touch(campaign, channel)
        for n, person in enumerate(people[:size]):
            Delivery.objects.create(
                touch=touch, channel=channel, person=person, due_at=timezone.now(),
                status="sent", message_id=f"<{touch.pk}.{n}@example.com>",
                opened_at=timezone.now() if n < opened else None,
            )  # fmt: skip


def test_it_hides_the_opens_of_a_touch_sent_to_fewer_than_the_minimum() -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    sent_to(campaign, [5, 1])
    progress = campaign_progress(campaign=campaign, minimum=5)
    first, second = progress.touches
    # The first touch's 5 sent would give the second's 1 away beside the total of 6.
    assert (first.opened, first.clicked, first.counts["sent"]) == (0, 0, None)
    assert (second.opened, second.clicked, second.counts["sent"]) == (None, None, None)
    assert (progress.total, progress.counts["sent"], progress.percent) == (6, 6, 100)
    assert progress.suppressed


def test_it_hides_small_open_counts_and_every_count_of_a_tiny_audience() -> None:
    campaign = make_campaign(status=CampaignStatus.RUNNING)
    sent_to(campaign, [1], opened=1)
    progress = campaign_progress(campaign=campaign, minimum=5)
    assert (progress.total, progress.finished, progress.percent) == (None, None, None)
    assert (progress.opened, progress.clicked) == (None, None)
    exact = campaign_progress(campaign=campaign)
    assert (exact.total, exact.opened, exact.percent, exact.suppressed) == (1, 1, 100, False)


def test_it_keeps_zero_and_large_counts() -> None:
    counts = {"sent": 12, "failed": 0, "pending": 30, "suppressed": 4}
    assert counts_for_viewer(counts, minimum=5) == {
        "sent": None,  # hidden too: 12 beside the total of 46 would give the 4 away
        "failed": 0,
        "pending": 30,
        "suppressed": None,
    }
    assert counts_for_viewer(counts, minimum=1) == counts


def test_no_hidden_count_can_be_worked_out_from_the_shown_ones() -> None:
    """Whatever the counts, a lone hidden cell never sits beside a known total."""
    for counts in (
        {"sent": 40, "failed": 2, "suppressed": 0, "pending": 0},
        {"sent": 40, "failed": 2, "suppressed": 3, "pending": 9},
        {"sent": 1, "failed": 0, "suppressed": 0, "pending": 0},
    ):
        shown = counts_for_viewer(counts, minimum=5)
        hidden = [status for status, value in shown.items() if value is None]
        total_known = small_hidden(sum(counts.values()), minimum=5) is not None
        assert len(hidden) != 1 or not total_known


def test_it_shows_admins_exact_numbers_and_others_the_minimum(
    admin_user: Any, manager_user: Any, channel_owner_user: Any, settings: Any
) -> None:
    settings.INWARD_MIN_GROUP_SIZE = 7
    assert viewer_minimum(admin_user) == 1
    assert viewer_minimum(manager_user) == viewer_minimum(channel_owner_user) == 7
