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

from inward.directory.importing.pipeline import SideConnection
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
        # PostgreSQL: a second connection to take ids from the sequence, when the import has one
        self.side: SideConnection | None = None

    def stamp(self, now: dt.datetime) -> Any:
        """``now`` as the database takes it in a row of ``insert``: on PostgreSQL as text,
        formatted once for a batch rather than once for each row ``copy_text`` formats."""
        return now.isoformat() if self.postgres else connection.ops.adapt_datetimefield_value(now)

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
        sql = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
        if self.side is not None:  # a sequence is not transactional: any connection will do
            return [row[0] for row in self.side.query(sql, [self.table, count])]
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.table, count])
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
        if self.postgres:
            self.copy(copy_text(rows), connection.connection)
            return
        columns = ", ".join(INSERT_COLUMNS)
        marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {self.table} ({columns}) VALUES ({marks})",  # noqa: S608
                rows,
            )

    def copy(self, data: bytes, raw: Any) -> None:
        """PostgreSQL: ``COPY`` rows ``copy_text`` made through ``raw``, the import's psycopg
        connection (around Django's cursor, in the same transaction), from any thread."""
        if not data:
            return
        with raw.cursor() as cursor:
            columns = ", ".join(INSERT_COLUMNS)
            with cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                copy.write(data)

    def update(self, columns: Sequence[str], rows: Sequence[Row], raw: Any = None) -> None:
        """Set ``columns`` to the row's values; each row ends with the person's id.

        ``raw``: as for ``insert``.
        """
        if not rows:
            return
        assignments = ", ".join(f"{column} = %s" for column in columns)
        with raw.cursor() if raw is not None else connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {self.table} SET {assignments} WHERE id = %s",  # noqa: S608
                rows,
            )


def copy_text(rows: Sequence[Row]) -> bytes:
    """Rows whose values follow ``INSERT_COLUMNS`` in ``COPY``'s text format.

    Formatted apart from the ``COPY`` itself so that one thread can format a batch while
    another streams the previous one: the server never waits for Python mid-statement.
    Values are ``None``, ``str``, or anything whose ``str()`` the server reads back as the
    same value (ints; the stamp is text already). Escaping each string costs more than
    formatting it, so the batch is joined as is, and escaped value by value only when its
    tabs, newlines and backslashes are not exactly those of the format itself.
    """
    if not rows:
        return b""
    null = _COPY_NULL
    lines = ["\t".join([null if v is None else str(v) for v in row]) for row in rows]
    text = "\n".join(lines)
    columns = len(rows[0])
    nulls = sum(row.count(None) for row in rows)
    if (
        text.count("\t") != (columns - 1) * len(rows)
        or text.count("\n") != len(rows) - 1
        or text.count("\\") != nulls
        or "\r" in text
    ):
        text = "\n".join(
            "\t".join([null if v is None else str(v).translate(_COPY_ESCAPES) for v in row])
            for row in rows
        )
    return (text + "\n").encode()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
