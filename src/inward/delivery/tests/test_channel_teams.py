"""The Teams transport against a local stand-in for a Workflows webhook."""

from __future__ import annotations

import datetime as dt
import email.utils
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
