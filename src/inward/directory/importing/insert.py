"""Write people with as little per-row work as the database allows.

The values are already clean, so they go to the database as plain tuples: on SQLite with
``executemany`` of a prepared single-row statement, on PostgreSQL with ``COPY``. New
people get their ids before they are written, so a report can be linked to a manager of
the same batch: on PostgreSQL from the table's sequence, on SQLite by counting on from the
highest id ever given, which is safe because an import holds SQLite's write lock from its
first statement (``transaction_mode = IMMEDIATE``) to its commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

from inward.directory.models import Person, Status

INSERT_COLUMNS = (
    "id",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "department_id",
    "site_id",
    "country",
    "time_zone",
    "language",
    "manager_id",
    "hire_date",
    "status",
    "tags",
    "attributes",
    "created_at",
    "updated_at",
)
DEFAULTS: dict[str, Any] = {
    "id": None,
    "external_id": None,
    "email": "",
    "first_name": "",
    "last_name": "",
    "preferred_name": "",
    "job_title": "",
    "department_id": None,
    "site_id": None,
    "country": "",
    "time_zone": "",
    "language": "",
    "manager_id": None,
    "hire_date": None,
    "status": Status.ACTIVE.value,
    "tags": "",
    "attributes": "{}",
    "created_at": None,
    "updated_at": None,
}
Row = Sequence[Any]


class PersonTable:
    """Bulk writes to the person table in the import's connection and transaction."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.table = Person._meta.db_table
        self.next_id = 0  # SQLite only: the next free id, read before the first insert

    def stamp(self, now: dt.datetime) -> Any:
        """``now`` as the database takes it in a row of ``insert``."""
        return now if self.postgres else connection.ops.adapt_datetimefield_value(now)

    def new_ids(self, count: int) -> list[int]:
        """Reserve ``count`` ids for people about to be inserted (one query at most)."""
        if not count:
            return []
        if self.postgres:
            return self._sequence_ids(count)
        if not self.next_id:
            self.next_id = self._highest_sqlite_id() + 1
        first, self.next_id = self.next_id, self.next_id + count
        return list(range(first, self.next_id))

    def _sequence_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [self.table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _highest_sqlite_id(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
                f"coalesce((SELECT max(id) FROM {self.table}), 0))",
                [self.table],
            )
            return int(cursor.fetchone()[0])

    def insert(self, rows: Sequence[Row]) -> None:
        """Insert rows whose values follow ``INSERT_COLUMNS``."""
        if not rows:
            return
        columns = ", ".join(INSERT_COLUMNS)
        if self.postgres:
            # COPY goes around Django's cursor: the raw psycopg connection, same transaction.
            self._copy(columns, rows)
            return
        marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {self.table} ({columns}) VALUES ({marks})",  # noqa: S608
                rows,
            )

    def _copy(self, columns: str, rows: Sequence[Row]) -> None:
        """COPY goes around Django's cursor: the raw psycopg connection, same transaction.

        A writer thread sends the data while this one formats the next rows, so the
        server's index work overlaps the Python work.
        """
        from psycopg.copy import QueuedLibpqWriter

        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            sql = f"COPY {self.table} ({columns}) FROM STDIN"
            with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
                for row in rows:
                    copy.write_row(row)

    def update(self, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Set ``columns`` to the row's values; each row ends with the person's id."""
        if not rows:
            return
        assignments = ", ".join(f"{column} = %s" for column in columns)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {self.table} SET {assignments} WHERE id = %s",  # noqa: S608
                rows,
            )
