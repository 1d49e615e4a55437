"""Storing statements: one batch, all or nothing (xAPI 1.0.3, Communication 2.1.1 to 2.1.2
and Data 2.3 on voiding).

``statements_store`` is the one entry point for PUT and POST. In one transaction it
refuses conflicts, sets what the LRS sets (``id``, ``stored``, ``authority``,
``version``, a missing ``timestamp``), bulk-inserts the statements and their index rows,
keeps attachment contents, applies voiding, and hands the new rows to
``inward.xapi.matching`` so statements about known people become engagement events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from inward.xapi.attachments import AttachmentPart
from inward.xapi.clients import lrs_endpoint
from inward.xapi.comparison import statements_equivalent
from inward.xapi.matching import ingest_stored, ingest_voided
from inward.xapi.models import LrsClient, Statement, StatementAttachment, StatementIndexEntry
from inward.xapi.protocol import LrsError, format_timestamp
from inward.xapi.query import index_entries
from inward.xapi.validation import VOIDED_VERB, parse_timestamp

BATCH_SIZE = 500
_ATTEMPTS = 3


def client_authority(client: LrsClient) -> dict[str, Any]:
    """The Agent a client's statements are stored under."""
    return {
        "objectType": "Agent",
        "name": client.name,
        "account": {"homePage": lrs_endpoint(), "name": client.key},
    }


def statements_store(
    *,
    statements: Sequence[dict[str, Any]],
    client: LrsClient,
    parts: dict[str, AttachmentPart] | None = None,
) -> list[str]:
    """Store a batch; return the statement ids in order. A statement whose id is
    already stored is skipped when it is the same statement and refused (409) when it is
    not. Raises ``LrsError`` and stores nothing when anything in the batch is refused."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                return _store(list(statements), client, parts or {})
        except IntegrityError as exc:
            # A concurrent request stored one of these ids (or, on SQLite, took the
            # same seq) between our check and insert: look again. Rows written with a
            # seq of their own (fixtures, imports) can leave the sequence behind.
            _resync_sequence()
            if attempt == _ATTEMPTS - 1:
                raise LrsError(
                    409, "A statement with one of these ids was stored meanwhile."
                ) from exc
    raise AssertionError("unreachable")


def _store(
    batch: list[dict[str, Any]], client: LrsClient, parts: dict[str, AttachmentPart]
) -> list[str]:
    ids = [_statement_id(statement) for statement in batch]
    if len(set(ids)) != len(ids):
        raise LrsError(400, "The batch holds two statements with the same id.")
    existing = _existing(ids)
    stored_at = _now_ms()
    new: list[tuple[uuid.UUID, dict[str, Any]]] = []
    for statement_id, statement in zip(ids, batch, strict=True):
        if statement_id in existing:
            if not statements_equivalent(existing[statement_id], statement):
                raise LrsError(409, f"Statement {statement_id} is already stored, and differs.")
            continue
        new.append((statement_id, _completed(statement, statement_id, client, stored_at)))
    targets = _voiding_targets([data for _, data in new])
    rows = _insert(new, client, stored_at)
    _insert_index(rows)
    _keep_attachments(parts)
    if targets:
        Statement.objects.filter(id__in=targets).update(voided=True)
        for row in rows:
            row.voided = row.id in targets  # voided by a later statement of this batch
        ingest_voided(sorted(targets))
    ingest_stored(rows)
    return [str(statement_id) for statement_id in ids]


def _statement_id(statement: dict[str, Any]) -> uuid.UUID:
    if "id" in statement:
        return uuid.UUID(str(statement["id"]))
    return uuid.uuid4()


def _existing(ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        found.update(Statement.objects.filter(id__in=chunk).values_list("id", "data"))
    return found


def _now_ms() -> dt.datetime:
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _completed(
    statement: dict[str, Any], statement_id: uuid.UUID, client: LrsClient, stored_at: dt.datetime
) -> dict[str, Any]:
    data = _context_activities_as_lists(dict(statement))
    if isinstance(data["object"], dict) and data["object"].get("objectType") == "SubStatement":
        data["object"] = _context_activities_as_lists(dict(data["object"]))
    data["id"] = str(statement_id)
    data["stored"] = format_timestamp(stored_at)
    data.setdefault("timestamp", data["stored"])
    data["authority"] = client_authority(client)
    data.setdefault("version", "1.0.0")
    return data


def _context_activities_as_lists(statement: dict[str, Any]) -> dict[str, Any]:
    """A single context activity is stored (and returned) as a one-item array."""
    context = statement.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return statement
    activities = {
        kind: value if isinstance(value, list) else [value]
        for kind, value in context["contextActivities"].items()
    }
    statement["context"] = {**context, "contextActivities": activities}
    return statement


def _voiding_targets(new: list[dict[str, Any]]) -> set[uuid.UUID]:
    """The statements the batch voids. A voiding statement may not void another
    voiding statement (Data 2.3.2)."""
    targets = {
        uuid.UUID(str(data["object"]["id"]))
        for data in new
        if data["verb"]["id"] == VOIDED_VERB and data["object"].get("objectType") == "StatementRef"
    }
    if not targets:
        return targets
    voiding_in_batch = {uuid.UUID(data["id"]) for data in new if data["verb"]["id"] == VOIDED_VERB}
    stored_voiding = set(
        Statement.objects.filter(id__in=targets, verb_id=VOIDED_VERB).values_list("id", flat=True)
    )
    if targets & (voiding_in_batch | stored_voiding):
        raise LrsError(400, "A voiding statement cannot void another voiding statement.")
    return targets


def _resync_sequence() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval('xapi_statement_seq_seq', GREATEST("
                "(SELECT COALESCE(MAX(seq), 0) FROM xapi_statement) + 1, "
                "nextval('xapi_statement_seq_seq')), false)"
            )


def next_statement_seqs(count: int) -> list[int]:
    """``count`` store-order numbers, ascending, from the source ``statements_store``
    takes them from. Only tests call it, to check where that source stands. On
    PostgreSQL the numbers are used up; on SQLite nothing is reserved (the next ones
    after ``MAX(seq)``), so two callers can get the same numbers."""
    return _next_seqs(count)


def _next_seqs(count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval('xapi_statement_seq_seq') FROM generate_series(1, %s)", [count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM xapi_statement")
        start = int(cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def _insert(
    new: list[tuple[uuid.UUID, dict[str, Any]]], client: LrsClient, stored_at: dt.datetime
) -> list[Statement]:
    if not new:
        return []
    seqs = _next_seqs(len(new))
    rows = [
        Statement(
            id=statement_id,
            seq=seq,
            client=client,
            stored=stored_at,
            timestamp=parse_timestamp(data["timestamp"]),
            data=data,
            verb_id=data["verb"]["id"],
            registration=(data.get("context") or {}).get("registration"),
        )
        for seq, (statement_id, data) in zip(seqs, new, strict=True)
    ]
    columns = ["id", "seq", "client", "stored", "timestamp", "data", "verb_id", "registration"]
    columns += ["voided"]
    _bulk_insert(
        Statement, columns, [[getattr(r, _attname(Statement, c)) for c in columns] for r in rows]
    )
    return rows


def _insert_index(rows: list[Statement]) -> None:
    """Index rows for the new statements, with those inherited from StatementRef
    targets (already stored, or earlier in this batch)."""
    own = {row.id: index_entries(row.data) for row in rows}
    refs = {
        row.id: uuid.UUID(str(row.data["object"]["id"]))
        for row in rows
        if row.data["object"].get("objectType") == "StatementRef"
    }
    inherited = _stored_entries({t for t in refs.values() if t not in own})
    entries: list[list[Any]] = []
    for row in rows:
        keys = own[row.id]
        target = refs.get(row.id)
        if target is not None:
            # Stored back into ``own``: a later statement in the batch may point here.
            keys = own[row.id] = keys | own.get(target, inherited.get(target, set()))
        entries += [[row.id, key, related] for key, related in keys]
    _bulk_insert(StatementIndexEntry, ["statement", "key", "related"], entries)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _attname(model: type[models.Model], name: str) -> str:
    return _field(model, name).attname


def _bulk_insert(model: type[models.Model], names: list[str], rows: list[list[Any]]) -> None:
    """Insert many rows without building model instances: COPY on PostgreSQL,
    executemany elsewhere. Values are prepared by the model's own fields."""
    if not rows:
        return
    fields = [_field(model, name) for name in names]
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The raw psycopg cursor: wrap its errors as Django's (IntegrityError...).
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in prepared:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        # Table and column names come from the model, quoted; values are parameters.
        insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        cursor.executemany(insert, prepared)


def _stored_entries(targets: set[uuid.UUID]) -> dict[uuid.UUID, set[tuple[str, bool]]]:
    found: dict[uuid.UUID, set[tuple[str, bool]]] = {}
    if not targets:
        return found
    rows = StatementIndexEntry.objects.filter(statement_id__in=targets)
    for statement_id, key, related in rows.values_list("statement_id", "key", "related"):
        found.setdefault(statement_id, set()).add((key, related))
    return found


def _keep_attachments(parts: dict[str, AttachmentPart]) -> None:
    if parts:
        StatementAttachment.objects.bulk_create(
            [
                StatementAttachment(sha2=p.sha2, content_type=p.content_type, content=p.content)
                for p in parts.values()
            ],
            ignore_conflicts=True,
        )


def attachments_of(statements: Sequence[dict[str, Any]]) -> list[AttachmentPart]:
    """The kept contents of the attachments these statements declare, each once."""
    wanted: list[str] = []
    for statement in statements:
        for attachment in statement.get("attachments") or []:
            sha2 = str(attachment.get("sha2", "")).lower()
            if sha2 and sha2 not in wanted:
                wanted.append(sha2)
    if not wanted:
        return []
    kept = {a.sha2: a for a in StatementAttachment.objects.filter(sha2__in=wanted)}
    return [
        AttachmentPart(
            sha2=sha2, content_type=kept[sha2].content_type, content=bytes(kept[sha2].content)
        )
        for sha2 in wanted
        if sha2 in kept
    ]
