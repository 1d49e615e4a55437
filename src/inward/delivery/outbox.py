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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
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
    """A datetime as the database driver wants it in raw SQL (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


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


def _execute(sql: str, params: Sequence[Any]) -> int:
    """Run one outcome write; returns the rows it changed.

    On PostgreSQL it commits without waiting for the WAL flush (``synchronous_commit``
    off for this one statement's transaction): the outcome is safe once the server has
    it, whatever happens to the worker, and the sender does not wait for a disk flush per
    message. Only a crash of the database server itself can lose the last fraction of a
    second of outcomes; those rows are then sent again, with the same Message-IDs. The
    ``SET LOCAL`` travels in the same query string (one round trip; several statements in
    one query are one implicit transaction), which needs Django's default client-side
    parameter binding.
    """
    postgres = connection.vendor == "postgresql"
    query = f"SET LOCAL synchronous_commit TO OFF; {sql}" if postgres else sql

    def write() -> int:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            if postgres:
                cursor.nextset()  # from the SET's result to the UPDATE's
            return int(cursor.rowcount)

    return with_reconnect(write)


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


def delivery_mark_sent(*, delivery_id: int, worker: str, now: dt.datetime | None = None) -> bool:
    """The provider accepted the message."""
    now = now or timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'sent', sent_at = %s, error = '', "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s {_MINE}"
    )
    stamp = _ts(now)
    return _execute(sql, [stamp, stamp, delivery_id, worker]) == 1


def delivery_mark_failed(*, delivery_id: int, worker: str, error: str) -> bool:
    """A permanent failure: recorded with its reason and never retried."""
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'failed', error = %s, lease_expires_at = NULL, "  # noqa: S608
        f"updated_at = %s {_MINE}"
    )
    return _execute(sql, [error[:2000], _ts(now), delivery_id, worker]) == 1


def delivery_mark_suppressed(*, delivery_id: int, worker: str, reason: str) -> bool:
    """Not sent, on purpose (``SuppressReason``), found out only at send time."""
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'suppressed', suppressed_reason = %s, "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s {_MINE}"
    )
    return _execute(sql, [reason, _ts(now), delivery_id, worker]) == 1


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
    the policy's attempts are used up. Returns the status written."""
    policy = policy or retry_policy()
    if attempts >= policy.max_attempts:
        message = f"gave up after {attempts} attempts: {error}"
        delivery_mark_failed(delivery_id=delivery_id, worker=worker, error=message)
        return DeliveryStatus.FAILED
    now = now or timezone.now()
    due = now + dt.timedelta(seconds=policy.delay(attempts, retry_after))
    sql = (
        f"UPDATE {TABLE} SET status = 'pending', due_at = %s, error = %s, lease_owner = '', "  # noqa: S608
        f"lease_expires_at = NULL, updated_at = %s {_MINE}"
    )
    _execute(sql, [_ts(due), error[:2000], _ts(now), delivery_id, worker])
    return DeliveryStatus.PENDING


def deliveries_release(*, ids: Sequence[int], worker: str, due_at: dt.datetime) -> int:
    """Give claimed rows back unsent, due again at ``due_at``, without counting the
    attempt (quiet hours, a rate-limit pause, a worker stopping). Returns how many."""
    if not ids:
        return 0
    now = timezone.now()
    sql = (
        f"UPDATE {TABLE} SET status = 'pending', due_at = %s, lease_owner = '', "  # noqa: S608
        f"lease_expires_at = NULL, attempts = attempts - 1, updated_at = %s "
        f"WHERE id IN ({_in_list(ids)}) AND lease_owner = %s AND status = 'sending'"
    )
    return _execute(sql, [_ts(due_at), _ts(now), *ids, worker])


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
