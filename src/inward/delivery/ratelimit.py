"""Claiming within each channel's rate limit (``Channel.rate_per_minute``).

A sliding window over the outbox itself: a channel may have at most ``rate_per_minute``
messages sent in the last 60 seconds or being sent under a live lease. The count and the
claim run in one transaction under a per-channel lock (PostgreSQL advisory lock; SQLite's
write lock), so two workers together stay within the limit.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from inward.delivery.models import Channel
from inward.delivery.outbox import deliveries_claim
from inward.delivery.selectors import channel_recent_sends

WINDOW = dt.timedelta(seconds=60)
LOCK_NAMESPACE = 0x1D2


def deliveries_claim_within_limits(
    *, worker: str, limit: int, now: dt.datetime | None = None
) -> list[int]:
    """Claim up to ``limit`` due deliveries on enabled channels, no more on a rate-limited
    channel than its window allows. Rate-limited channels are served first: their share
    is small, and a large e-mail send must not starve them. Deliveries on disabled channels
    stay pending until the channel is enabled again."""
    now = now or timezone.now()
    channels = list(Channel.objects.filter(enabled=True).values_list("id", "rate_per_minute"))
    claimed: list[int] = []
    for channel_id, rate in channels:
        if rate and len(claimed) < limit:
            claimed += _claim_limited(worker, channel_id, rate, limit - len(claimed), now)
    free = [channel_id for channel_id, rate in channels if not rate]
    if free and len(claimed) < limit:
        claimed += deliveries_claim(
            worker=worker, limit=limit - len(claimed), channel_ids=free, now=now
        )
    return claimed


def _claim_limited(
    worker: str, channel_id: int, rate: int, limit: int, now: dt.datetime
) -> list[int]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = [LOCK_NAMESPACE, channel_id % 2**31]
                cursor.execute("SELECT pg_advisory_xact_lock(%s::int, %s::int)", key)
        used = channel_recent_sends(channel_id=channel_id, since=now - WINDOW, now=now)
        budget = min(limit, rate - used)
        if budget <= 0:
            return []
        return deliveries_claim(worker=worker, limit=budget, channel_ids=[channel_id], now=now)
