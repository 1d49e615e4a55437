"""The process-level contract: deploy checks, the inward command, and `inward serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_URL")
    }
    env.update(INWARD_VAR_DIR=str(tmp_path / "var"), DATABASE_URL=f"sqlite:///{tmp_path}/t.db")
    env.update(extra)
    return env


def _inward(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inward", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_checks_under_production_settings(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        INWARD_PRODUCTION="1",
        SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        ALLOWED_HOSTS="inward.example.com",
        EMAIL_URL="smtp://inward:secret@mail.example.com:587?starttls=1",
        INWARD_BASE_URL="https://inward.example.com",
    )
    result = _inward("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_a_plain_http_base_url_in_production(tmp_path: Path) -> None:
    """Tracking and preference links in messages would travel unencrypted."""
    env = _env(
        tmp_path,
        INWARD_PRODUCTION="1",
        SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        ALLOWED_HOSTS="inward.example.com",
        INWARD_BASE_URL="http://inward.example.com",
    )
    result = _inward("check", env=env)
    assert result.returncode != 0
    assert "INWARD_BASE_URL must be an https:// address in production" in result.stderr


def test_it_fails_the_deploy_checks_without_production_settings(tmp_path: Path) -> None:
    result = _inward("check", "--deploy", "--fail-level", "WARNING", env=_env(tmp_path))
    assert result.returncode != 0


def test_it_generates_a_secret_key_once_into_var(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _inward("check", env=env)
    key_file = tmp_path / "var" / "secret_key"
    first = key_file.read_text()
    _inward("check", env=env)
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_it_refuses_a_malformed_boolean(tmp_path: Path) -> None:
    result = _inward("check", env=_env(tmp_path, DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, deadline: float) -> dict[str, str]:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return dict(json.loads(response.read()))
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def test_serve_runs_web_and_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inward", "serve", "--port", str(port)],
        env=_env(tmp_path),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", time.monotonic() + 60)
        assert health["status"] == "ok"
        workers = _children(process.pid)
        assert workers, "no background worker was started"
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        process.wait(timeout=30)
        for worker in workers:
            with pytest.raises(ProcessLookupError):
                os.kill(worker, 0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = process.stdout.read().decode() if process.stdout else ""
    assert "Stopped." in output
