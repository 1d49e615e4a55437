from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inward.analytics.funnel_state import funnel_reached_backfill, funnel_rows_rebuild
from inward.analytics.retention import events_rollup, retention_cutoff


def _positive_days(value: str) -> int:
    """--days: a whole number of days, at least 1 (0 would roll up and delete every raw
    event at once)."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 1:
        raise argparse.ArgumentTypeError("keep at least 1 day of raw events")
    return days


class Command(BaseCommand):
    help = (
        "Analytics upkeep from the console: `inward analytics rollup [--days N]` rolls raw "
        "events past retention into daily counts and deletes them; `inward analytics "
        "rebuild` writes missing funnel rows for every materialised touch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rollup = sub.add_parser("rollup", help="Roll up and delete events past retention.")
        rollup.add_argument(
            "--days",
            type=_positive_days,
            default=None,
            help="Keep this many days of raw events (default INWARD_EVENT_RETENTION_DAYS).",
        )
        sub.add_parser("rebuild", help="Write missing funnel rows; repair 'reached' stages.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"handle_{options['action']}")
        handler(**options)

    def handle_rollup(self, *, days: int | None, **options: Any) -> None:
        cutoff = retention_cutoff(days=days)
        self.stdout.write(f"Rolling up raw events from before {cutoff:%Y-%m-%d %H:%M %Z}…")

        def progress(day: dt.date, deleted: int) -> None:
            self.stdout.write(f"  {day:%Y-%m-%d}: {deleted} raw events rolled up")

        report = events_rollup(days=days, on_day=progress)
        self.stdout.write(
            f"Rolled up events before {cutoff:%Y-%m-%d %H:%M %Z}: {len(report.days)} days, "
            f"{report.deleted} raw events deleted, {report.rows} daily counts written."
        )

    def handle_rebuild(self, **options: Any) -> None:
        added = funnel_rows_rebuild()
        reached = funnel_reached_backfill()
        self.stdout.write(f"{added} funnel rows added; {reached} moved to 'reached'.")
