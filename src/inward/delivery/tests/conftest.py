"""Fixtures for delivery tests: real local SMTP, Slack and Teams servers (``servers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inward.delivery.tests.servers import (
    SlackServer,
    SmtpServer,
    TeamsServer,
    TlsFiles,
    make_tls_files,
)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 that records what it accepts."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for localhost; its ``cert`` is also the CA file."""
    directory: Path = tmp_path_factory.mktemp("tls")
    return make_tls_files(directory)


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """Slack's Web API stand-in; knows emma@example.com as U0EMMA and channel C0123456."""
    server = SlackServer(users={"emma@example.com": "U0EMMA"}).start()
    yield server
    server.stop()


@pytest.fixture
def teams_server() -> Iterator[TeamsServer]:
    """A Teams Workflows webhook stand-in that checks the Adaptive Card."""
    server = TeamsServer().start()
    yield server
    server.stop()
