"""When touches go out: turning a touch's timing into one instant.

Relative times are written as "N days after an anchor, at a wall-clock time" in the
campaign's time zone, so a touch at 09:00 stays at 09:00 across a daylight-saving change.
Per-recipient local time (``Touch.local_time``) is applied later, when deliveries are
written; ``scheduled_at`` is the instant in the campaign's zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Campaign, Timing, Touch

UTC = dt.UTC


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``, or CampaignError("time_zone")."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CampaignError(
            "time_zone", _('"%(name)s" is not a known time zone.') % {"name": name}
        ) from None


def wall_clock(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """``day`` at ``time`` in ``tz``, as an aware UTC instant.

    A time skipped by a spring-forward change lands just after it (02:30 → 03:30); a time
    that happens twice in autumn is the first one.
    """
    # zoneinfo reads a skipped wall time with the offset from before the change (fold=0).
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(UTC)


def after_anchor(
    anchor: dt.datetime, *, days: int, time: dt.time | None, tz: ZoneInfo
) -> dt.datetime:
    """``days`` after ``anchor``'s local date, at ``time`` (default: the anchor's local
    time of day)."""
    local = anchor.astimezone(tz)
    return wall_clock(local.date() + dt.timedelta(days=days), time or local.time(), tz)


def touch_time(touch: Touch, *, previous: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    """The instant ``touch`` is due, or None when its anchor is not known yet (no start
    date, no external launch, no previous touch with a time)."""
    campaign = touch.campaign
    if touch.timing == Timing.ABSOLUTE:
        return touch.send_at
    anchor = _anchor(touch, campaign, previous)
    if anchor is None:
        return None
    return after_anchor(anchor, days=touch.offset_days, time=touch.send_time, tz=tz)


def _anchor(touch: Touch, campaign: Campaign, previous: dt.datetime | None) -> dt.datetime | None:
    if touch.timing == Timing.CAMPAIGN_START:
        return campaign.starts_at
    if touch.timing == Timing.EXTERNAL_LAUNCH:
        external = campaign.external_campaign
        return external.launch_at if external is not None else None
    return previous


def journey_times(campaign: Campaign, touches: Iterable[Touch]) -> dict[int, dt.datetime | None]:
    """Every touch's instant, keyed by touch id; ``touches`` in journey order.

    "After the previous touch" counts from the resolved time of the touch before it in
    the journey order; the first touch has none (None, unless it has another timing).
    """
    tz = zone(campaign.time_zone)
    times: dict[int, dt.datetime | None] = {}
    previous: dt.datetime | None = None
    for touch in touches:
        touch.campaign = campaign
        when = touch_time(touch, previous=previous, tz=tz)
        times[touch.pk] = when
        previous = when
    return times


def timing_problem(touch: Touch) -> str:
    """Why a touch has no time, in words."""
    if touch.timing == Timing.ABSOLUTE:
        return _("it has no send date")
    if touch.timing == Timing.CAMPAIGN_START:
        return _("the campaign has no start date")
    if touch.timing == Timing.EXTERNAL_LAUNCH:
        return _("the campaign is not linked to an external campaign")
    return _("the touch before it has no time")
