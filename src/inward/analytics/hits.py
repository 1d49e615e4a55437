"""Open and click hits: taken in at once, written to the database in batches.

The tracking endpoints verify the signed token, push a ``Hit`` into this process's
``HitBuffer`` and answer; they never wait for the database. A flusher thread writes what
the buffer holds every ``FLUSH_SECONDS`` (sooner when ``FLUSH_SIZE`` hits are waiting):
one query for the deliveries behind the batch, ``record_events`` for the events, and one
UPDATE each for ``Delivery.opened_at`` and ``clicked_at`` (first time only, and never for
a robot), all in one transaction.

Clicks are held for ``CLICK_HOLD_SECONDS`` before they are written, so a scanner that
clicks every link of a message within a second is seen whole (``robots.py``). The buffer
is bounded (``BUFFER_LIMIT``): if the database is away for long, the oldest hits are kept
and new ones are dropped and counted, rather than the process growing without end.
``flush_now`` writes everything at once (atexit, and ``inward serve``'s shutdown).

Without a running flusher (the Django test client, a management command) ``hit_record``
writes the hit at once, in the caller's transaction.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import sys
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction

from inward.analytics import robots, sql
from inward.analytics.events import EventIn, record_events
from inward.analytics.models import EventKind, EventSource

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
FLUSH_SIZE = 2000
BUFFER_LIMIT = 100_000
CLICK_HOLD_SECONDS = robots.BURST_SECONDS
RECENT_CLICKS_KEPT = 10_000
SWITCH_INTERVAL = 0.001
AGENT_KEPT = 200  # characters of a robot's user agent kept in the event, as evidence


@dataclass(frozen=True, slots=True)
class Hit:
    """One request to a tracking link. ``robot`` is the reason the request itself gave
    (user agent, HEAD), "" if none; ``agent`` is its user agent (kept only for robots)."""

    kind: str
    delivery_id: int
    at: dt.datetime
    link: int | None = None
    robot: str = ""
    agent: str = ""
    received: float = 0.0  # monotonic clock, for holding clicks


class HitBuffer:
    """A bounded in-process queue of hits with a flusher thread."""

    def __init__(self, *, limit: int = BUFFER_LIMIT) -> None:
        self.limit = limit
        self.dropped = 0
        self.written = 0
        self._hits: list[Hit] = []
        self._held: list[Hit] = []  # clicks waiting out CLICK_HOLD_SECONDS
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._recent = _RecentClicks()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def push(self, hit: Hit) -> bool:
        """Queue a hit; False (and counted in ``dropped``) when the buffer is full."""
        with self._lock:
            if len(self._hits) + len(self._held) >= self.limit:
                self.dropped += 1
                return False
            self._hits.append(hit)
            if len(self._hits) >= FLUSH_SIZE:
                self._wake.set()
        return True

    def pending(self) -> int:
        with self._lock:
            return len(self._hits) + len(self._held)

    def start(self) -> None:
        """Start the flusher thread (once), and flush at interpreter exit."""
        if self.running:
            return
        self._stop.clear()
        # The flusher's Python work must not hold up requests for long: hand the GIL
        # over every millisecond rather than every five (CPython's default).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._thread = threading.Thread(target=self._run, name="inward-hit-flusher", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the flusher and write everything left; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
        self.flush_now()
        connection.close()

    def flush_now(self) -> int:
        """Write every hit waiting, held clicks too; returns how many."""
        return self._flush(everything=True)

    def _run(self) -> None:
        pause = FLUSH_SECONDS
        while not self._stop.is_set():
            self._wake.wait(pause)
            self._wake.clear()
            try:
                self._flush(everything=False)
                pause = FLUSH_SECONDS
            except DatabaseError:
                log.warning("could not write tracking hits; trying again", exc_info=True)
                connection.close()
                pause = min(pause * 2, 5.0)
            except Exception:
                log.exception("could not write tracking hits; trying again")
                pause = min(pause * 2, 5.0)
        connection.close()

    def _flush(self, *, everything: bool) -> int:
        with self._write_lock:
            batch = self._take(everything=everything)
            if not batch:
                return 0
            try:
                written = hits_write(batch, recent=self._recent)
            except BaseException:
                with self._lock:  # keep them for the next try, oldest first
                    self._hits[:0] = batch
                raise
            self.written += written
            return written

    def _take(self, *, everything: bool) -> list[Hit]:
        cutoff = time.monotonic() - CLICK_HOLD_SECONDS
        with self._lock:
            hits, self._hits = self._hits, []
            held = self._held + [h for h in hits if h.kind == EventKind.CLICKED]
            opens = [h for h in hits if h.kind != EventKind.CLICKED]
            if everything:
                self._held = []
                return opens + held
            ready_deliveries = {h.delivery_id for h in held if h.received <= cutoff}
            ready = [h for h in held if h.delivery_id in ready_deliveries]
            self._held = [h for h in held if h.delivery_id not in ready_deliveries]
            return opens + ready


class _RecentClicks:
    """The last few seconds of clicks per delivery, so a burst split over two batches is
    still seen whole."""

    def __init__(self) -> None:
        self._clicks: OrderedDict[int, list[tuple[dt.datetime, int]]] = OrderedDict()

    def add(
        self, delivery_id: int, clicks: list[tuple[dt.datetime, int]]
    ) -> list[tuple[dt.datetime, int]]:
        """Remember ``clicks``; return them with the delivery's recent earlier ones."""
        known = self._clicks.pop(delivery_id, [])
        newest = max(at for at, _ in clicks)
        keep = [c for c in known if (newest - c[0]).total_seconds() <= robots.BURST_SECONDS]
        merged = keep + clicks
        self._clicks[delivery_id] = merged
        while len(self._clicks) > RECENT_CLICKS_KEPT:
            self._clicks.popitem(last=False)
        return merged


# The buffer of this process. Started by the WSGI entry point and `inward serve`.
buffer = HitBuffer()
_sync_recent = _RecentClicks()


def hit_record(hit: Hit) -> None:
    """Take in one hit: into the buffer when its flusher runs, else written now."""
    if buffer.running:
        buffer.push(hit)
    else:
        hits_write([hit], recent=_sync_recent)


# --- Writing a batch ------------------------------------------------------------------------

_FACTS = """
SELECT d.id, d.touch_id, t.campaign_id, d.person_id, d.variant_id, d.channel_id, d.sent_at
FROM delivery_delivery d JOIN campaigns_touch t ON t.id = d.touch_id
WHERE d.id IN ({ids})
"""


@dataclass(frozen=True, slots=True)
class _Facts:
    touch_id: int
    campaign_id: int
    person_id: int | None
    variant_id: int | None
    channel_id: int
    sent_at: dt.datetime | None


def hits_write(hits: Sequence[Hit], *, recent: _RecentClicks | None = None) -> int:
    """Write ``hits`` as events (robots marked) and set the first open and click of their
    deliveries, in one transaction; returns the events stored. Hits of deliveries that no
    longer exist are dropped."""
    facts = _facts({hit.delivery_id for hit in hits})
    reasons = _robot_reasons(hits, facts, recent or _RecentClicks())
    events = []
    for hit in hits:
        fact = facts.get(hit.delivery_id)
        if fact is None:
            continue
        reason = reasons.get(hit, "")
        detail: dict[str, Any] = {}
        if hit.link is not None:
            detail["link"] = hit.link
        if reason:
            detail.update(robot=reason, agent=hit.agent[:AGENT_KEPT])
        events.append(
            EventIn(
                kind=hit.kind,
                occurred_at=hit.at,
                source=EventSource.CLICK if hit.kind == EventKind.CLICKED else EventSource.PIXEL,
                person_id=fact.person_id,
                campaign_id=fact.campaign_id,
                touch_id=fact.touch_id,
                variant_id=fact.variant_id,
                channel_id=fact.channel_id,
                delivery_id=hit.delivery_id,
                robot=bool(reason),
                detail=detail,
            )
        )
    with transaction.atomic():
        if sql.postgres():
            # Hits are worth less than a disk flush each: a database crash may lose the
            # last fraction of a second of them, never a half-written batch.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO off")
        stored = record_events(events)
        _deliveries_mark([e for e in events if not e.robot])
    return stored


def _facts(ids: set[int]) -> dict[int, _Facts]:
    found: dict[int, _Facts] = {}
    ordered = sorted(ids)
    with connection.cursor() as cursor:
        if sql.postgres():
            cursor.execute(
                _FACTS.format(ids="SELECT unnest(%s::bigint[])"), [sql.pg_array(ordered)]
            )
            rows = cursor.fetchall()
        else:
            rows = []
            for chunk in sql.chunks(ordered):
                cursor.execute(_FACTS.format(ids=sql.placeholders(len(chunk))), list(chunk))
                rows += cursor.fetchall()
    for row in rows:
        found[row[0]] = _Facts(row[1], row[2], row[3], row[4], row[5], sql.from_db(row[6]))
    return found


def _robot_reasons(
    hits: Sequence[Hit], facts: dict[int, _Facts], recent: _RecentClicks
) -> dict[Hit, str]:
    from inward.delivery.tracking_links import variant_links

    reasons: dict[Hit, str] = {}
    clicks: dict[int, list[Hit]] = defaultdict(list)
    for hit in hits:
        fact = facts.get(hit.delivery_id)
        if hit.robot:
            reasons[hit] = hit.robot
        elif fact is not None and robots.too_soon(sent_at=fact.sent_at, at=hit.at):
            reasons[hit] = robots.Reason.TOO_SOON
        if hit.kind == EventKind.CLICKED and hit.link is not None and fact is not None:
            clicks[hit.delivery_id].append(hit)
    for delivery_id, mine in clicks.items():
        seen = recent.add(delivery_id, [(h.at, h.link or 0) for h in mine])
        variant_id = facts[delivery_id].variant_id
        links = len(variant_links(variant_id)) if variant_id is not None else 0
        if robots.every_link_clicked(seen, links):
            for hit in mine:
                reasons.setdefault(hit, robots.Reason.EVERY_LINK)
    return reasons


def _deliveries_mark(events: Sequence[EventIn]) -> None:
    """``opened_at`` (opens and clicks) and ``clicked_at`` (clicks): the first time only."""
    opened: dict[int, dt.datetime] = {}
    clicked: dict[int, dt.datetime] = {}
    for event in events:
        assert event.delivery_id is not None
        first = opened.get(event.delivery_id)
        if first is None or event.occurred_at < first:
            opened[event.delivery_id] = event.occurred_at
        if event.kind == EventKind.CLICKED:
            first = clicked.get(event.delivery_id)
            if first is None or event.occurred_at < first:
                clicked[event.delivery_id] = event.occurred_at
    _set_first("opened_at", opened)
    _set_first("clicked_at", clicked)


def _set_first(column: str, times: dict[int, dt.datetime]) -> None:
    if not times:
        return
    if sql.postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE delivery_delivery d SET {column} = v.at FROM unnest(%s::bigint[], "  # noqa: S608
                f"%s::timestamptz[]) AS v(id, at) WHERE d.id = v.id AND d.{column} IS NULL",
                [sql.pg_array(list(times)), sql.pg_array(list(times.values()))],
            )
        return
    stamp = "%s"
    with connection.cursor() as cursor:
        for chunk in sql.chunks(sorted(times.items())):
            cases = " ".join([f"WHEN %s THEN {stamp}"] * len(chunk))
            params: list[Any] = []
            for delivery_id, at in chunk:
                params += [delivery_id, sql.ts(at)]
            ids = [delivery_id for delivery_id, _ in chunk]
            cursor.execute(
                f"UPDATE delivery_delivery SET {column} = CASE id {cases} END "  # noqa: S608
                f"WHERE id IN ({sql.placeholders(len(ids))}) AND {column} IS NULL",
                [*params, *ids],
            )
