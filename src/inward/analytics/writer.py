"""Recording events off the caller's path: a queue and a writer thread.

The sender records a DELIVERED event per message, once per claimed batch; waiting for that
write (an insert, a funnel upsert and a commit) between batches would slow sending down by
the database's round trips. ``inward deliver`` starts this process's ``EventWriter``; while
it runs, ``events_record_soon`` queues the events and the thread writes them (one
``record_events`` per batch queued, in order); ``stop`` writes what is left. Without a
running writer (tests, scripts) the events are written at once, in the caller's thread.

A worker killed with SIGKILL loses what was queued; the hourly
``funnel_reached_backfill`` repairs the funnel stages those events would have moved.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence

from django.db import DatabaseError, connection

from inward.analytics.events import EventIn, record_events

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # batches; a sender far ahead of its database waits here


class EventWriter:
    """One writer thread per process, shared by every delivery loop in it: each loop
    ``start``s and ``stop``s it, and the thread ends when the last one stops."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Sequence[EventIn] | None] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._users = 0

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="inward-event-writer", daemon=True
                )
                self._thread.start()

    def put(self, events: Sequence[EventIn]) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(events)
                return
        _write(events)  # stopped meanwhile: write it here

    def stop(self, timeout: float = 30.0) -> None:
        """Write everything queued, then end the thread (when no loop uses it any more)."""
        with self._lock:
            self._users = max(self._users - 1, 0)
            if self._users or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._queue.put(None)
        thread.join(timeout)

    def _run(self) -> None:
        try:
            while (events := self._queue.get()) is not None:
                _write(events)
        finally:
            connection.close()


def _write(events: Sequence[EventIn]) -> None:
    try:
        record_events(events)
    except DatabaseError:
        log.warning("could not record %d events", len(events), exc_info=True)
        connection.close()


writer = EventWriter()


def events_record_soon(events: Sequence[EventIn]) -> None:
    """Record ``events``: queued for the writer thread when it runs, else at once. A
    database error is logged, never raised: the caller's own work is already done."""
    if not events:
        return
    if writer.running:
        writer.put(events)
    else:
        _write(events)
