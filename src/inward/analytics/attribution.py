"""Which campaign touches get the credit for an enrolment or completion, worked out at ingest.

An enrolment, start, completion or pass of offering O by a person at time t is credited to
the touches of campaigns promoting O (``Campaign.offering``) that were *delivered* to that
person in ``[t - INWARD_ATTRIBUTION_WINDOW_DAYS, t]``. The touches of every such campaign
share one credit per event and model:

- first: the earliest delivered touch gets 1;
- last: the latest gets 1;
- linear: each distinct touch gets 1/n.

So the weights of one event under one model add up to 1 across campaigns, and a
campaign's credited enrolments under a model are the sum of its weights. An LMS reports
one enrolment as several records (registered, launched) and one completion as several
(completed, passed): only the first of each kind of step per person and offering within
the window is credited (the others still move the funnel). Every campaign
with a touch in the window moves its recipient to ACTED (enrolled, started) or COMPLETED
(completed, passed). A recommendation of O moves the person to ADVOCATED in every campaign
promoting O that reached them before it.

One query per batch finds the touches (``touchpoints``); the rest is arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection

from inward.analytics import sql
from inward.analytics.funnel_state import FunnelMove
from inward.analytics.models import Attribution, AttributionModel, EventKind, FunnelStage

if TYPE_CHECKING:
    from inward.analytics.events import EventIn

# Event kinds that are credited to campaigns, and the stage they move a recipient to.
CREDITED: dict[str, int] = {
    EventKind.ENROLLED: FunnelStage.ACTED,
    EventKind.STARTED: FunnelStage.ACTED,
    EventKind.COMPLETED: FunnelStage.COMPLETED,
    EventKind.PASSED: FunnelStage.COMPLETED,
}


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """A delivery of a campaign promoting an offering, sent to a person."""

    campaign_id: int
    touch_id: int
    delivery_id: int
    sent_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Credit:
    """One ``Attribution`` row to write."""

    event_id: int | None
    campaign_id: int
    touch_id: int
    person_id: int
    offering_id: int
    kind: str
    occurred_at: dt.datetime
    model: str
    weight: float


def window() -> dt.timedelta:
    return dt.timedelta(days=settings.INWARD_ATTRIBUTION_WINDOW_DAYS)


def touchpoints(
    *, person_ids: set[int], offering_ids: set[int], since: dt.datetime | None, until: dt.datetime
) -> dict[tuple[int, int], list[Touchpoint]]:
    """Sent deliveries of campaigns promoting ``offering_ids`` to ``person_ids``, sent in
    ``[since, until]`` (no lower bound when ``since`` is None), by (person, offering), in
    the order they were sent. One query."""
    if not person_ids or not offering_ids:
        return {}
    where = "d.sent_at <= %s"
    params: list[Any] = [*sorted(offering_ids), *sorted(person_ids), sql.ts(until)]
    if since is not None:
        where += " AND d.sent_at >= %s"
        params.append(sql.ts(since))
    query = f"""
SELECT d.person_id, c.offering_id, c.id, d.touch_id, d.id, d.sent_at
FROM delivery_delivery d
JOIN campaigns_touch t ON t.id = d.touch_id
JOIN campaigns_campaign c ON c.id = t.campaign_id
WHERE c.offering_id IN ({sql.placeholders(len(offering_ids))})
AND d.person_id IN ({sql.placeholders(len(person_ids))})
AND d.status = 'sent' AND {where}
ORDER BY d.sent_at, d.id
"""  # noqa: S608
    found: dict[tuple[int, int], list[Touchpoint]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for person_id, offering_id, campaign_id, touch_id, delivery_id, sent_at in cursor:
            stamp = sql.from_db(sent_at)
            assert stamp is not None
            found[(person_id, offering_id)].append(
                Touchpoint(campaign_id, touch_id, delivery_id, stamp)
            )
    return found


def credits_for(event_id: int | None, event: EventIn, points: Sequence[Touchpoint]) -> list[Credit]:
    """The credits of one credited event, given the person's touchpoints for its
    offering (in the order sent). Empty when no touch was delivered in the window."""
    assert event.person_id is not None and event.offering_id is not None
    start = event.occurred_at - window()
    in_window = [p for p in points if start <= p.sent_at <= event.occurred_at]
    if not in_window:
        return []
    distinct: dict[int, Touchpoint] = {}
    for point in in_window:
        distinct.setdefault(point.touch_id, point)

    def credit(point: Touchpoint, model: str, weight: float) -> Credit:
        return Credit(
            event_id=event_id,
            campaign_id=point.campaign_id,
            touch_id=point.touch_id,
            person_id=event.person_id or 0,
            offering_id=event.offering_id or 0,
            kind=event.kind,
            occurred_at=event.occurred_at,
            model=model,
            weight=weight,
        )

    share = 1.0 / len(distinct)
    return [
        credit(in_window[0], AttributionModel.FIRST, 1.0),
        credit(in_window[-1], AttributionModel.LAST, 1.0),
        *(credit(point, AttributionModel.LINEAR, share) for point in distinct.values()),
    ]


def credit_events(
    stored: Sequence[tuple[int | None, EventIn]],
) -> tuple[list[Credit], list[FunnelMove]]:
    """Credits and funnel moves for the credited and recommended events among ``stored``
    (event id, event; counted events only: not robots, with a person)."""
    relevant = [
        (event_id, event)
        for event_id, event in stored
        if event.offering_id is not None
        and event.person_id is not None
        and (event.kind in CREDITED or event.kind == EventKind.RECOMMENDED)
    ]
    if not relevant:
        return [], []
    recommended = any(event.kind == EventKind.RECOMMENDED for _, event in relevant)
    earliest = min(event.occurred_at for _, event in relevant)
    points = touchpoints(
        person_ids={event.person_id for _, event in relevant if event.person_id},
        offering_ids={event.offering_id for _, event in relevant if event.offering_id},
        since=None if recommended else earliest - window(),
        until=max(event.occurred_at for _, event in relevant),
    )
    credits: list[Credit] = []
    moves: list[FunnelMove] = []
    seen = _credited_before(relevant, since=earliest - window())
    for event_id, event in sorted(relevant, key=lambda pair: pair[1].occurred_at):
        assert event.person_id is not None and event.offering_id is not None
        mine = points.get((event.person_id, event.offering_id), [])
        if event.kind == EventKind.RECOMMENDED:
            campaigns = {p.campaign_id for p in mine if p.sent_at <= event.occurred_at}
            stage = int(FunnelStage.ADVOCATED)
        else:
            found = credits_for(event_id, event, mine)
            stage = CREDITED[event.kind]
            earlier = seen[(event.person_id, event.offering_id, stage)]
            if not any(event.occurred_at - window() <= t <= event.occurred_at for t in earlier):
                credits += found  # the first enrolment (or completion) of an episode
                if found:
                    earlier.append(event.occurred_at)
            campaigns = {c.campaign_id for c in found}
        moves += [
            FunnelMove(campaign_id=c, person_id=event.person_id, stage=stage, at=event.occurred_at)
            for c in sorted(campaigns)
        ]
    return credits, moves


def _credited_before(
    relevant: Sequence[tuple[int | None, EventIn]], *, since: dt.datetime
) -> defaultdict[tuple[int, int, int], list[dt.datetime]]:
    """When each person was last credited with acting on (or completing) each offering.

    An LMS reports one enrolment as several statements (registered, launched) and one
    completion as several (completed, passed): only the first of each within the
    attribution window is credited, so "enrolled" counts people's enrolments, not
    records. One query (the "last" model has exactly one row per credited event)."""
    seen: defaultdict[tuple[int, int, int], list[dt.datetime]] = defaultdict(list)
    people = {e.person_id for _, e in relevant if e.person_id is not None}
    offerings = {e.offering_id for _, e in relevant if e.offering_id is not None}
    rows = Attribution.objects.filter(
        person_id__in=people,
        offering_id__in=offerings,
        model=AttributionModel.LAST,
        kind__in=list(CREDITED),
        occurred_at__gte=since,
    ).values_list("person_id", "offering_id", "kind", "occurred_at")
    for person_id, offering_id, kind, occurred_at in rows:
        if offering_id is not None:
            seen[(person_id, offering_id, CREDITED[kind])].append(occurred_at)
    return seen


_COLUMNS = (
    "event_id, campaign_id, touch_id, person_id, offering_id, kind, occurred_at, model, weight"
)


def credits_store(credits: Sequence[Credit]) -> int:
    """Insert ``Attribution`` rows, one statement per 500."""
    if not credits:
        return 0
    row = f"({sql.placeholders(9)})"
    with connection.cursor() as cursor:
        for chunk in sql.chunks(credits):
            params: list[Any] = []
            for c in chunk:
                params += [c.event_id, c.campaign_id, c.touch_id, c.person_id, c.offering_id]
                params += [c.kind, sql.ts(c.occurred_at), c.model, c.weight]
            values = ", ".join([row] * len(chunk))
            cursor.execute(
                f"INSERT INTO analytics_attribution ({_COLUMNS}) VALUES {values}",  # noqa: S608
                params,
            )
    return len(credits)
