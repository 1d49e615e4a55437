"""Keeping the raw event stream to a bounded size.

Raw events older than ``INWARD_EVENT_RETENTION_DAYS`` (730 by default) are rolled up into
daily counts per kind, campaign, touch and offering (``EventRollup``; robots left out)
and deleted, one day at a time, each day in its own transaction. Attributions keep the
facts they copied from their event (person, offering, kind, time), so credit outlives the
raw event; their link to it is cleared. Funnel rows are never touched: they already hold
each recipient's furthest stage.

``analytics_housekeeping`` is what the sender's loop runs every hour: the roll-up, then
``funnel_reached_backfill``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inward.analytics import sql
from inward.analytics.funnel_state import funnel_reached_backfill
from inward.analytics.models import EngagementEvent

EVENTS = "analytics_engagementevent"


@dataclass
class RollupReport:
    """What a roll-up did: the days rolled up, raw events deleted (robots included) and
    rollup rows written."""

    days: list[dt.date] = field(default_factory=list)
    deleted: int = 0
    rows: int = 0


def retention_cutoff(*, now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    kept = settings.INWARD_EVENT_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - dt.timedelta(days=kept)


def events_rollup(
    *,
    now: dt.datetime | None = None,
    days: int | None = None,
    on_day: Callable[[dt.date, int], None] | None = None,
) -> RollupReport:
    """Roll up and delete raw events older than the retention period; safe to run twice
    and alongside ingest (each day's rows are counted and deleted in one transaction).
    ``on_day(day, deleted)`` is told after each day (the command's progress)."""
    cutoff = retention_cutoff(now=now, days=days)
    report = RollupReport()
    while True:
        oldest = (
            EngagementEvent.objects.filter(occurred_at__lt=cutoff)
            .order_by("occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if oldest is None:
            return report
        start = oldest.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = min(start + dt.timedelta(days=1), cutoff)
        rows, deleted = _rollup_day(start, end)
        report.days.append(start.date())
        report.rows += rows
        report.deleted += deleted
        if on_day is not None:
            on_day(start.date(), deleted)


def _rollup_day(start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    within = "occurred_at >= %s AND occurred_at < %s"
    span = [sql.ts(start), sql.ts(end)]
    day = start.date() if sql.postgres() else start.date().isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_eventrollup (day, kind, campaign_id, touch_id, offering_id, "  # noqa: S608
            f"count) SELECT %s, kind, campaign_id, touch_id, offering_id, COUNT(*) FROM {EVENTS} "
            f"WHERE {within} AND NOT robot GROUP BY kind, campaign_id, touch_id, offering_id",
            [day, *span],
        )
        rows = cursor.rowcount
        cursor.execute(
            "UPDATE analytics_attribution SET event_id = NULL WHERE event_id IN "  # noqa: S608
            f"(SELECT id FROM {EVENTS} WHERE {within})",
            span,
        )
        cursor.execute(f"DELETE FROM {EVENTS} WHERE {within}", span)  # noqa: S608
        return int(rows), int(cursor.rowcount)


@dataclass
class HousekeepingReport:
    rollup: RollupReport
    reached: int


def analytics_housekeeping(*, now: dt.datetime | None = None) -> HousekeepingReport:
    """The hourly upkeep: roll up old events, repair "reached" stages whose DELIVERED
    events were lost (a sender killed mid-batch)."""
    return HousekeepingReport(rollup=events_rollup(now=now), reached=funnel_reached_backfill())
