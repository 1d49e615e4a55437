"""`inward deliver`: the loop, `--once`, a clean stop on SIGTERM; and `inward serve`
running it beside the web app."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from inward.campaigns.models import Campaign, CampaignStatus
from inward.campaigns.tests.factories import (
    make_audience,
    make_campaign,
    make_channel,
    make_people,
    make_touch,
)
from inward.delivery.management.commands.deliver import worker_identity
from inward.delivery.materialise import touch_materialise
from inward.delivery.models import ChannelKind, Delivery, DeliverySettings, FeedItem
from inward.delivery.selectors import delivery_counts
from inward.delivery.tests.harness import shared_database, worker_process
from inward.delivery.tests.servers import SmtpServer


@pytest.fixture(autouse=True)
def _rules(db: None) -> None:
    DeliverySettings.objects.create(pk=1, quiet_start=dt.time(0), quiet_end=dt.time(0))


def _scheduled(kind: str = ChannelKind.INTRANET, **config: object) -> Campaign:
    campaign = make_campaign(
        audience=make_audience('department = "Sales"'), status=CampaignStatus.SCHEDULED
    )
    make_touch(campaign, make_channel(kind, config=config), send_at=timezone.now())
    return campaign


@pytest.mark.django_db
def test_once_writes_due_touches_sends_them_and_stops() -> None:
    people = make_people(3)
    campaign = _scheduled()
    out = StringIO()

    call_command("deliver", "--once", "--interval", "0.01", "--worker-id", "t", stdout=out)

    assert {item.person_id for item in FeedItem.objects.all()} == {p.pk for p in people}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED
    assert f"Delivering as t@{socket.gethostname()[:30]}" in out.getvalue()
    assert "Stopped after handling 3 deliveries." in out.getvalue()


@pytest.mark.django_db
def test_once_returns_at_once_when_nothing_is_due() -> None:
    started = time.monotonic()

    # A long interval, so that a busy machine's slow pass is never mistaken for a sleep.
    call_command("deliver", "--once", "--interval", "30", stdout=StringIO())

    assert time.monotonic() - started < 30


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_it_after_the_message_in_flight_and_gives_the_rest_back(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    make_people(2000)
    server = {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}
    touch = _scheduled(ChannelKind.EMAIL, **server).touches.get()
    touch_materialise(touch=touch)

    with shared_database(tmp_path) as url:
        worker = worker_process(url, tmp_path, "--worker-id", "w", "--interval", "0.1")
        smtp_server.wait_for(200, timeout=60)
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(timeout=30) == 0, worker.output
        counts = delivery_counts(touch=touch)

    assert "Stopped after handling" in worker.output
    assert counts["sending"] == 0, "nothing is left leased to a stopped worker"
    assert counts["sent"] == len(smtp_server.received) < 2000
    assert counts["sent"] + counts["pending"] == 2000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    )
    pairs = (line.strip().split(" ", 1) for line in out.stdout.splitlines() if line.strip())
    return {int(child): args for child, args in pairs}


def _wait_for_healthz(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("inward serve never answered")


def _deliver_child(pid: int, *, not_pid: int = 0, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c, args in _children(pid).items() if " deliver " in f"{args} "]
        if found and found[0] != not_pid:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no `inward deliver` child: {_children(pid)}")


def test_serve_runs_the_sender_restarts_it_when_it_dies_and_stops_it(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(INWARD_VAR_DIR=str(tmp_path / "var"), DATABASE_URL=f"sqlite:///{tmp_path}/s.db")
    serve = subprocess.Popen(
        [sys.executable, "-m", "inward", "serve", "--port", str(port), "--no-worker"],
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_healthz(port)
        sender = _deliver_child(serve.pid)
        os.kill(sender, signal.SIGKILL)
        again = _deliver_child(serve.pid, not_pid=sender)
        os.killpg(serve.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        serve.wait(timeout=30)
        with pytest.raises(ProcessLookupError):
            os.kill(again, 0)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    output = serve.stdout.read().decode() if serve.stdout else ""
    assert "The sender stopped; restarting it." in output


def test_a_worker_id_names_the_host_and_is_unique_per_process() -> None:
    first = worker_identity("serve", host="web-1", pid=4242)
    second = worker_identity("serve", host="web-2", pid=4242)
    restarts = {worker_identity("serve", host="web-1", pid=4242) for _ in range(20)}

    assert re.fullmatch(r"serve@web-1:4242:[0-9a-f]{4}", first)
    assert first.rsplit(":", 1)[0] != second.rsplit(":", 1)[0]
    assert len(restarts) > 1  # a restarted process with a reused pid is told apart


def test_a_worker_id_fits_the_lease_column_by_shortening_the_host() -> None:
    host = "node-" + "x" * 80 + ".cluster.example.com"

    worker = worker_identity("bench-worker-1", host=host, pid=4194304)

    assert len(worker) <= Delivery._meta.get_field("lease_owner").max_length == 64
    assert worker.startswith("bench-worker-1@node-xxx")
    assert worker.endswith(":4194304:" + worker[-4:])
    long_name = worker_identity("n" * 100, host="h", pid=1)
    assert len(long_name) <= 64 and long_name.endswith(long_name[-4:])
    assert "@h:1:" in long_name


@pytest.mark.django_db
def test_a_worker_keeps_its_smtp_connection_from_one_batch_to_the_next(
    smtp_server: SmtpServer,
) -> None:
    make_people(25)
    _scheduled(ChannelKind.EMAIL, host=smtp_server.host, port=smtp_server.port, security="none")

    call_command("deliver", "--once", "--interval", "0.01", "--batch", "10", stdout=StringIO())

    assert len(smtp_server.received) == 25
    assert smtp_server.counts["connections"] == 1
