"""Recording engagement events: the one way anything writes to the event stream.

``record_events`` inserts the events and, in the same transaction, moves each recipient's
``RecipientFunnel`` forward and writes ``Attribution`` rows for enrolments and completions.
Robot events are stored and never counted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from inward.analytics import sql
from inward.analytics.attribution import CREDITED, credit_events, credits_store
from inward.analytics.funnel_state import FunnelMove, funnel_advance, funnel_recompute
from inward.analytics.models import STAGE_OF_KIND, Attribution, EngagementEvent, EventKind


@dataclass(frozen=True)
class EventIn:
    kind: str
    occurred_at: dt.datetime
    source: str
    person_id: int | None
    campaign_id: int | None = None
    touch_id: int | None = None
    variant_id: int | None = None
    channel_id: int | None = None
    delivery_id: int | None = None
    offering_id: int | None = None
    statement_id: uuid.UUID | None = None
    robot: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


def record_events(events: Sequence[EventIn]) -> int:
    """Store ``events`` and update funnel state and attribution; return how many were
    stored.

    All in one transaction, in a handful of statements whatever the batch size: one
    multi-row INSERT per 500 events, one query for the touches behind enrolments and
    completions (if there are any), one INSERT for their attributions, one upsert per 500
    recipients moved. Robot events and events without a person are stored and move
    nothing. An event with a campaign moves that campaign's row (stage of its kind); an
    enrolment, start, completion, pass or recommendation of an offering moves the
    campaigns it is credited to (``attribution.py``) instead.
    """
    if not events:
        return 0
    with transaction.atomic():
        ids = _insert(events)
        stored = [
            (event_id, event)
            for event_id, event in zip(ids, events, strict=True)
            if not event.robot and event.person_id is not None
        ]
        credits, moves = credit_events(stored)
        credits_store(credits)
        funnel_advance([*_direct_moves(event for _, event in stored), *moves])
    return len(events)


def _direct_moves(events: Any) -> list[FunnelMove]:
    moves = []
    for event in events:
        if event.campaign_id is None or event.person_id is None:
            continue
        if event.offering_id is not None and (
            event.kind in CREDITED or event.kind == EventKind.RECOMMENDED
        ):
            continue  # credited through attribution, not through the campaign it names
        stage = STAGE_OF_KIND.get(event.kind)
        if stage is None:
            continue
        moves.append(
            FunnelMove(
                campaign_id=event.campaign_id,
                person_id=event.person_id,
                stage=stage,
                at=event.occurred_at,
                touch_id=event.touch_id,
                delivered=event.kind == EventKind.DELIVERED,
                channel_id=event.channel_id,
                variant_id=event.variant_id,
            )
        )
    return moves


_COLUMNS = (
    "occurred_at, recorded_at, kind, source, person_id, campaign_id, touch_id, variant_id, "
    "channel_id, delivery_id, offering_id, statement_id, robot, detail"
)


_UNNEST = (
    f"INSERT INTO analytics_engagementevent ({_COLUMNS}) "  # noqa: S608
    "SELECT u.occurred_at, %s, u.kind, u.source, u.person_id, u.campaign_id, u.touch_id, "
    "u.variant_id, u.channel_id, u.delivery_id, u.offering_id, u.statement_id, u.robot, "
    "u.detail FROM unnest(%s::timestamptz[], %s::varchar[], %s::varchar[], %s::bigint[], "
    "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], "
    "%s::uuid[], %s::boolean[], %s::jsonb[]) WITH ORDINALITY AS u(occurred_at, kind, "
    "source, person_id, campaign_id, touch_id, variant_id, channel_id, delivery_id, "
    "offering_id, statement_id, robot, detail, n) ORDER BY u.n RETURNING id"
)


def _insert(events: Sequence[EventIn]) -> list[int]:
    """The events inserted, their ids returned in input order: on PostgreSQL one INSERT
    from arrays (a statement whose text never changes, so the driver parses it once);
    elsewhere one multi-row INSERT per 500."""
    if sql.postgres():
        return _insert_arrays(events)
    now = sql.ts(timezone.now())
    row = f"({sql.placeholders(13)}, {sql.json_placeholder()})"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for chunk in sql.chunks(events):
            params: list[Any] = []
            for e in chunk:
                params += [sql.ts(e.occurred_at), now, e.kind, e.source, e.person_id]
                params += [e.campaign_id, e.touch_id, e.variant_id, e.channel_id]
                params += [e.delivery_id, e.offering_id, sql.uuid_param(e.statement_id)]
                params += [e.robot, sql.json_param(e.detail)]
            values = ", ".join([row] * len(chunk))
            cursor.execute(
                f"INSERT INTO analytics_engagementevent ({_COLUMNS}) VALUES {values} "  # noqa: S608
                "RETURNING id",
                params,
            )
            ids += [found[0] for found in cursor.fetchall()]
    return ids


def _insert_arrays(events: Sequence[EventIn]) -> list[int]:
    columns: list[list[Any]] = [[] for _ in range(13)]
    for e in events:
        row = (
            e.occurred_at, e.kind, e.source, e.person_id, e.campaign_id, e.touch_id,
            e.variant_id, e.channel_id, e.delivery_id, e.offering_id, e.statement_id,
            e.robot, sql.json_param(e.detail),
        )  # fmt: skip
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_UNNEST, [timezone.now(), *(sql.pg_array(c) for c in columns)])
        return [found[0] for found in cursor.fetchall()]


def retract_statement_events(statement_ids: Sequence[uuid.UUID]) -> int:
    """Delete the events recorded from these (now voided) xAPI statements, and recompute
    the funnel state and attribution they touched; return how many were deleted.

    The recipients touched are those of the events' own campaigns and of every campaign
    promoting the events' offerings; their rows are rebuilt from the events and
    attributions still stored (``funnel_recompute``)."""
    if not statement_ids:
        return 0
    with transaction.atomic():
        gone = list(
            EngagementEvent.objects.filter(statement_id__in=list(statement_ids)).values(
                "id", "person_id", "campaign_id", "offering_id"
            )
        )
        if not gone:
            return 0
        ids = [row["id"] for row in gone]
        people = {row["person_id"] for row in gone if row["person_id"] is not None}
        campaigns = {row["campaign_id"] for row in gone if row["campaign_id"] is not None}
        campaigns |= _campaigns_promoting({row["offering_id"] for row in gone} - {None})
        campaigns |= set(
            Attribution.objects.filter(event_id__in=ids).values_list("campaign_id", flat=True)
        )
        Attribution.objects.filter(event_id__in=ids).delete()
        EngagementEvent.objects.filter(pk__in=ids).delete()
        pairs = {(c, p) for c in campaigns for p in people}
        funnel_recompute(pairs, _replay(campaigns, people))
    return len(ids)


def _campaigns_promoting(offering_ids: set[Any]) -> set[int]:
    if not offering_ids:
        return set()
    from inward.campaigns.models import Campaign

    found = Campaign.objects.filter(offering_id__in=offering_ids).values_list("pk", flat=True)
    return set(found)


def _replay(campaigns: set[int], people: set[int]) -> list[FunnelMove]:
    """What the stored events and attributions say about these recipients."""
    if not campaigns or not people:
        return []
    events = EngagementEvent.objects.filter(robot=False, person_id__in=people)
    rows = [
        *events.filter(campaign_id__in=campaigns).values(*_REPLAYED),
        *events.filter(kind=EventKind.RECOMMENDED, offering__isnull=False).values(*_REPLAYED),
    ]
    kept = [_as_event_in(row) for row in rows]
    _, advocacy = credit_events([(None, e) for e in kept if e.kind == EventKind.RECOMMENDED])
    moves = _direct_moves(kept) + advocacy
    for row in Attribution.objects.filter(campaign_id__in=campaigns, person_id__in=people).values(
        "campaign_id", "person_id", "kind", "occurred_at"
    ):
        moves.append(
            FunnelMove(
                campaign_id=row["campaign_id"],
                person_id=row["person_id"],
                stage=CREDITED.get(row["kind"], STAGE_OF_KIND[row["kind"]]),
                at=row["occurred_at"],
            )
        )
    return moves


_REPLAYED = (
    "kind",
    "occurred_at",
    "source",
    "person_id",
    "campaign_id",
    "touch_id",
    "variant_id",
    "channel_id",
    "offering_id",
)


def _as_event_in(row: dict[str, Any]) -> EventIn:
    return EventIn(**row)
