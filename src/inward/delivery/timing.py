"""When a message may go out: time zones, local send times and quiet hours.

Pure functions over aware datetimes; no database.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(name: str, *, fallback: str) -> ZoneInfo:
    """The zone called ``name``, or ``fallback`` when it is empty or unknown (a directory
    may hold a misspelt zone; that person still gets the message, in the default zone)."""
    zone = _zone(name) if name else None
    return zone or _zone(fallback) or ZoneInfo("UTC")


def local_due_at(
    *, scheduled_at: dt.datetime, send_time: dt.time | None, home: ZoneInfo, zone: ZoneInfo
) -> dt.datetime:
    """The instant a local-time touch is due for someone in ``zone``: the touch's day (as
    seen in the campaign's ``home`` zone) at ``send_time`` on their own clock."""
    home_time = scheduled_at.astimezone(home)
    wall = send_time or home_time.time().replace(tzinfo=None)
    return dt.datetime.combine(home_time.date(), wall, tzinfo=zone).astimezone(dt.UTC)


def quiet_until(
    when: dt.datetime, *, zone: ZoneInfo, start: dt.time, end: dt.time
) -> dt.datetime | None:
    """If ``when`` falls in the quiet hours ``[start, end)`` on the clock of ``zone``, the
    instant they end; otherwise None. ``start > end`` spans midnight (20:00-07:00);
    ``start == end`` means no quiet hours."""
    if start == end:
        return None
    local = when.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= wall < end
        end_day = local.date()
    else:
        quiet = wall >= start or wall < end
        end_day = local.date() + dt.timedelta(days=1) if wall >= start else local.date()
    if not quiet:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=zone).astimezone(dt.UTC)


def local_date(when: dt.datetime, *, zone: ZoneInfo) -> dt.date:
    return when.astimezone(zone).date()
