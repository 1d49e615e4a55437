"""The people a full sync has seen, in a temporary table, so that marking the rest is one UPDATE.

A temporary table lives in the import's own connection and transaction, costs no memory in
the process, and works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from inward.directory.models import Person, Status

TABLE = "inward_import_seen"


class SeenPeople:
    def __init__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (id bigint PRIMARY KEY)")

    def add(self, ids: list[int], raw: Any = None) -> None:
        """Remember ``ids``; through ``raw``, the import's psycopg connection, when given."""
        if not ids:
            return
        with raw.cursor() if raw is not None else connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (id) VALUES (%s) ON CONFLICT DO NOTHING",  # noqa: S608
                [(person_id,) for person_id in ids],
            )

    def mark_others_left(self, *, now: dt.datetime) -> int:
        """Set every person not seen, and not already gone, to ``left``; return how many."""
        person = Person._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {person} SET status = %s, updated_at = %s "  # noqa: S608
                f"WHERE status <> %s AND NOT EXISTS "
                f"(SELECT 1 FROM {TABLE} WHERE {TABLE}.id = {person}.id)",
                [
                    Status.LEFT.value,
                    connection.ops.adapt_datetimefield_value(now),
                    Status.LEFT.value,
                ],
            )
            return int(cursor.rowcount)

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
