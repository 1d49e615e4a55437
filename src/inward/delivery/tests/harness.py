"""The outbox's test harness: a database shared with other threads and processes,
``inward deliver`` worker processes, and an SMTP server that calls back per message.

PostgreSQL's test database already is one. SQLite's is in memory and private to the test
process, so it is copied into a file (``VACUUM INTO``) and the test's connection pointed
at that file for the test; the in-memory database is kept alive beside it and comes back
afterwards (a closed in-memory database would be gone for the next test).

Use in transactional tests (``@pytest.mark.django_db(transaction=True)``): arrange rows
first, then ask for ``shared_database_url()`` inside the ``shared_database`` context.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from inward.delivery.tests.servers import Received, SmtpServer


@contextmanager
def shared_database(directory: Path) -> Iterator[str]:
    """Yield a ``DATABASE_URL`` for the test database that a worker process can open; on
    SQLite the test's own connection uses that file until the block ends."""
    if connection.vendor == "postgresql":
        yield _postgres_url()
        return
    settings_dict = connection.settings_dict
    memory_name = settings_dict["NAME"]
    path = directory / "shared.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(path)])
    keeper = sqlite3.connect(memory_name, uri=True)
    try:
        settings_dict["NAME"] = str(path)
        connection.close()  # really closes now: the name is the file's
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()


def _postgres_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Worker:
    """An ``inward deliver`` process and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text()


def worker_process(database_url: str, directory: Path, *args: str, **env: str) -> Worker:
    """``inward deliver ARGS`` in a new process on ``database_url``. ``env`` adds
    environment variables, e.g. ``INWARD_SEND_LEASE_SECONDS="2"``."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(
        DATABASE_URL=database_url, INWARD_VAR_DIR=str(directory / "var"), LOG_LEVEL="WARNING"
    )
    environment.update(env)
    log = directory / f"worker-{os.urandom(4).hex()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "inward", "deliver", *args],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(process=process, log=log)


class HookedSmtpServer(SmtpServer):
    """The recording SMTP server, calling ``on_message(count)`` in its own thread after
    accepting each message and before answering it (the sender is waiting meanwhile)."""

    def __init__(self, on_message: Callable[[int], None] = lambda count: None) -> None:
        super().__init__()
        self.on_message = on_message

    def _accept(self, item: Received) -> None:
        super()._accept(item)
        self.on_message(len(self.received))
