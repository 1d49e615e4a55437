"""The Teams transport against a local stand-in for a Workflows webhook."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import socket
import threading
import urllib.parse
from typing import Any

import pytest

from inward.campaigns.tests.factories import make_channel
from inward.delivery.channels.base import Job, TransportError
from inward.delivery.channels.jsonhttp import parse_retry_after
from inward.delivery.channels.teams.transport import TeamsTransport
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.tests.servers import TeamsServer

pytestmark = pytest.mark.django_db


def post(**fields: Any) -> Job:
    defaults: dict[str, Any] = {
        "delivery_id": 9,
        "message_id": "<d8.c.0.x@example.com>",
        "touch_key": "8:1",
        "recipient": None,
        "subject": "Town hall on Thursday",
        "text": "Bring your questions: https://intranet.example.com/townhall",
        "html": "<p>unused</p>",
    }
    return Job(**(defaults | fields))


def teams_channel(server: TeamsServer) -> Channel:
    return make_channel(ChannelKind.TEAMS, secrets={"webhook_url": server.webhook_url})


def send(channel: Channel, job: Job) -> None:
    transport = TeamsTransport(channel)
    transport.open()
    try:
        transport.send(job)
    finally:
        transport.close()


def failure(channel: Channel, job: Job) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(channel, job)
    assert "s3cret" not in str(caught.value)  # the webhook URL is a secret
    return caught.value


def test_it_posts_an_adaptive_card(teams_server: TeamsServer) -> None:
    send(teams_channel(teams_server), post())

    [message] = teams_server.cards
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [block["text"] for block in card["body"]] == [
        "Town hall on Thursday",
        "Bring your questions: https://intranet.example.com/townhall",
    ]
    assert teams_server.problems == []


def test_it_waits_when_teams_throttles(teams_server: TeamsServer) -> None:
    teams_server.answer_next(429, "Too many requests", Retry_After="30")
    error = failure(teams_channel(teams_server), post())

    assert not error.permanent
    assert error.retry_after == 30.0


def test_it_reads_retry_after_as_a_date_too(teams_server: TeamsServer) -> None:
    later = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90), usegmt=True
    )
    teams_server.answer_next(429, "Too many requests", Retry_After=later)
    error = failure(teams_channel(teams_server), post())

    assert error.retry_after is not None and 80 < error.retry_after <= 90


def test_it_reads_a_legacy_webhooks_throttling_text(teams_server: TeamsServer) -> None:
    teams_server.answer_next(
        200, "Webhook message delivery failed with error: Microsoft Teams endpoint "
        "returned HTTP error 429 with ContextId tcid=0"
    )  # fmt: skip

    assert not failure(teams_channel(teams_server), post()).permanent


def test_it_retries_after_a_server_error(teams_server: TeamsServer) -> None:
    teams_server.answer_next(502, "bad gateway")

    assert not failure(teams_channel(teams_server), post()).permanent


def test_it_gives_up_when_teams_refuses_the_message(teams_server: TeamsServer) -> None:
    teams_server.answer_next(400, "Bad payload")
    error = failure(teams_channel(teams_server), post())

    assert error.permanent
    assert "400" in str(error) and "Bad payload" in str(error)


def test_it_gives_up_on_a_webhook_that_is_gone(teams_server: TeamsServer) -> None:
    channel = make_channel(
        ChannelKind.TEAMS, secrets={"webhook_url": teams_server.base_url + "/gone?sig=s3cret"}
    )

    assert failure(channel, post()).permanent


def test_it_needs_a_webhook_url() -> None:
    assert failure(make_channel(ChannelKind.TEAMS), post()).permanent


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("12", 12.0), ("0.5", 0.5), ("-3", 0.0), ("nan", None), ("soon", None), ("", None)],
)
def test_it_reads_retry_after_values_carefully(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


# --- the webhook URL is a secret: no error may carry it ---------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/work flows?sig=s3cret",  # http.client's InvalidURL quotes it
        "http://127.0.0.1:9/workflows?sig=s3cret\r\nX-Evil: 1",
        "http://127.0.0.1:9/wörkflows?sig=s3cret",  # not ASCII: UnicodeEncodeError
        "http://127.0.0.1:port/workflows?sig=s3cret",  # urlsplit's ValueError
    ],
)
def test_it_refuses_a_webhook_url_that_cannot_be_sent_without_quoting_it(url: str) -> None:
    error = failure(make_channel(ChannelKind.TEAMS, secrets={"webhook_url": url}), post())

    assert error.permanent
    assert "work" not in str(error)
    # Nor does an exception that quotes it travel along for a log to print.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


@pytest.mark.parametrize(
    "echo",
    [
        "{url}",
        "no workflow at {path}",
        "api-version=2016-06-01&amp;sig=s3cret: bad signature",
        '{{"error": "bad url {quoted}"}}',
        '{{"request": "{json}"}}',
    ],
)
def test_it_cuts_an_echo_of_the_webhook_url_out_of_what_teams_answers(
    teams_server: TeamsServer, echo: str
) -> None:
    url = teams_server.webhook_url
    body = echo.format(
        url=url,
        path=TeamsServer.PATH + "?api-version=2016-06-01&sig=s3cret",
        quoted=urllib.parse.quote(url, safe=""),
        json=url.replace("/", "\\/"),
    )
    teams_server.answer_next(400, body)
    error = failure(teams_channel(teams_server), post())  # asserts "s3cret" is not in it

    assert "Teams answered HTTP 400" in str(error)
    assert "abc123" not in str(error)


def test_it_cuts_the_webhook_url_out_of_a_garbled_answer() -> None:
    # A server that is no HTTP server echoes the request line back; http.client's
    # BadStatusLine quotes it in full.
    with EchoServer() as echo:
        channel = make_channel(
            ChannelKind.TEAMS, secrets={"webhook_url": f"{echo.url}/workflows/abc123?sig=s3cret"}
        )
        error = failure(channel, post())

    assert not error.permanent
    assert "abc123" not in str(error)


class EchoServer:
    """Reads the first line of a request and sends it back as the answer."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._listener.accept()
                with connection, connection.makefile("rb") as reader:
                    connection.sendall(reader.readline())
