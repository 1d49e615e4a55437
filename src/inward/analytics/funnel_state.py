"""Each recipient's furthest funnel stage per campaign (``RecipientFunnel``), kept at ingest.

Rows are written when a touch is materialised (``ensure_funnel_rows``: stage AUDIENCE,
with the dimensions copied), and moved forward by ``funnel_advance`` as events arrive:
the stage only ever goes up, and each ``*_at`` is the first time the recipient was at that
stage *or beyond* (stages are cumulative: someone credited with a completion who never
opened anything gets ``engaged_at`` and ``acted_at`` at the completion; an earlier event
arriving later moves a time back). Both are single multi-row statements per batch, never a
query per event.

``funnel_recompute`` rebuilds rows from the events and attributions still stored, for
the rare case that events are taken back (a voided xAPI statement).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inward.analytics import sql
from inward.analytics.models import FunnelStage, RecipientFunnel
from inward.campaigns.models import Touch

TABLE = "analytics_recipientfunnel"
STAGE_COLUMNS: dict[int, str] = {
    FunnelStage.REACHED: "reached_at",
    FunnelStage.ENGAGED: "engaged_at",
    FunnelStage.ACTED: "acted_at",
    FunnelStage.COMPLETED: "completed_at",
    FunnelStage.ADVOCATED: "advocated_at",
}
STAGE_ORDER = sorted(STAGE_COLUMNS)


@dataclass(frozen=True, slots=True)
class FunnelMove:
    """One recipient reached ``stage`` of one campaign at ``at``. ``touch_id`` is the touch
    behind it, if any; ``delivered`` marks a touch that reached them (it becomes the row's
    last touch). ``channel_id`` and ``variant_id`` are used only if the row is new."""

    campaign_id: int
    person_id: int
    stage: int
    at: dt.datetime
    touch_id: int | None = None
    delivered: bool = False
    channel_id: int | None = None
    variant_id: int | None = None


@dataclass(slots=True)
class _Merged:
    stage: int
    times: dict[int, dt.datetime]
    first_touch: tuple[dt.datetime, int] | None = None
    last_touch: tuple[dt.datetime, int] | None = None
    channel_id: int | None = None
    variant_id: int | None = None


# --- Rows for a materialised touch --------------------------------------------------------

_ENSURE = f"""
INSERT INTO {TABLE} (campaign_id, person_id, stage, first_touch_id, channel_id, variant_id,
    language, persona_id, department_id, site_id, updated_at)
SELECT t.campaign_id, d.person_id, 0, d.touch_id, d.channel_id, d.variant_id,
    COALESCE(NULLIF(v.language, ''), NULLIF(pr.language, ''), p.language, ''),
    v.persona_id, p.department_id, p.site_id, %s
FROM delivery_delivery d
JOIN campaigns_touch t ON t.id = d.touch_id
JOIN directory_person p ON p.id = d.person_id
LEFT JOIN campaigns_variant v ON v.id = d.variant_id
LEFT JOIN delivery_preference pr ON pr.person_id = d.person_id
WHERE d.touch_id = %s AND d.person_id IS NOT NULL
ON CONFLICT (campaign_id, person_id) DO NOTHING
"""  # noqa: S608


def ensure_funnel_rows(touch: Touch | int) -> int:
    """Write a stage-AUDIENCE row for every person with a delivery of ``touch`` (any
    status) who has none in its campaign yet, in one ``INSERT ... SELECT``; returns how
    many were added. Safe to run twice. The dimensions are copied now: the language of
    the delivery's variant (else the person's preferred or directory language), the
    variant's persona, the person's department and site, the touch's channel and variant,
    and the touch as the row's first touch."""
    touch_id = touch if isinstance(touch, int) else touch.pk
    with connection.cursor() as cursor:
        cursor.execute(_ENSURE, [sql.ts(timezone.now()), touch_id])
        return int(max(cursor.rowcount, 0))


def funnel_rows_rebuild() -> int:
    """Rows for every materialised touch (deliveries written before funnel state existed,
    or by hand); returns rows added. Follow with ``funnel_reached_backfill``."""
    added = 0
    for touch_id in Touch.objects.filter(materialised_at__isnull=False).values_list(
        "pk", flat=True
    ):
        added += ensure_funnel_rows(touch_id)
    return added


_REACHED_BACKFILL = f"""
UPDATE {TABLE} SET stage = 1, reached_at = (
    SELECT MIN(d.sent_at) FROM delivery_delivery d JOIN campaigns_touch t ON t.id = d.touch_id
    WHERE t.campaign_id = {TABLE}.campaign_id AND d.person_id = {TABLE}.person_id
    AND d.status = 'sent'), updated_at = %s
WHERE stage = 0 AND EXISTS (
    SELECT 1 FROM delivery_delivery d JOIN campaigns_touch t ON t.id = d.touch_id
    WHERE t.campaign_id = {TABLE}.campaign_id AND d.person_id = {TABLE}.person_id
    AND d.status = 'sent')
"""  # noqa: S608


def funnel_reached_backfill() -> int:
    """Move rows still at AUDIENCE whose person has a sent delivery in the campaign to
    REACHED. The sender records DELIVERED events per batch after the batch; a worker killed
    mid-batch loses that batch's events, and this (run hourly) puts the funnel right."""
    with connection.cursor() as cursor:
        cursor.execute(_REACHED_BACKFILL, [sql.ts(timezone.now())])
        return int(max(cursor.rowcount, 0))


# --- Moving rows forward ------------------------------------------------------------------


def _merge(moves: Iterable[FunnelMove]) -> dict[tuple[int, int], _Merged]:
    merged: dict[tuple[int, int], _Merged] = {}
    for move in moves:
        key = (move.campaign_id, move.person_id)
        row = merged.get(key)
        if row is None:
            row = merged[key] = _Merged(stage=move.stage, times={})
        row.stage = max(row.stage, move.stage)
        for stage in STAGE_ORDER:  # reaching a stage is reaching every stage before it
            if stage > move.stage:
                break
            known = row.times.get(stage)
            if known is None or move.at < known:
                row.times[stage] = move.at
        if move.touch_id is not None:
            if row.first_touch is None or move.at < row.first_touch[0]:
                row.first_touch = (move.at, move.touch_id)
            if move.delivered and (row.last_touch is None or move.at >= row.last_touch[0]):
                row.last_touch = (move.at, move.touch_id)
        row.channel_id = row.channel_id or move.channel_id
        row.variant_id = row.variant_id or move.variant_id
    return merged


_ARRAYS = (
    "unnest(%s::bigint[], %s::bigint[], %s::smallint[], %s::timestamptz[], %s::timestamptz[], "
    "%s::timestamptz[], %s::timestamptz[], %s::timestamptz[], %s::bigint[], %s::bigint[], "
    "%s::bigint[], %s::bigint[]) AS v(column1, column2, column3, column4, column5, column6, "
    "column7, column8, column9, column10, column11, column12)"
)


def _upsert_sql(rows: int) -> str:
    """The upsert for ``rows`` recipients; ``rows=0``: PostgreSQL's, from arrays."""
    if rows:
        one = f"({sql.placeholders(12)})"
        source = f"(VALUES {', '.join([one] * rows)}) AS v"
    else:
        source = _ARRAYS
    keep_earliest = ", ".join(
        f"{c} = CASE WHEN {TABLE}.{c} IS NULL OR excluded.{c} < {TABLE}.{c} "
        f"THEN COALESCE(excluded.{c}, {TABLE}.{c}) ELSE {TABLE}.{c} END"
        for c in STAGE_COLUMNS.values()
    )
    return f"""
INSERT INTO {TABLE} (campaign_id, person_id, stage, reached_at, engaged_at, acted_at,
    completed_at, advocated_at, first_touch_id, last_touch_id, channel_id, variant_id,
    language, department_id, site_id, updated_at)
SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,
    v.column8, v.column9, v.column10, v.column11, v.column12,
    COALESCE(NULLIF(pr.language, ''), p.language, ''), p.department_id, p.site_id, %s
FROM {source}
JOIN directory_person p ON p.id = v.column2
LEFT JOIN delivery_preference pr ON pr.person_id = p.id
WHERE 1 = 1
ON CONFLICT (campaign_id, person_id) DO UPDATE SET
    stage = {sql.greatest(f"{TABLE}.stage", "excluded.stage")},
    {keep_earliest},
    first_touch_id = COALESCE({TABLE}.first_touch_id, excluded.first_touch_id),
    last_touch_id = COALESCE(excluded.last_touch_id, {TABLE}.last_touch_id),
    channel_id = COALESCE({TABLE}.channel_id, excluded.channel_id),
    variant_id = COALESCE({TABLE}.variant_id, excluded.variant_id),
    updated_at = excluded.updated_at
"""  # noqa: S608


def funnel_advance(moves: Iterable[FunnelMove]) -> int:
    """Move recipients forward: stage = the furthest of the row's and the moves', each
    ``*_at`` the earliest seen. A recipient without a row (an event for someone whose
    delivery predates funnel state) gets one, with their department, site and language.
    One statement per 500 recipients; returns how many recipients were moved. Call it
    inside the transaction that stored the events."""
    merged = _merge(moves)
    if not merged:
        return 0
    items = [_row_params(key, row) for key, row in merged.items()]
    now = sql.ts(timezone.now())
    with connection.cursor() as cursor:
        if sql.postgres():  # one statement from arrays, whatever the batch
            cursor.execute(_upsert_sql(0), [now, *map(sql.pg_array, zip(*items, strict=True))])
            return len(merged)
        for chunk in sql.chunks(items):
            params = [value for row in chunk for value in row]
            cursor.execute(_upsert_sql(len(chunk)), [now, *params])
    return len(merged)


def _row_params(key: tuple[int, int], row: _Merged) -> list[Any]:
    return [
        *key,
        row.stage,
        *(sql.ts(row.times.get(stage)) for stage in STAGE_ORDER),
        row.first_touch[1] if row.first_touch else None,
        row.last_touch[1] if row.last_touch else None,
        row.channel_id,
        row.variant_id,
    ]


# --- Recomputing after events were taken back -----------------------------------------------


def funnel_recompute(pairs: Iterable[tuple[int, int]], moves: Sequence[FunnelMove]) -> int:
    """Reset the rows of ``pairs`` (campaign, person) and replay ``moves`` (what the
    events and attributions still stored say) on them. Times older than the event
    retention period are kept as they are: the events behind them were rolled up and
    cannot be replayed. Returns how many rows were rewritten."""
    keys = set(pairs)
    if not keys:
        return 0
    cutoff = timezone.now() - dt.timedelta(days=settings.INWARD_EVENT_RETENTION_DAYS)
    merged = _merge(move for move in moves if (move.campaign_id, move.person_id) in keys)
    rows = RecipientFunnel.objects.filter(
        campaign_id__in={c for c, _ in keys}, person_id__in={p for _, p in keys}
    )
    changed = []
    with transaction.atomic():
        for row in rows.select_for_update():
            if (row.campaign_id, row.person_id) not in keys:
                continue
            replay = merged.get((row.campaign_id, row.person_id))
            stage: int = FunnelStage.AUDIENCE
            for number, column in STAGE_COLUMNS.items():
                kept = getattr(row, column)
                new = replay.times.get(number) if replay else None
                value = kept if kept is not None and kept < cutoff else new
                setattr(row, column, value)
                if value is not None:
                    stage = number
            row.stage = max(stage, replay.stage if replay else FunnelStage.AUDIENCE)
            if row.stage == FunnelStage.AUDIENCE and row.reached_at is None:
                row.last_touch_id = None
            changed.append(row)
        fields = ["stage", *STAGE_COLUMNS.values(), "last_touch_id", "updated_at"]
        for row in changed:
            row.updated_at = timezone.now()
        RecipientFunnel.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)
