"""Delivery progress of a campaign: counts per state, overall and per touch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inward.accounts.access import AnyUser
from inward.campaigns.models import Campaign, CampaignStatus
from inward.delivery.models import DeliveryStatus
from inward.delivery.selectors import campaign_progress, viewer_minimum

UNDER_WAY = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)


@dataclass(frozen=True)
class StateCount:
    status: str
    label: str
    count: int | None


def progress_context(campaign: Campaign, user: AnyUser) -> dict[str, Any]:
    """``progress`` (overall and per touch), ``rows`` (each touch with its counts in
    state order), ``states`` (each state with its label and
    count, in flow order) and ``polling``: whether the page should keep asking.
    Counts too small for ``user`` to see are None (``viewer_minimum``)."""
    progress = campaign_progress(campaign=campaign, minimum=viewer_minimum(user))
    states = [
        StateCount(status, str(label), progress.counts.get(status, 0))
        for status, label in DeliveryStatus.choices
    ]
    rows = [(touch, [touch.counts.get(s.status, 0) for s in states]) for touch in progress.touches]
    return {
        "progress": progress,
        "rows": rows,
        "states": states,
        "polling": campaign.status in UNDER_WAY,
    }
