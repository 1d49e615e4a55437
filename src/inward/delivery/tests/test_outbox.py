"""The outbox: claims with leases, outcomes guarded by the lease, backoff with jitter."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from inward.campaigns.models import Touch
from inward.campaigns.tests.factories import make_campaign, make_channel, make_people, make_touch
from inward.delivery.models import ChannelKind, Delivery, DeliveryStatus
from inward.delivery.outbox import (
    RetryPolicy,
    deliveries_claim,
    deliveries_release,
    deliveries_renew,
    deliveries_waiting,
    delivery_mark_failed,
    delivery_mark_retry,
    delivery_mark_sent,
    delivery_mark_sent_begin,
    delivery_message_id,
)
from inward.delivery.ratelimit import deliveries_claim_within_limits
from inward.delivery.tests.harness import shared_database

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _outbox(count: int, *, due: dt.datetime = NOW, **channel: Any) -> list[Delivery]:
    people = make_people(count)
    chan = make_channel(**channel)
    touch = make_touch(make_campaign(), chan)
    rows = [
        Delivery(
            touch=touch,
            person=person,
            channel=chan,
            due_at=due + dt.timedelta(seconds=i),
            message_id=delivery_message_id(touch_id=touch.pk, person_id=person.pk),
        )
        for i, person in enumerate(people)
    ]
    return Delivery.objects.bulk_create(rows)


def _status(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


def test_it_claims_due_rows_in_due_order_with_a_lease(settings: Any) -> None:
    settings.INWARD_SEND_LEASE_SECONDS = 60
    rows = _outbox(5)

    claimed = deliveries_claim(worker="w1", limit=3, now=NOW + dt.timedelta(seconds=10))

    assert claimed == [r.pk for r in rows[:3]]
    first = _status(rows[0])
    assert first.status == DeliveryStatus.SENDING
    assert first.lease_owner == "w1"
    assert first.attempts == 1
    assert first.lease_expires_at == NOW + dt.timedelta(seconds=70)


def test_it_leaves_rows_that_are_not_due_yet() -> None:
    _outbox(2, due=NOW + dt.timedelta(hours=1))

    assert deliveries_claim(worker="w1", limit=10, now=NOW) == []


def test_it_never_claims_a_row_someone_holds_until_the_lease_expires(settings: Any) -> None:
    settings.INWARD_SEND_LEASE_SECONDS = 60
    rows = _outbox(2)
    deliveries_claim(worker="w1", limit=10, now=NOW + dt.timedelta(seconds=5))

    assert deliveries_claim(worker="w2", limit=10, now=NOW + dt.timedelta(seconds=30)) == []
    taken = deliveries_claim(worker="w2", limit=10, now=NOW + dt.timedelta(seconds=70))

    assert taken == [r.pk for r in rows]
    assert _status(rows[0]).lease_owner == "w2"
    assert _status(rows[0]).attempts == 2


def test_it_writes_an_outcome_only_for_the_lease_holder() -> None:
    [row] = _outbox(1)
    deliveries_claim(worker="w1", limit=1, now=NOW)

    assert not delivery_mark_sent(delivery_id=row.pk, worker="w2")
    assert delivery_mark_sent(delivery_id=row.pk, worker="w1", now=NOW)

    row = _status(row)
    assert row.status == DeliveryStatus.SENT
    assert row.sent_at == NOW
    assert row.lease_expires_at is None
    assert not delivery_mark_failed(delivery_id=row.pk, worker="w1", error="late")


def test_it_retries_later_with_backoff_and_keeps_the_error() -> None:
    [row] = _outbox(1)
    deliveries_claim(worker="w1", limit=1, now=NOW)
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600, max_attempts=8)

    status = delivery_mark_retry(
        delivery_id=row.pk, worker="w1", attempts=1, error="451 later", now=NOW, policy=policy
    )

    row = _status(row)
    assert status == DeliveryStatus.PENDING
    assert row.status == DeliveryStatus.PENDING
    assert row.error == "451 later"
    assert row.lease_owner == ""
    assert NOW <= row.due_at <= NOW + dt.timedelta(seconds=30)


def test_it_waits_at_least_as_long_as_the_provider_asked() -> None:
    [row] = _outbox(1)
    deliveries_claim(worker="w1", limit=1, now=NOW)

    delivery_mark_retry(
        delivery_id=row.pk, worker="w1", attempts=1, error="429", retry_after=120, now=NOW
    )

    assert _status(row).due_at >= NOW + dt.timedelta(seconds=120)


def test_it_fails_for_good_after_the_last_attempt() -> None:
    [row] = _outbox(1)
    deliveries_claim(worker="w1", limit=1, now=NOW)
    policy = RetryPolicy(max_attempts=3)

    status = delivery_mark_retry(
        delivery_id=row.pk, worker="w1", attempts=3, error="451 later", policy=policy
    )

    row = _status(row)
    assert status == DeliveryStatus.FAILED
    assert row.status == DeliveryStatus.FAILED
    assert row.error == "gave up after 3 attempts: 451 later"


def test_its_backoff_grows_exponentially_with_full_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_seconds=30, cap_seconds=3600, max_attempts=8)

    delays = {n: [policy.delay(n) for _ in range(200)] for n in (1, 3, 10)}

    assert all(0 <= d <= 30 for d in delays[1])
    assert all(0 <= d <= 120 for d in delays[3])
    assert max(delays[3]) > 30  # it does grow
    assert all(0 <= d <= 3600 for d in delays[10])
    assert len(set(delays[1])) > 100  # jittered, not in lockstep


def test_it_gives_back_rows_without_counting_the_attempt() -> None:
    rows = _outbox(2)
    deliveries_claim(worker="w1", limit=2, now=NOW + dt.timedelta(seconds=5))
    later = NOW + dt.timedelta(hours=9)

    released = deliveries_release(ids=[r.pk for r in rows], worker="w1", due_at=later)

    assert released == 2
    row = _status(rows[0])
    assert (row.status, row.attempts, row.due_at) == (DeliveryStatus.PENDING, 0, later)


def test_it_renews_only_the_leases_it_still_holds(settings: Any) -> None:
    settings.INWARD_SEND_LEASE_SECONDS = 60
    rows = _outbox(2)
    deliveries_claim(worker="w1", limit=2, now=NOW + dt.timedelta(seconds=5))
    deliveries_claim(worker="w2", limit=1, now=NOW + dt.timedelta(seconds=66))

    later = NOW + dt.timedelta(seconds=62)
    held = deliveries_renew(ids=[r.pk for r in rows], worker="w1", now=later)

    assert held == {rows[1].pk}
    assert _status(rows[1]).lease_expires_at == NOW + dt.timedelta(seconds=122)


def test_it_says_whether_anything_is_waiting() -> None:
    [row] = _outbox(1, due=timezone.now() - dt.timedelta(seconds=1))
    assert deliveries_waiting()
    deliveries_claim(worker="w1", limit=1)
    assert deliveries_waiting()  # being sent
    delivery_mark_sent(delivery_id=row.pk, worker="w1")
    assert not deliveries_waiting()


def test_it_does_not_send_on_a_disabled_channel() -> None:
    _outbox(2, due=timezone.now() - dt.timedelta(seconds=1), enabled=False)

    assert deliveries_claim_within_limits(worker="w1", limit=10) == []
    assert not deliveries_waiting()


def test_it_claims_no_more_than_a_channels_rate_per_minute() -> None:
    rows = _outbox(5, due=timezone.now() - dt.timedelta(seconds=10), rate_per_minute=3)

    first = deliveries_claim_within_limits(worker="w1", limit=10)
    for row_id in first[:2]:
        delivery_mark_sent(delivery_id=row_id, worker="w1")
    second = deliveries_claim_within_limits(worker="w2", limit=10)

    assert len(first) == 3
    assert second == []  # two sent and one in flight fill the window
    later = timezone.now() + dt.timedelta(seconds=61)
    assert len(deliveries_claim_within_limits(worker="w2", limit=10, now=later)) == 2
    assert len(rows) == 5


def test_a_message_id_is_fixed_per_delivery(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Inward <news@corp.example>"

    message_id = delivery_message_id(touch_id=7, person_id=42, generation=1)
    post = delivery_message_id(touch_id=7, person_id=None)

    assert message_id.startswith("<d7.42.1.") and message_id.endswith("@corp.example>")
    assert post.startswith("<d7.post.0.")


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_at_once_never_share_a_row(tmp_path: Path) -> None:
    rows = _outbox(400, due=timezone.now() - dt.timedelta(hours=1))
    with shared_database(tmp_path):
        claims = _claim_in_threads(4)

    everything = [row_id for mine in claims.values() for row_id in mine]
    assert sorted(everything) == sorted(r.pk for r in rows)


def _claim_in_threads(count: int) -> dict[str, list[int]]:
    claims: dict[str, list[int]] = {}
    start = threading.Barrier(count)

    def claim(worker: str) -> None:
        start.wait()
        mine: list[int] = []
        try:
            while batch := deliveries_claim(worker=worker, limit=25):
                mine += batch
        finally:
            connection.close()
        claims[worker] = mine

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claims


def test_rows_given_back_become_cancelled_when_their_touch_was_cancelled() -> None:
    rows = _outbox(3)
    deliveries_claim(worker="w1", limit=3, now=NOW + dt.timedelta(seconds=5))
    Touch.objects.filter(pk=rows[0].touch_id).update(cancelled_at=NOW)

    status = delivery_mark_retry(delivery_id=rows[0].pk, worker="w1", attempts=1, error="451")
    released = deliveries_release(ids=[r.pk for r in rows[1:]], worker="w1", due_at=NOW)

    assert status == DeliveryStatus.PENDING
    assert released == 2
    assert {_status(r).status for r in rows} == {DeliveryStatus.CANCELLED}
    assert _status(rows[0]).error == "451"


def test_a_calendar_cancellation_given_back_stays_pending() -> None:
    [row] = _outbox(1, kind=ChannelKind.CALENDAR)
    Delivery.objects.filter(pk=row.pk).update(generation=1)
    deliveries_claim(worker="w1", limit=1, now=NOW)
    Touch.objects.filter(pk=row.touch_id).update(cancelled_at=NOW)

    deliveries_release(ids=[row.pk], worker="w1", due_at=NOW)

    assert _status(row).status == DeliveryStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_an_outcome_handed_over_survives_the_connection_dropping(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL hands an outcome over before reading its answer")
    [row] = _outbox(1)
    deliveries_claim(worker="w1", limit=1, now=NOW)
    with shared_database(tmp_path) as url:
        finish = delivery_mark_sent_begin(delivery_id=row.pk, worker="w1")
        pid = connection.connection.info.backend_pid
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])

        finish()  # reads the answer, or writes it again over a new connection
        connection.close()  # the ORM does not reconnect by itself (the sender's writes do)

        assert _status(row).status == DeliveryStatus.SENT
