"""`inward serve --web-processes N`: N waitress processes on one port (SO_REUSEPORT), each
serving real HTTP, supervised like the worker and the sender, each writing the tracking
hits it holds when it is stopped."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from inward.analytics.models import EngagementEvent, EventKind
from inward.analytics.tests.ingest_fixtures import deliver, promoting
from inward.delivery.models import Delivery
from inward.delivery.tests.harness import shared_database
from inward.delivery.tracking import click_token, open_token
from inward.web.management.commands.serve import reuse_port_supported, web_processes

pytestmark = pytest.mark.skipif(not reuse_port_supported(), reason="SO_REUSEPORT is Linux's")

BODY = "[Enrol](https://learn.example.com/course) or [read more](https://wiki.example.com/crm)."
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url,
        INWARD_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=settings.SECRET_KEY,  # the tokens below are signed with it
    )
    return env


def _serve_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "inward", "serve", "--port", str(port), "--no-migrate", *extra]


@contextmanager
def _serving(
    tmp_path: Path, database_url: str, *extra: str, processes: int = 2
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    command = _serve_command(port, "--web-processes", str(processes), *extra)
    serve = subprocess.Popen(
        command,
        env=_env(tmp_path, database_url),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_healthz(port)
        yield serve, port
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=30)


def _wait_for_healthz(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                assert answer.status == 200
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("inward serve never answered")


def _web_processes(
    pid: int, *, count: int, not_pids: frozenset[int] = frozenset(), timeout: float = 30
) -> list[int]:
    """The web processes `inward serve` runs (children given a listening socket)."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(
            ["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
        ).stdout
        found = [int(line.split()[0]) for line in out.splitlines() if "--listen-fd" in line]
        if len(found) == count and not set(found) & not_pids:
            return found
        assert time.monotonic() < deadline, f"web processes of {pid}: {out}"
        time.sleep(0.1)


def _assert_gone(pid: int, timeout: float = 10) -> None:
    """``pid`` no longer exists (a process the kernel is still tearing down gets a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            status = Path(f"/proc/{pid}/status")
            state = status.read_text().splitlines()[:3] if status.exists() else []
            raise AssertionError(f"process {pid} outlived inward serve: {state}")
        time.sleep(0.1)


def _owner(connection: http.client.HTTPConnection, server_port: int, pids: list[int]) -> int:
    """Which server process holds the other end of ``connection`` (from /proc: the socket's
    inode in /proc/net/tcp, then the process whose file descriptors include it)."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    assert inode, "the server's end of the connection is not in /proc/net/tcp"
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no web process holds socket {inode}")


def _get(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path, headers={"User-Agent": BROWSER})
    response = connection.getresponse()
    response.read()
    return response.status


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_the_port_and_a_clean_stop_writes_every_hit(
    tmp_path: Path,
) -> None:
    setup = promoting(None, people=32, touches=1)
    touch = setup.touches[0]
    touch.variants.update(body=BODY)
    sent = timezone.now() - dt.timedelta(minutes=10)
    deliveries = [deliver(touch, person, at=sent) for person in setup.people]

    with shared_database(tmp_path) as url, _serving(tmp_path, url, "--no-worker") as (serve, port):
        web = _web_processes(serve.pid, count=2)
        owners: dict[int, int] = {}
        connections = []
        for delivery in deliveries:  # a new connection each: the kernel spreads them
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connections.append(connection)
            assert _get(connection, f"/t/o/{open_token(delivery.pk)}.gif") == 200
            owners[delivery.pk] = _owner(connection, port, web)
            assert _get(connection, f"/t/c/{click_token(delivery.pk, 1)}") == 302
        # Clicks are held for robots.BURST_SECONDS before they are written: stopping at
        # once leaves them in the web processes' buffers, for the shutdown to write.
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        for connection in connections:
            connection.close()
        output = serve.stdout.read().decode() if serve.stdout else ""
        for pid in web:
            _assert_gone(pid)

        assert set(owners.values()) == set(web), "one web process served every connection"
        assert "Stopped." in output and "dropped" not in output
        assert "did not stop" not in output
        events = EngagementEvent.objects.filter(robot=False)
        assert events.filter(kind=EventKind.OPENED).count() == len(deliveries)
        assert events.filter(kind=EventKind.CLICKED).count() == len(deliveries)
        assert not Delivery.objects.filter(pk__in=owners, clicked_at=None).exists()


@pytest.mark.django_db(transaction=True)
def test_a_web_process_that_dies_is_replaced_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    with shared_database(tmp_path) as url, _serving(tmp_path, url, "--no-sender") as (serve, port):
        web = _web_processes(serve.pid, count=2)
        # The port is taken: a second `inward serve` says so rather than sharing it.
        second = subprocess.run(
            _serve_command(port, "--web-processes", "2", "--no-worker", "--no-sender"),
            env=_env(tmp_path, url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        assert f"Cannot listen on 127.0.0.1:{port}" in second.stderr

        os.kill(web[0], signal.SIGKILL)
        again = _web_processes(serve.pid, count=2, not_pids=frozenset({web[0]}))
        for _ in range(20):  # new connections land on both sockets, the replaced one too
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                assert r.status == 200
        others = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(serve.pid)], capture_output=True, text=True
        ).stdout.split()
        os.killpg(serve.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        serve.wait(timeout=60)
        for pid in {*again, *map(int, others)}:
            _assert_gone(pid)
    output = serve.stdout.read().decode() if serve.stdout else ""
    assert "The web process 1 stopped; restarting it." in output or (
        "The web process 2 stopped; restarting it." in output
    )
    assert "2 web processes" in output and "Stopped." in output


def test_the_number_of_web_processes_comes_from_the_option_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INWARD_WEB_PROCESSES", raising=False)
    assert web_processes(None) == 1
    assert web_processes(3) == 3
    monkeypatch.setenv("INWARD_WEB_PROCESSES", "2")
    assert web_processes(None) == 2
    assert web_processes(1) == 1
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("INWARD_WEB_PROCESSES", bad)
        with pytest.raises(CommandError, match=f"INWARD_WEB_PROCESSES='{bad}'"):
            web_processes(None)
    with pytest.raises(CommandError, match="--web-processes"):
        web_processes(0)
