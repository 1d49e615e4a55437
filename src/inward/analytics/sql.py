"""Small helpers for the raw SQL the event stream writes with, on PostgreSQL and SQLite.

Ingest runs thousands of rows a second, so its writes are multi-row statements built here
rather than model instances: building a model per row would cost more than the write.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

# Rows per statement: keeps every statement well under SQLite's 32,766 parameters.
CHUNK = 500


def postgres() -> bool:
    return connection.vendor == "postgresql"


def ts(value: dt.datetime | None) -> Any:
    """A datetime as the driver wants it in raw SQL: aware on PostgreSQL; naive UTC text
    on SQLite, exactly as Django stores it there."""
    if value is None or postgres():
        return value
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def from_db(value: Any) -> dt.datetime | None:
    """A datetime read back by raw SQL (SQLite hands back text), as an aware datetime."""
    if value is None or isinstance(value, dt.datetime):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def uuid_param(value: uuid.UUID | None) -> Any:
    """A UUID as Django stores it: native on PostgreSQL, 32 hex digits on SQLite."""
    if value is None:
        return None
    return value if postgres() else value.hex


def json_param(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def json_placeholder() -> str:
    return "CAST(%s AS jsonb)" if postgres() else "%s"


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if postgres() else f"MAX({a}, {b})"


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def pg_array(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ``values`` (ints, strings, datetimes, bools, UUIDs,
    None), passed as one text parameter and cast in the SQL (``%s::bigint[]``). Built here
    because the driver's own list adapter is pure Python and costs more than the insert."""
    kinds = {type(value) for value in values}
    if kinds <= {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds <= {int, type(None)}:
        return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"
    if kinds <= {dt.datetime}:
        return '{"' + '","'.join(v.isoformat() for v in values) + '"}'
    return "{" + ",".join(_element(value) for value in values) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return f'"{value.isoformat()}"'
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
