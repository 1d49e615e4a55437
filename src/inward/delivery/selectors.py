"""Reads about the outbox: how far a campaign's deliveries have come."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from inward.accounts.access import AnyUser, is_admin
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


def viewer_minimum(user: AnyUser) -> int:
    """The smallest group whose delivery counts ``user`` may see: admins see exact
    numbers (1), everyone else ``INWARD_MIN_GROUP_SIZE``: in a small audience, "1
    opened" or "1 suppressed" says what one person did."""
    return 1 if is_admin(user) else settings.INWARD_MIN_GROUP_SIZE


def small_hidden(n: int, *, minimum: int) -> int | None:
    """``n``, or None when it is 1 to ``minimum - 1``: a count that small can point at
    people (the one person who opted out, the two who opened). 0 stays 0."""
    return None if 0 < n < minimum else n


def counts_for_viewer(counts: dict[str, int], *, minimum: int) -> dict[str, int | None]:
    """``delivery_counts`` with every small count hidden (``small_hidden``); ``minimum``
    1 shows everything. When only one count is hidden, the next smallest non-zero one is
    hidden too: one hidden cell beside a known total is a subtraction away."""
    shown = {status: small_hidden(n, minimum=minimum) for status, n in counts.items()}
    if sum(value is None for value in shown.values()) == 1:
        others = sorted((n, status) for status, n in counts.items() if shown[status])
        if others:
            shown[others[0][1]] = None
    return shown


def _hide_columns(rows: list[dict[str, int | None]]) -> None:
    """Where any row hides a status, hide that status in every row that has some: the
    overall count is their sum, so one shown row could give the hidden one away."""
    hidden = {status for row in rows for status, value in row.items() if value is None}
    for row in rows:
        for status in hidden:
            if row[status]:
                row[status] = None


@dataclass(frozen=True)
class TouchProgress:
    """One touch's deliveries. A count is None when it is hidden as too small (1 to
    ``minimum - 1``); ``opened``/``clicked`` are None whenever the touch has fewer than
    ``minimum`` deliveries, since then even a 0 says something about the few."""

    touch_id: int
    name: str
    scheduled_at: dt.datetime | None
    materialised: bool
    counts: dict[str, int | None]
    opened: int | None
    clicked: int | None


@dataclass(frozen=True)
class CampaignProgress:
    """A campaign's outbox at a glance: counts per status overall and per touch.
    ``finished`` counts deliveries that will not change any more; ``percent`` is their
    share of all deliveries written so far (100 when there are none).

    Counts under ``minimum`` are None (see ``TouchProgress``); ``percent`` is None when
    the total or the finished count is; ``suppressed`` says whether anything was hidden.
    ``minimum`` 1 (the default, for admins and the console) hides nothing.
    """

    counts: dict[str, int | None]
    total: int | None
    finished: int | None
    opened: int | None
    clicked: int | None
    touches: list[TouchProgress] = field(default_factory=list)
    minimum: int = 1

    @property
    def percent(self) -> int | None:
        if self.total is None or self.finished is None:
            return None
        return 100 if not self.total else self.finished * 100 // self.total

    @property
    def suppressed(self) -> bool:
        values: list[int | None] = [self.total, self.finished, self.opened, self.clicked]
        values += self.counts.values()
        for touch in self.touches:
            values += [touch.opened, touch.clicked, *touch.counts.values()]
        return None in values


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=_zeros)
    opened: int = 0
    clicked: int = 0

    def add(self, other: _Tally) -> None:
        for status, n in other.counts.items():
            self.counts[status] += n
        self.opened += other.opened
        self.clicked += other.clicked

    def total(self) -> int:
        return sum(self.counts.values())

    def engagement(self, minimum: int) -> tuple[int | None, int | None]:
        if self.total() < minimum:
            return None, None
        return small_hidden(self.opened, minimum=minimum), small_hidden(
            self.clicked, minimum=minimum
        )


def _tallies(campaign: Campaign) -> dict[int, _Tally]:
    tallies: dict[int, _Tally] = {}
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
        tally = tallies.setdefault(row["touch_id"], _Tally())
        tally.counts[row["status"]] = row["n"]
        tally.opened += row["opened"]
        tally.clicked += row["clicked"]
    return tallies


def campaign_progress(*, campaign: Campaign, minimum: int = 1) -> CampaignProgress:
    """Per-touch and overall delivery counts of ``campaign``, in two queries, with
    counts under ``minimum`` hidden (pass ``settings.INWARD_MIN_GROUP_SIZE`` for anyone
    but admins)."""
    touches = list(
        campaign.touches.order_by("position", "id").values(
            "id", "name", "scheduled_at", "materialised_at"
        )
    )
    tallies = _tallies(campaign)
    overall = _Tally()
    progress = []
    rows = []
    for t in touches:
        tally = tallies.get(t["id"], _Tally())
        overall.add(tally)
        opened, clicked = tally.engagement(minimum)
        rows.append(counts_for_viewer(tally.counts, minimum=minimum))
        progress.append(
            TouchProgress(
                touch_id=t["id"], name=t["name"], scheduled_at=t["scheduled_at"],
                materialised=t["materialised_at"] is not None,
                counts=rows[-1], opened=opened, clicked=clicked,
            )
        )  # fmt: skip
    _hide_columns(rows)
    opened, clicked = overall.engagement(minimum)
    return CampaignProgress(
        counts=counts_for_viewer(overall.counts, minimum=minimum),
        total=small_hidden(overall.total(), minimum=minimum),
        finished=small_hidden(sum(overall.counts[s] for s in FINISHED), minimum=minimum),
        opened=opened,
        clicked=clicked,
        touches=progress,
        minimum=minimum,
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
