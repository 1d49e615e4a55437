from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection

from inward.analytics.retention import analytics_housekeeping
from inward.analytics.writer import writer
from inward.delivery.outbox import deliveries_waiting
from inward.delivery.scheduler import scheduler_tick
from inward.delivery.sender import TransportPool, outbox_send_batch

log = logging.getLogger("inward.delivery.deliver")

PROGRESS_SECONDS = 5.0
# Delivery.lease_owner's length: a worker id never exceeds it.
WORKER_ID_LENGTH = 64
# Room kept for the name part when a long host name has to be shortened.
NAME_LENGTH = 24
# After an error, wait this long (doubling, up to the cap) before trying again.
DB_PAUSE_SECONDS, DB_PAUSE_CAP = 0.5, 30.0
# Analytics upkeep (event roll-up, funnel repair) runs this often in a long-running sender.
HOUSEKEEPING_SECONDS = 3600.0


class Command(BaseCommand):
    help = (
        "Send what the outbox holds: write touches that come due into it and send due "
        "deliveries, until SIGTERM or Ctrl-C (which finish the message in flight first)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Stop when nothing is due or being sent."
        )
        parser.add_argument(
            "--worker-id",
            default="deliver",
            help=(
                "A name for this worker in leases and logs; the host name, process id and "
                "a random token are added (NAME@HOST:PID:TOKEN)."
            ),
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when idle."
        )
        parser.add_argument("--batch", type=int, default=0, help="Deliveries per claim.")
        parser.add_argument(
            "--tick", type=float, default=10.0, help="Seconds between scheduler runs when busy."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = worker_identity(options["worker_id"])
        loop = DeliveryLoop(
            worker=worker,
            once=options["once"],
            interval=options["interval"],
            batch=options["batch"] or settings.INWARD_SEND_BATCH,
            tick_seconds=options["tick"],
        )
        self.stdout.write(f"Delivering as {worker} (SIGTERM or Ctrl-C stops)")
        with _stop_on_signals(loop.stop.set):
            total = loop.run()
        self.stdout.write(f"Stopped after handling {total} deliveries.")


def worker_identity(name: str, *, host: str | None = None, pid: int | None = None) -> str:
    """``NAME@HOST:PID:TOKEN``, unique across hosts and restarts: two machines may both run
    process 4242, and a restarted worker may get a dead one's pid, but the random token
    tells them apart, so no worker writes an outcome under another's lease. Fits
    ``Delivery.lease_owner`` (64 characters): a long host name is shortened, then, if
    still needed, the name."""
    host = host if host is not None else socket.gethostname()
    tail = f":{pid if pid is not None else os.getpid()}:{secrets.token_hex(2)}"
    room = WORKER_ID_LENGTH - len(tail) - 1  # "@"
    name = name[: max(NAME_LENGTH, room - len(host))]
    host = host[: max(room - len(name), 0)]
    return f"{name}@{host}{tail}"


class DeliveryLoop:
    """Scheduler tick, then batches while there is work; waits ``interval`` when idle.

    With ``once`` it returns when nothing is due or being sent (by anyone) and no other
    worker is still writing a due touch into the outbox. A database error ends neither:
    the connection is dropped, and the loop waits and tries again; other errors are
    logged and retried the same way, except with ``once``.
    """

    def __init__(
        self, *, worker: str, once: bool, interval: float, batch: int, tick_seconds: float
    ) -> None:
        self.worker = worker
        self.once = once
        self.interval = interval
        self.batch = batch
        self.tick_seconds = tick_seconds
        self.stop = threading.Event()
        self.handled = 0
        self._last_tick = float("-inf")
        self._last_log = time.monotonic()
        self._logged = 0
        self._others_writing = False
        self._last_housekeeping = time.monotonic()  # the first run an hour after start
        # Connections kept open while batches follow each other; closed when idle.
        self.transports = TransportPool()

    def run(self) -> int:
        # DELIVERED events are written by a thread of their own, so sending never waits
        # for them; what is queued is written before this returns.
        writer.start()
        try:
            return self._run()
        finally:
            self.transports.close()
            writer.stop()

    def _run(self) -> int:
        pause = DB_PAUSE_SECONDS
        while not self.stop.is_set():
            try:
                busy = self.step()
                pause = DB_PAUSE_SECONDS
            except DatabaseError as error:
                log.warning("database unavailable (%s); trying again in %.1f s", error, pause)
                connection.close()
                self.stop.wait(pause)
                pause = min(pause * 2, DB_PAUSE_CAP)
                continue
            except Exception:
                if self.once:
                    raise  # a script wants to know
                # A long-running sender keeps going: rows it held come back at lease expiry.
                log.exception("the delivery loop failed; trying again in %.1f s", pause)
                self.stop.wait(pause)
                pause = min(pause * 2, DB_PAUSE_CAP)
                continue
            if busy:
                continue
            # Another worker still writing a due touch: its deliveries are on their way.
            if self.once and not self._others_writing and not deliveries_waiting():
                break
            self.stop.wait(self.interval)
        self._progress(force=True)
        return self.handled

    def step(self) -> bool:
        """One round; True when it did something (so the next round comes at once)."""
        self._housekeeping()
        ticked = self._tick(force=False)
        claimed = outbox_send_batch(
            worker=self.worker,
            limit=self.batch,
            should_stop=self.stop.is_set,
            transports=self.transports,
        )
        self.handled += claimed
        self._progress()
        if claimed:
            return True
        self.transports.close()  # idle: no connection left hanging until the next send
        if ticked is None:  # idle: look for due touches now rather than at the next tick
            ticked = self._tick(force=True)
        return bool(ticked)

    def _tick(self, *, force: bool) -> bool | None:
        """Run the scheduler if it is time (or ``force``); whether it changed anything,
        None when it did not run."""
        if not force and time.monotonic() - self._last_tick < self.tick_seconds:
            return None
        self._last_tick = time.monotonic()
        report = scheduler_tick()
        self._others_writing = bool(report.in_progress)
        for result in report.materialised:
            log.info("touch %s written to the outbox: %s", result.touch_id, result.counts)
        for slug in report.started:
            log.info("campaign %s started", slug)
        for slug in report.completed:
            log.info("campaign %s completed", slug)
        return report.changed

    def _housekeeping(self) -> None:
        """Hourly (never with ``once``): roll up events past retention, repair funnel
        stages; see ``analytics/retention.py``."""
        if self.once or time.monotonic() - self._last_housekeeping < HOUSEKEEPING_SECONDS:
            return
        self._last_housekeeping = time.monotonic()
        report = analytics_housekeeping()
        if report.rollup.deleted or report.reached:
            log.info(
                "analytics: %d old events rolled up, %d recipients moved to reached",
                report.rollup.deleted,
                report.reached,
            )

    def _progress(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.handled == self._logged or (not force and now - self._last_log < PROGRESS_SECONDS):
            return
        rate = (self.handled - self._logged) / max(now - self._last_log, 1e-9)
        log.info("%s: %d deliveries handled (%.0f/s)", self.worker, self.handled, rate)
        self._last_log, self._logged = now, self.handled


@contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` on SIGTERM and SIGINT while inside; the old handlers come back after.
    Only the main thread may set handlers; elsewhere (a test's thread) nothing is set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
