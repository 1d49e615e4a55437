"""Faults: a server that defers or refuses, a worker killed mid-send, a database that goes
away. Whatever happens, every person gets the message, and nobody gets it twice except
the one message a killed worker had in flight, which carries the same Message-ID."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from inward.campaigns.models import Campaign, CampaignStatus, Touch
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.materialise import touch_materialise
from inward.delivery.models import ChannelKind, DeliverySettings, DeliveryStatus
from inward.delivery.selectors import delivery_counts
from inward.delivery.sender import outbox_send_batch
from inward.delivery.tests.harness import HookedSmtpServer, shared_database, worker_process
from inward.delivery.tests.servers import Received, SmtpServer
from inward.directory.models import Person

RETRY_FAST = {
    "INWARD_SEND_RETRY_BASE_SECONDS": 0.02,
    "INWARD_SEND_RETRY_CAP_SECONDS": 0.1,
    "INWARD_SEND_MAX_ATTEMPTS": 100,
}


@pytest.fixture(autouse=True)
def _rules(db: None) -> None:
    DeliverySettings.objects.create(
        pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0), weekly_cap=100
    )


def _email_touch(server: SmtpServer, *, status: str = CampaignStatus.RUNNING) -> Touch:
    config = {"host": server.host, "port": server.port, "security": "none"}
    campaign = make_campaign(audience=make_audience('department = "Sales"'), status=status)
    channel = make_channel(ChannelKind.EMAIL, config=config)
    return make_touch(campaign, channel, send_at=timezone.now(), subject="Hi {{ person.name }}")


def _send_until_done(touch: Touch, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = delivery_counts(touch=touch)
        if not counts["pending"] and not counts["sending"]:
            return
        if not outbox_send_batch(worker="t"):
            time.sleep(0.02)
    raise AssertionError(f"still not done: {delivery_counts(touch=touch)}")


def _emails(people: list[Person]) -> set[str]:
    return {p.email for p in people}


@pytest.mark.django_db
def test_a_server_deferring_for_a_while_gets_everything_once(
    smtp_server: SmtpServer, settings: Any
) -> None:
    for name, value in RETRY_FAST.items():
        setattr(settings, name, value)
    people = make_people(30)
    touch = _email_touch(smtp_server)
    touch_materialise(touch=touch)
    smtp_server.fail_first(45)  # every message deferred at least once

    _send_until_done(touch)

    assert smtp_server.counts["deferred"] == 45
    received = smtp_server.recipients()
    assert set(received) == _emails(people)
    assert set(received.values()) == {1}
    assert delivery_counts(touch=touch)["sent"] == 30


@pytest.mark.django_db
def test_addresses_the_server_refuses_are_failed_with_its_reason(
    smtp_server: SmtpServer,
) -> None:
    people = make_people(5)
    refused = _emails(people[:2])
    smtp_server.refuse(refused, "550 5.1.1 No such user here")
    touch = _email_touch(smtp_server)
    touch_materialise(touch=touch)

    _send_until_done(touch)

    failed = touch.deliveries.filter(status=DeliveryStatus.FAILED).select_related("person")
    assert {d.person.email for d in failed} == refused
    assert all("550" in d.error and "No such user here" in d.error for d in failed)
    assert set(smtp_server.recipients()) == _emails(people[2:])


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_is_finished_by_another_without_losing_anyone(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    people = make_people(5000)
    touch = _email_touch(smtp_server)
    touch_materialise(touch=touch)
    lease = {"INWARD_SEND_LEASE_SECONDS": "2"}

    with shared_database(tmp_path) as url:
        started = time.monotonic()
        first = worker_process(url, tmp_path, "--worker-id", "a", "--interval", "0.1", **lease)
        try:
            arrived = smtp_server.wait_for(1500, timeout=60)
        finally:
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait()
        killed_after = len(smtp_server.received)
        second = worker_process(url, tmp_path, "--worker-id", "b", "--once", **lease)
        assert second.process.wait(timeout=120) == 0, second.output
        finished = time.monotonic()
        counts = delivery_counts(touch=touch)

    received = list(smtp_server.received)
    _report_rate(arrived, received, started, finished)
    assert killed_after < 5000, "the first worker was killed before it finished"
    assert counts["sent"] == 5000 and counts["pending"] == counts["sending"] == 0
    per_person = smtp_server.recipients()
    assert set(per_person) == _emails(people)
    twice = [email for email, n in per_person.items() if n > 1]
    assert len(twice) <= 1, f"more duplicates than connections in flight: {twice}"
    assert max(per_person.values()) <= 2
    for email in twice:
        assert len(_message_ids(received)[email]) == 1, "a duplicate carries the same Message-ID"


def _message_ids(received: list[Received]) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for item in received:
        for rcpt in item.rcpt_tos:
            ids[rcpt.lower()].add(item.message_id)
    return ids


def _report_rate(
    arrived: list[Received], received: list[Received], started: float, finished: float
) -> None:
    """Print the first worker's sending rate (from its first message to the kill) and the
    whole run's; ``pytest -s`` shows them."""
    first_worker = arrived[-1].received_at - arrived[0].received_at
    rate = (len(arrived) - 1) / first_worker if first_worker else 0.0
    print(
        f"\n5,000-person send: {rate:,.0f} messages/s while sending; "
        f"{len(received):,} messages in {finished - started:.1f} s overall "
        f"(two process starts and a {2} s lease expiry included)"
    )


@pytest.mark.django_db(transaction=True)
def test_the_send_finishes_when_the_database_connection_drops_and_comes_back(
    tmp_path: Path,
) -> None:
    people = make_people(300)
    drops: Counter[str] = Counter()
    server = HookedSmtpServer().start()
    try:
        touch = _email_touch(server, status=CampaignStatus.SCHEDULED)
        with shared_database(tmp_path) as url:
            server.on_message = _connection_dropper(url, at=(50, 180), drops=drops)
            call_command("deliver", "--once", "--interval", "0.05", "--batch", "40")
            counts = delivery_counts(touch=touch)
            campaign = Campaign.objects.get(pk=touch.campaign_id)
    finally:
        server.stop()

    assert drops["dropped"] == 2
    assert counts["sent"] == 300
    per_person = server.recipients()
    assert set(per_person) == _emails(people)
    assert set(per_person.values()) == {1}, "each outcome was written once the database was back"
    assert campaign.status == CampaignStatus.COMPLETED


def _connection_dropper(
    url: str, *, at: tuple[int, ...], drops: Counter[str]
) -> Callable[[int], None]:
    """Cut the test thread's database connection while the sender waits for the server's
    answer to message number ``at``: on PostgreSQL the server ends the backend
    (``pg_terminate_backend``); on SQLite the connection is closed under Django's feet."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's: the sender's
    wrapper.ensure_connection()

    def drop(count: int) -> None:
        if count not in at:
            return
        if wrapper.vendor == "postgresql":
            _terminate(url, wrapper.connection.info.backend_pid)
        else:
            wrapper.connection.close()
        drops["dropped"] += 1

    return drop


def _terminate(url: str, pid: int) -> None:
    """End a PostgreSQL backend and wait until it is gone."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            gone = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if gone.fetchone() is None:
                return
            time.sleep(0.01)


def _sent_so_far(url: str) -> int:
    """Deliveries recorded as sent, read over a connection of its own (committed rows)."""
    query = "SELECT count(*) FROM delivery_delivery WHERE status = 'sent'"
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return int(db.execute(query).fetchone()[0])
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(query).fetchone()
        return int(row[0]) if row else 0


@pytest.mark.django_db(transaction=True)
def test_each_outcome_is_committed_before_the_next_message_is_handed_over(
    tmp_path: Path,
) -> None:
    make_people(12)
    recorded: dict[int, int] = {}
    server = HookedSmtpServer().start()
    try:
        touch = _email_touch(server)
        touch_materialise(touch=touch)
        with shared_database(tmp_path) as url:
            # Called as message `count` arrives, before the server answers it.
            server.on_message = lambda count: recorded.setdefault(count, _sent_so_far(url))
            outbox_send_batch(worker="t")
    finally:
        server.stop()

    assert recorded == {count: count - 1 for count in range(1, 13)}
