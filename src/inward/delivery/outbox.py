"""The outbox: claiming deliveries with a lease, and recording each outcome at once.

A claim is one ``UPDATE ... RETURNING`` in a short transaction. Each outcome is one
targeted statement, written as soon as the provider answers, so the database is never
further behind the provider than the one message a connection has in flight. Outcomes
are guarded by ``lease_owner``: a worker whose lease expired (and whose rows another
worker took over) cannot overwrite the new owner's outcome. A lost database connection
is reconnected and the write tried again (``with_reconnect``).

See docs/decisions/0005-outbox.md for why this is a claim loop and not a task per message.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from inward.delivery.models import DeliveryStatus

log = logging.getLogger(__name__)

TABLE = "delivery_delivery"
# How long a failed outcome write keeps trying to reach the database before it gives up
# (and leaves the row to lease expiry). Longer than a typical failover or restart.
WRITE_RETRY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits a random time in
    ``[0, min(cap, base * 2**(n-1))]``, never less than the provider's ``retry_after``."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return max(random.uniform(0, ceiling), retry_after or 0.0)


def retry_policy() -> RetryPolicy:
    """The policy from settings (``INWARD_SEND_RETRY_BASE_SECONDS``,
    ``INWARD_SEND_RETRY_CAP_SECONDS``, ``INWARD_SEND_MAX_ATTEMPTS``), read at call time."""
    return RetryPolicy(
        base_seconds=float(settings.INWARD_SEND_RETRY_BASE_SECONDS),
        cap_seconds=float(settings.INWARD_SEND_RETRY_CAP_SECONDS),
        max_attempts=int(settings.INWARD_SEND_MAX_ATTEMPTS),
    )


def lease_seconds() -> int:
    return int(settings.INWARD_SEND_LEASE_SECONDS)


def message_domain() -> str:
    """The right-hand side of Message-IDs: the domain of ``DEFAULT_FROM_EMAIL``."""
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rpartition("@")[2] or "inward.localhost"


def delivery_message_id(
    *, touch_id: int, person_id: int | None, generation: int = 0, domain: str | None = None
) -> str:
    """The Message-ID (or idempotency key) of one delivery, fixed when its row is written:
    ``<d{touch}.{person}.{generation}.{token}@{domain}>``; channel posts use ``post``."""
    who = "post" if person_id is None else str(person_id)
    token = secrets.token_hex(4)
    return f"<d{touch_id}.{who}.{generation}.{token}@{domain or message_domain()}>"


def _ts(value: dt.datetime) -> Any:
    """A datetime as the database driver wants it in raw SQL (naive UTC text on SQLite,
    as Django stores it; PostgreSQL's driver takes the aware value itself)."""
    if connection.vendor == "postgresql":
        return value
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return str(value.replace(tzinfo=None))


def _in_list(values: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(values))


def with_reconnect[T](write: Callable[[], T], *, budget: float = WRITE_RETRY_SECONDS) -> T:
    """Run ``write``; if the database connection fails, reconnect and try again for up to
    ``budget`` seconds. Outside a transaction only: inside one, a lost connection lost the
    transaction too, so the error is raised for the caller's transaction to unwind."""
    deadline = time.monotonic() + budget
    pause = 0.05
    while True:
        try:
            return write()
        except IntegrityError:
            raise
        except DatabaseError as error:
            if connection.in_atomic_block or time.monotonic() + pause > deadline:
                raise
            log.warning("database unavailable (%s); reconnecting", error)
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


class _Session(threading.local):
    """Per thread: the driver connection the outcome writes last ran on, its own cursor,
    and (PostgreSQL) the statements prepared on it. All reset when the connection is new."""

    raw: Any = None
    cursor: Any = None
    pgconn: Any = None  # set when fixed statements are prepared on PostgreSQL
    prepared: dict[str, bytes]
    sqlite_sql: dict[str, str]

    def __init__(self) -> None:
        self.prepared = {}
        self.sqlite_sql = {}


_session = _Session()


def _driver_session(db: BaseDatabaseWrapper) -> _Session:
    """The driver's own cursor on Django's connection, made once per connection.

    Outcome writes run once per message, so they skip Django's cursor wrapper and its
    client-side parameter merging. On PostgreSQL fixed statements are prepared once per
    connection and run through libpq directly (``_pg_exec_prepared``) unless
    ``OPTIONS["prepare_threshold"]`` is set (e.g. to None behind a transaction-pooling
    PgBouncer), and the session is switched to ``synchronous_commit = off`` (see
    ``_execute``).
    """
    if db.connection is None:
        db.ensure_connection()
    raw = db.connection
    if _session.raw is not raw:
        _session.prepared, _session.pgconn = {}, None
        if db.vendor == "postgresql":
            import psycopg  # only on PostgreSQL

            cursor: Any = psycopg.Cursor(raw)
            cursor.execute("SET synchronous_commit TO off")
            if "prepare_threshold" not in (db.settings_dict.get("OPTIONS") or {}):
                _session.pgconn = raw.pgconn
        else:
            cursor = raw.cursor()
        _session.raw, _session.cursor = raw, cursor
    return _session


def _pg_text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format (the server casts it to the column's type)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat().encode()
    return str(value).encode()


def _pg_prepared_name(session: _Session, sql: str) -> bytes:
    """The name ``sql`` is prepared under on this connection, preparing it the first time."""
    name = session.prepared.get(sql)
    if name is None:
        name = f"inward_outcome_{len(session.prepared)}".encode()
        parts = sql.split("%s")
        numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], 1))
        _pg_check(session.pgconn.prepare(name, numbered.encode()))
        session.prepared[sql] = name
    return name


def _pg_exec_prepared(session: _Session, sql: str, params: Sequence[Any]) -> int:
    """Run a fixed statement through libpq's prepared-statement call (``psycopg.pq``,
    psycopg's public low-level layer): per message a few microseconds, where a cursor's
    query conversion and parameter dumping cost about a hundred. Raises psycopg's error
    for a failed statement (a lost connection included)."""
    pgconn = session.pgconn
    name = _pg_prepared_name(session, sql)
    result = pgconn.exec_prepared(name, [_pg_text(value) for value in params])
    _pg_check(result)
    return int(result.command_tuples or 0)


COMMAND_OK = 1  # psycopg.pq.ExecStatus.COMMAND_OK, libpq's PGRES_COMMAND_OK


def _pg_send_prepared(session: _Session, sql: str, params: Sequence[Any]) -> None:
    """Send a prepared statement without waiting for its result (``_pg_finish`` reads
    it); the whole request is flushed to the server before this returns."""
    pgconn = session.pgconn
    name = _pg_prepared_name(session, sql)
    pgconn.send_query_prepared(name, [_pg_text(value) for value in params])
    while pgconn.flush():  # the connection is non-blocking: wait until all is sent
        select.select([], [pgconn.socket], [], WRITE_RETRY_SECONDS)


def _pg_finish(db: BaseDatabaseWrapper, session: _Session, sql: str, params: Any) -> int:
    """Read the result of ``_pg_send_prepared``; rows changed. On a connection error the
    statement is written again from scratch (``_execute`` reconnects)."""
    pgconn = session.pgconn
    try:
        with db.wrap_database_errors:
            result = pgconn.get_result()
            while pgconn.get_result() is not None:  # to the end of this command
                pass
            if result is None:
                raise psycopg_error("no result for an outcome write")
            _pg_check(result)
            return int(result.command_tuples or 0)
    except (OperationalError, InterfaceError) as error:  # not an error in the SQL
        log.warning("outcome write lost with the connection (%s); writing it again", error)
        db.close()
        return _execute(sql, params, fixed=True)


def psycopg_error(message: str) -> Exception:
    from psycopg import OperationalError  # only on PostgreSQL

    return OperationalError(message)


def _pg_check(result: Any) -> None:
    if result.status != COMMAND_OK:
        from psycopg import errors  # only on PostgreSQL

        raise errors.error_from_result(result)


def _execute(sql: str, params: Sequence[Any], *, fixed: bool = False) -> int:
    """Run one outcome write in autocommit; returns the rows it changed. ``fixed``: the
    SQL text never varies (no IN list), so it is worth preparing.

    On PostgreSQL the sender's session commits without waiting for the WAL flush
    (``synchronous_commit`` off, set once per connection): an outcome is safe once the
    server has it, whatever happens to the worker, and the sender does not wait for a
    disk flush per message. Only a crash of the database server itself can lose the last
    fraction of a second of the session's writes; those rows are then sent again, with
    the same Message-IDs.
    """
    db = connections[DEFAULT_DB_ALIAS]
    postgres = db.vendor == "postgresql"
    if not postgres:
        found = _session.sqlite_sql.get(sql)
        sql = found or _session.sqlite_sql.setdefault(sql, sql.replace("%s", "?"))

    def write() -> int:
        session = _driver_session(db)
        with db.wrap_database_errors:
            if fixed and session.pgconn is not None:
                return _pg_exec_prepared(session, sql, params)
            session.cursor.execute(sql, params)
            return int(session.cursor.rowcount)

    return with_reconnect(write)


# Writing -------------------------------------------------------------------------------

# One new row: person_id, variant_id, status, due_at, message_id, suppressed_reason.
type NewDelivery = tuple[int | None, int | None, str, dt.datetime, str, str]

_INSERT = (
    f"INSERT INTO {TABLE} (touch_id, channel_id, generation, attempts, lease_owner, error, "  # noqa: S608
    "created_at, updated_at, person_id, variant_id, status, due_at, message_id, "
    "suppressed_reason) VALUES (%s, %s, %s, 0, '', '', %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT DO NOTHING"
)


def deliveries_write(
    *, touch_id: int, channel_id: int, rows: Sequence[NewDelivery], generation: int = 0
) -> None:
    """Insert new deliveries of one touch in one transaction; rows that exist already
    (the unique constraints) are skipped, so writing a touch twice adds nothing.

    The driver's own ``executemany`` of one fixed statement (pipelined on PostgreSQL)
    rather than ``bulk_create``: building a model instance and compiling SQL per row cost
    more than everything else materialising does.
    """
    if not rows:
        return
    now = _ts(timezone.now())
    head = (touch_id, channel_id, generation, now, now)
    postgres = connection.vendor == "postgresql"
    sql = _INSERT if postgres else _INSERT.replace("%s", "?")
    params = [
        (*head, person, variant, status, due if postgres else _ts(due), message_id, reason)
        for person, variant, status, due, message_id, reason in rows
    ]
    with transaction.atomic():
        session = _driver_session(connection)
        with connection.wrap_database_errors:
            session.cursor.executemany(sql, params)


# Claiming --------------------------------------------------------------------------------


def deliveries_claim(
    *,
    worker: str,
    limit: int,
    channel_ids: Sequence[int] | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Lease up to ``limit`` deliveries to ``worker`` and return their ids.

    Takes ``sending`` rows whose lease expired (a worker died holding them) first, then
    ``pending`` rows with ``due_at <= now`` in due order; only on ``channel_ids`` when
    given. Each claimed row becomes ``sending`` with ``lease_owner=worker``, a lease of
    ``INWARD_SEND_LEASE_SECONDS`` and one more attempt. On PostgreSQL two workers never
    claim the same row (``FOR UPDATE SKIP LOCKED``: neither waits for the other); on SQLite
    the claim runs in an IMMEDIATE transaction, which takes the write lock first.
    """
    now = now or timezone.now()
    if limit <= 0 or (channel_ids is not None and not channel_ids):
        return []
    expires = now + dt.timedelta(seconds=lease_seconds())
    claimed = _claim(worker, limit, channel_ids, now, expires, expired_leases=True)
    if len(claimed) < limit:
        rest = limit - len(claimed)
        claimed += _claim(worker, rest, channel_ids, now, expires, expired_leases=False)
    return claimed


def _claim(
    worker: str,
    limit: int,
    channel_ids: Sequence[int] | None,
    now: dt.datetime,
    expires: dt.datetime,
    *,
    expired_leases: bool,
) -> list[int]:
    # Two statements rather than one with OR: each walks the (status, due_at) index in
    # order, where an OR would make PostgreSQL sort every due row for each batch.
    if expired_leases:
        where, order = "status = %s AND lease_expires_at < %s", "lease_expires_at, id"
        params: list[Any] = [DeliveryStatus.SENDING, _ts(now)]
    else:
        where, order = "status = %s AND due_at <= %s", "due_at, id"
        params = [DeliveryStatus.PENDING, _ts(now)]
    if channel_ids is not None:
        where += f" AND channel_id IN ({_in_list(channel_ids)})"
        params += list(channel_ids)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {TABLE} SET status = %s, lease_owner = %s, lease_expires_at = %s, "  # noqa: S608
        f"attempts = attempts + 1, updated_at = %s "
        f"WHERE id IN (SELECT id FROM {TABLE} WHERE {where} ORDER BY {order} LIMIT %s{lock}) "
        f"RETURNING id"
    )
    head = [DeliveryStatus.SENDING, worker, _ts(expires), _ts(now)]

    def claim() -> list[int]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*head, *params, limit])
            return sorted(row[0] for row in cursor.fetchall())

    return with_reconnect(claim)


def deliveries_renew(
    *, ids: Sequence[int], worker: str, now: dt.datetime | None = None
) -> set[int]:
    """Extend ``worker``'s lease on ``ids``; returns the ids it still holds (a row whose
    lease expired may have been taken over by another worker, and is no longer ours)."""
    if not ids:
        return set()
    now = now or timezone.now()
    expires = now + dt.timedelta(seconds=lease_seconds())
    sql = (
        f"UPDATE {TABLE} SET lease_expires_at = %s WHERE id IN ({_in_list(ids)}) "  # noqa: S608
        f"AND lease_owner = %s AND status = %s RETURNING id"
    )

    def renew() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [_ts(expires), *ids, worker, DeliveryStatus.SENDING])
            return {row[0] for row in cursor.fetchall()}

    return with_reconnect(renew)


# Outcomes --------------------------------------------------------------------------------
# Each takes the claimed row's id and the worker holding its lease, and returns whether it
# still held it (False: the lease expired and another worker owns the row now).

_MINE = "WHERE id = %s AND lease_owner = %s AND status = 'sending'"


_SENT = (
    f"UPDATE {TABLE} SET status = 'sent', sent_at = %s, error = '', "  # noqa: S608
    f"lease_expires_at = NULL, updated_at = %s {_MINE}"
)


def delivery_mark_sent(*, delivery_id: int, worker: str, now: dt.datetime | None = None) -> bool:
    """The provider accepted the message."""
    stamp = _ts(now or timezone.now())
    return _execute(_SENT, [stamp, stamp, delivery_id, worker], fixed=True) == 1


def delivery_mark_sent_begin(*, delivery_id: int, worker: str) -> Callable[[], bool]:
    """``delivery_mark_sent``, in two halves: the write is handed to the database now,
    and the returned function waits for its answer (what ``delivery_mark_sent`` returns).

    On PostgreSQL (with prepared statements) the UPDATE is sent without waiting, so its
    round trip overlaps the next message's first SMTP steps; elsewhere it is written at
    once. Either way the database has the outcome when this returns, so the guarantee
    stands (no more than the one in-flight message per connection unrecorded) as long as
    the caller calls the function before handing over the next message, and before any
    other use of the database connection (which is busy until then). A write whose answer
    is lost with the connection is written again, reconnecting.
    """
    stamp = _ts(timezone.now())
    params = [stamp, stamp, delivery_id, worker]
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        try:
            session = _driver_session(db)
            if session.pgconn is not None:
                with db.wrap_database_errors:
                    _pg_send_prepared(session, _SENT, params)
                return lambda: _pg_finish(db, session, _SENT, params) == 1
        except DatabaseError:
            log.warning("could not hand over an outcome; writing it again", exc_info=True)
    written = _execute(_SENT, params, fixed=True) == 1
    return lambda: written


def delivery_mark_failed(*, delivery_id: int, worker: str, error: str) -> bool:
    """A permanent failure: recorded with its reason and never retried."""
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'failed', error = %s, lease_expires_at = NULL, "  # noqa: S608
        f"updated_at = %s {_MINE}"
    )
    return _execute(sql, [error[:2000], _ts(now), delivery_id, worker], fixed=True) == 1


def delivery_mark_suppressed(*, delivery_id: int, worker: str, reason: str) -> bool:
    """Not sent, on purpose (``SuppressReason``), found out only at send time."""
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'suppressed', suppressed_reason = %s, "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s {_MINE}"
    )
    return _execute(sql, [reason, _ts(now), delivery_id, worker], fixed=True) == 1


# What a row given back (retry, release) becomes: ``cancelled`` when its touch was
# cancelled meanwhile (``campaign_cancel`` cancels only rows that were pending at that
# moment, not the ones a worker held), else ``pending``. A calendar cancellation (a later
# generation on a calendar channel) is exactly what a cancelled touch still sends.
_GIVEN_BACK = (
    "CASE WHEN touch_id IN (SELECT id FROM campaigns_touch WHERE cancelled_at IS NOT NULL) "
    "AND NOT (generation > 0 AND channel_id IN "
    "(SELECT id FROM delivery_channel WHERE kind = 'calendar')) "
    "THEN 'cancelled' ELSE 'pending' END"
)


def delivery_mark_retry(
    *,
    delivery_id: int,
    worker: str,
    attempts: int,
    error: str,
    retry_after: float | None = None,
    now: dt.datetime | None = None,
    policy: RetryPolicy | None = None,
) -> DeliveryStatus:
    """A transient failure on attempt number ``attempts``: back to ``pending`` with a
    later ``due_at`` (backoff with jitter, at least ``retry_after``), or ``failed`` once
    the policy's attempts are used up; ``cancelled`` instead of ``pending`` when the
    touch was cancelled meanwhile (calendar cancellations excepted). Returns the status
    written (``pending`` for either of the last two)."""
    policy = policy or retry_policy()
    if attempts >= policy.max_attempts:
        message = f"gave up after {attempts} attempts: {error}"
        delivery_mark_failed(delivery_id=delivery_id, worker=worker, error=message)
        return DeliveryStatus.FAILED
    now = now or timezone.now()
    due = now + dt.timedelta(seconds=policy.delay(attempts, retry_after))
    sql = (
        f"UPDATE {TABLE} SET status = {_GIVEN_BACK}, due_at = %s, error = %s, lease_owner = '', "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s {_MINE}"
    )
    _execute(sql, [_ts(due), error[:2000], _ts(now), delivery_id, worker], fixed=True)
    return DeliveryStatus.PENDING


def deliveries_release(*, ids: Sequence[int], worker: str, due_at: dt.datetime) -> int:
    """Give claimed rows back unsent, due again at ``due_at``, without counting the
    attempt (quiet hours, a rate-limit pause, a worker stopping); rows of a touch
    cancelled meanwhile become ``cancelled`` instead. Returns how many."""
    if not ids:
        return 0
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = {_GIVEN_BACK}, due_at = %s, lease_owner = '', "  # noqa: S608
        f"lease_expires_at = NULL, attempts = attempts - 1, updated_at = %s "
        f"WHERE id IN ({_in_list(ids)}) AND lease_owner = %s AND status = 'sending'"
    )
    return _execute(sql, [_ts(due_at), _ts(now), *ids, worker])


def deliveries_cancel(*, ids: Sequence[int], worker: str) -> int:
    """Cancel claimed rows whose touch or campaign was cancelled after they were written
    (the sender finds out when it screens its batch). Returns how many."""
    if not ids:
        return 0
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'cancelled', lease_owner = '', "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s "
        f"WHERE id IN ({_in_list(ids)}) AND lease_owner = %s AND status = 'sending'"
    )
    return _execute(sql, [_ts(now), *ids, worker])


def deliveries_waiting(*, now: dt.datetime | None = None) -> bool:
    """Whether anything is left to send on enabled channels: rows due now, or rows a
    worker is sending (whose outcome, or lease expiry, is still to come). ``inward deliver
    --once`` stops when not."""
    now = now or timezone.now()
    enabled = "channel_id IN (SELECT id FROM delivery_channel WHERE enabled)"
    sql = (
        f"SELECT EXISTS (SELECT 1 FROM {TABLE} WHERE status = 'pending' AND due_at <= %s "  # noqa: S608
        f"AND {enabled}) OR EXISTS (SELECT 1 FROM {TABLE} WHERE status = 'sending' "
        f"AND {enabled})"
    )

    def read() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(sql, [_ts(now)])
            row = cursor.fetchone()
            return bool(row and row[0])

    return with_reconnect(read)
