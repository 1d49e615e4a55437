"""Fixtures for highlights tests: the delivery tests' real local SMTP and Slack servers,
and this app's URLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inward.delivery.tests.servers import SlackServer, SmtpServer


@pytest.fixture(autouse=True)
def _highlights_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "inward.highlights.tests.urls"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """Knows anna@example.com as U0ANNA and the channel C0123456."""
    server = SlackServer(users={"anna@example.com": "U0ANNA"}).start()
    yield server
    server.stop()
