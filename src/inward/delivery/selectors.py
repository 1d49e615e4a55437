"""Reads about the outbox: how far a campaign's deliveries have come."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from inward.campaigns.models import Campaign, Touch
from inward.delivery.models import Delivery, DeliveryStatus

# Statuses that will not change any more.
FINISHED = (
    DeliveryStatus.SENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.SUPPRESSED,
    DeliveryStatus.CANCELLED,
)


def _zeros() -> dict[str, int]:
    return dict.fromkeys(DeliveryStatus.values, 0)


def delivery_counts(
    *, campaign: Campaign | None = None, touch: Touch | None = None
) -> dict[str, int]:
    """How many deliveries are in each status (every status present, zeros included), for
    one touch, one campaign, or everything. One query."""
    rows = Delivery.objects.order_by()
    if touch is not None:
        rows = rows.filter(touch=touch)
    if campaign is not None:
        rows = rows.filter(touch__campaign=campaign)
    counts = _zeros()
    for status, n in rows.values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts


@dataclass(frozen=True)
class TouchProgress:
    touch_id: int
    name: str
    scheduled_at: dt.datetime | None
    materialised: bool
    counts: dict[str, int]
    opened: int
    clicked: int


@dataclass(frozen=True)
class CampaignProgress:
    """A campaign's outbox at a glance: counts per status overall and per touch.
    ``finished`` counts deliveries that will not change any more; ``percent`` is their
    share of all deliveries written so far (100 when there are none)."""

    counts: dict[str, int]
    total: int
    finished: int
    opened: int
    clicked: int
    touches: list[TouchProgress] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.finished * 100 // self.total


def campaign_progress(*, campaign: Campaign) -> CampaignProgress:
    """Per-touch and overall delivery counts of ``campaign``, in two queries."""
    touches = list(
        campaign.touches.order_by("position", "id").values(
            "id", "name", "scheduled_at", "materialised_at"
        )
    )
    per_touch: dict[int, dict[str, int]] = {t["id"]: _zeros() for t in touches}
    engaged: dict[int, tuple[int, int]] = {}
    rows = (
        Delivery.objects.filter(touch__campaign=campaign)
        .order_by()
        .values("touch_id", "status")
        .annotate(
            n=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    )
    for row in rows:
        per_touch.setdefault(row["touch_id"], _zeros())[row["status"]] = row["n"]
        opened, clicked = engaged.get(row["touch_id"], (0, 0))
        engaged[row["touch_id"]] = (opened + row["opened"], clicked + row["clicked"])
    progress = [
        TouchProgress(
            touch_id=t["id"],
            name=t["name"],
            scheduled_at=t["scheduled_at"],
            materialised=t["materialised_at"] is not None,
            counts=per_touch[t["id"]],
            opened=engaged.get(t["id"], (0, 0))[0],
            clicked=engaged.get(t["id"], (0, 0))[1],
        )
        for t in touches
    ]
    counts = _zeros()
    for touch_counts in per_touch.values():
        for status, n in touch_counts.items():
            counts[status] += n
    return CampaignProgress(
        counts=counts,
        total=sum(counts.values()),
        finished=sum(counts[s] for s in FINISHED),
        opened=sum(t.opened for t in progress),
        clicked=sum(t.clicked for t in progress),
        touches=progress,
    )


def channel_recent_sends(*, channel_id: int, since: dt.datetime, now: dt.datetime) -> int:
    """Messages on a channel sent since ``since``, plus those a live lease is sending now:
    what a sliding-window rate limit counts."""
    return (
        Delivery.objects.filter(channel_id=channel_id)
        .filter(
            Q(status=DeliveryStatus.SENT, sent_at__gte=since)
            | Q(status=DeliveryStatus.SENDING, lease_expires_at__gte=now)
        )
        .count()
    )
