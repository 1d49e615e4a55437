"""PostgreSQL only: let the server write one batch while Python prepares the next.

The second pass of an import on PostgreSQL spends about as long waiting for the server
(``COPY`` into a table with ten indexes, foreign-key checks) as it spends in Python. Two
threads let the two overlap on a machine with two cores or more:

- ``Prefetch`` reads the spooled batches and looks up the people each one matches on a
  second connection, ``SideConnection``, a batch or two ahead of the main thread. That
  connection sees committed data only, which is enough: the first pass guarantees that no
  accepted row shares an email or external id with another, so a row can only match a
  person who existed before the import. The writer checks each batch's answers against
  the people earlier batches changed, and asks the import's own connection again when
  they may be stale (see ``BatchWriter``).
- ``BatchSink`` owns the import's connection while batches are written: it runs each
  batch's ``UPDATE``, ``COPY`` and full-sync bookkeeping in order, in its own thread. The
  main thread calls ``drain`` before it uses that connection itself.

Both queues hold at most two batches, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection

SideRow = tuple[Any, ...]
_DONE = object()
QUEUE_BATCHES = 2


class SideConnection:
    """A second, autocommit connection to the import's database: committed data only.

    Thread-safe: each query holds a lock, as the prefetch thread and the main thread share it.
    """

    def __init__(self) -> None:
        import psycopg

        # Straight from psycopg, not ``get_new_connection``: never a connection of a pool.
        params = connection.get_connection_params()
        self.raw: Any = psycopg.connect(**params, autocommit=True)
        self.lock = threading.Lock()
        self.query("SET jit = off", None)

    def query(self, sql: str, params: list[Any] | None) -> list[SideRow]:
        with self.lock, self.raw.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def close(self) -> None:
        self.raw.close()


class Prefetch:
    """Runs ``produce`` for each item of ``items`` in a thread, at most two items ahead."""

    def __init__(self, items: Iterator[Any], produce: Callable[[Any], Any]) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_BATCHES)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(items, produce), name="import-prefetch", daemon=True
        )
        self.thread.start()

    def _run(self, items: Iterator[Any], produce: Callable[[Any], Any]) -> None:
        try:
            for item in items:
                if self.stop.is_set():
                    return
                self._put(("item", produce(item)))
        except BaseException as error:  # handed to the main thread
            self._put(("error", error))
            return
        self._put(("done", _DONE))

    def _put(self, message: tuple[str, Any]) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(message, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, value = self.queue.get()
            if kind == "error":
                raise value
            if kind == "done":
                return
            yield value

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


class BatchSink:
    """Runs jobs against the import's connection, in order, in a writer thread.

    A job gets the raw psycopg connection; it must not touch ``django.db.connection``,
    which belongs to the main thread. A failed job stops the sink: the error is raised in
    the main thread at its next ``submit`` or ``drain``, as a Django database error.
    """

    def __init__(self) -> None:
        self.raw: Any = connection.connection
        self.jobs: queue.Queue[Callable[[Any], None] | None] = queue.Queue(maxsize=QUEUE_BATCHES)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    job(self.raw)
            except BaseException as error:  # handed to the main thread
                self.error = error
            finally:
                self.jobs.task_done()

    def submit(self, job: Callable[[Any], None]) -> None:
        self._raise()
        self.jobs.put(job)

    def drain(self) -> None:
        """Wait until every job submitted has run; the connection is the caller's again."""
        self.jobs.join()
        self._raise()

    def close(self) -> None:
        """Stop the thread, after the jobs already submitted (which do nothing after an error)."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:  # stays set: the sink runs nothing more
            with connection.wrap_database_errors:
                raise self.error
