"""The Slack transport against a local stand-in for Slack's Web API."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from inward.campaigns.tests.factories import make_channel
from inward.delivery.channels.base import Job, Recipient, TransportError
from inward.delivery.channels.slack.transport import SlackTransport, slack_blocks
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.tests.servers import (
    SLACK_TOKEN,
    SlackServer,
    TlsFiles,
    TunnelProxy,
    slack_block_problems,
)

pytestmark = pytest.mark.django_db


def job(number: int = 1, *, email: str = "emma@example.com", **fields: Any) -> Job:
    defaults: dict[str, Any] = {
        "delivery_id": number,
        "message_id": f"<d5.{number}.0.x@example.com>",
        "touch_key": "5:1",
        "recipient": Recipient(number, email, "Emma", "en"),
        "subject": "New expense tool",
        "text": "Hi Emma, claims now take two minutes: https://expenses.example.com",
    }
    return Job(html="<p>unused</p>", **(defaults | fields))


def slack_channel(server: SlackServer, *, token: str = SLACK_TOKEN, **config: Any) -> Channel:
    return make_channel(
        ChannelKind.SLACK, config={"api_base": server.api_base, **config},
        secrets={"bot_token": token},
    )  # fmt: skip


def send_all(channel: Channel, *jobs: Job) -> None:
    transport = SlackTransport(channel)
    transport.open()
    try:
        for each in jobs:
            transport.send(each)
    finally:
        transport.close()


def failure(channel: Channel, each: Job) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send_all(channel, each)
    return caught.value


def test_it_sends_a_direct_message_in_block_kit(slack_server: SlackServer) -> None:
    send_all(slack_channel(slack_server), job())

    [post] = slack_server.posts
    assert post["channel"] == "U0EMMA"
    assert post["text"] == "New expense tool"
    assert post["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New expense tool"},
    }
    assert post["blocks"][1]["text"]["type"] == "mrkdwn"
    assert "https://expenses.example.com" in post["blocks"][1]["text"]["text"]
    assert post["metadata"]["event_payload"]["message_id"] == "<d5.1.0.x@example.com>"
    assert slack_server.problems == []


def test_the_notification_text_is_escaped_like_the_message(slack_server: SlackServer) -> None:
    subject = "<!channel> Results & <https://evil.example.com|the intranet>"
    send_all(slack_channel(slack_server), job(subject=subject), job(2, subject=""))

    first, second = slack_server.posts
    assert first["text"] == (
        "&lt;!channel&gt; Results &amp; &lt;https://evil.example.com|the intranet&gt;"
    )
    assert first["blocks"][0]["text"] == {"type": "plain_text", "text": subject}
    assert second["text"].startswith("Hi Emma")


def test_it_looks_each_person_up_once_per_transport(slack_server: SlackServer) -> None:
    slack_server.users["finn@example.com"] = "U0FINN"
    send_all(slack_channel(slack_server), job(1), job(2), job(3, email="FINN@example.com"))

    assert slack_server.lookups() == ["emma@example.com", "finn@example.com"]
    assert [post["channel"] for post in slack_server.posts] == ["U0EMMA", "U0EMMA", "U0FINN"]


def test_it_posts_in_a_channel_without_looking_anyone_up(slack_server: SlackServer) -> None:
    channel = slack_channel(slack_server, post_to_channel=True, channel_id="C0123456")
    send_all(channel, job(recipient=None))

    assert [post["channel"] for post in slack_server.posts] == ["C0123456"]
    assert slack_server.lookups() == []


def test_it_sends_the_bot_token_as_a_bearer_token(slack_server: SlackServer) -> None:
    send_all(slack_channel(slack_server), job())

    assert {call.headers["authorization"] for call in slack_server.calls} == {
        f"Bearer {SLACK_TOKEN}"
    }


def test_it_respects_slacks_rate_limit(slack_server: SlackServer) -> None:
    slack_server.rate_limit_next(retry_after=7)
    error = failure(slack_channel(slack_server), job())

    assert not error.permanent
    assert error.retry_after == 7.0
    assert slack_server.posts == []


def test_it_gives_up_on_an_address_slack_does_not_know(slack_server: SlackServer) -> None:
    error = failure(slack_channel(slack_server), job(email="nobody@example.com"))

    assert error.permanent
    assert "users_not_found" in str(error)


def test_it_gives_up_when_slack_refuses_the_token(slack_server: SlackServer) -> None:
    error = failure(slack_channel(slack_server, token="xoxb-revoked"), job())

    assert error.permanent
    assert "invalid_auth" in str(error)
    assert "xoxb-revoked" not in str(error)


def test_it_retries_when_slack_fails_on_its_side(slack_server: SlackServer) -> None:
    slack_server.answer_next(503, "upstream unavailable")
    assert not failure(slack_channel(slack_server), job()).permanent

    slack_server.answer_next(200, {"ok": False, "error": "internal_error"})
    assert not failure(slack_channel(slack_server), job()).permanent


def test_it_retries_when_slack_cannot_be_reached(slack_server: SlackServer) -> None:
    channel = slack_channel(slack_server)
    slack_server.stop()

    assert not failure(channel, job()).permanent


def test_it_refuses_a_channel_post_without_a_channel_id(slack_server: SlackServer) -> None:
    error = failure(slack_channel(slack_server, post_to_channel=True), job(recipient=None))

    assert error.permanent


def test_it_splits_long_text_into_sections_slack_accepts() -> None:
    text = ("Paragraph with <tags> & ampersands. " * 40 + "\n\n") * 5
    blocks = slack_blocks(job(text=text, subject="S" * 200))

    assert slack_block_problems(blocks) == []
    assert len(blocks[0]["text"]["text"]) == 150
    body = "".join(block["text"]["text"] for block in blocks[1:])
    assert "&lt;tags&gt; &amp; ampersands" in body
    assert "<" not in body


def test_it_keeps_the_connection_between_messages(slack_server: SlackServer) -> None:
    slack_server.users["finn@example.com"] = "U0FINN"
    send_all(slack_channel(slack_server), job(1), job(2, email="finn@example.com"))

    assert len(slack_server.calls) == 4
    assert len({call.client_port for call in slack_server.calls}) == 1


def test_it_goes_through_the_proxy_named_in_the_environment(
    slack_server: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", slack_server.base_url)  # the stand-in plays the proxy
    send_all(slack_channel(slack_server, api_base="http://slack.example.test/api"), job())

    assert [call.target for call in slack_server.calls] == [
        "http://slack.example.test/api/users.lookupByEmail?email=emma%40example.com",
        "http://slack.example.test/api/chat.postMessage",
    ]
    assert slack_server.posts[0]["channel"] == "U0EMMA"


def test_it_tunnels_https_through_the_proxy_named_in_the_environment(
    tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("no_proxy", "NO_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.cert))  # trust the test certificate
    slack = SlackServer(users={"emma@example.com": "U0EMMA"}, tls=tls_files)
    with slack, TunnelProxy(upstream_port=slack.port) as proxy:
        user_and_password = proxy.url.replace("http://", "http://robot:pa%3Ass@")
        monkeypatch.setenv("HTTPS_PROXY", user_and_password)
        send_all(slack_channel(slack, api_base="https://slack.example.test/api"), job())

    assert slack.posts[0]["channel"] == "U0EMMA"
    [(request_line, headers)] = proxy.requests  # one tunnel, kept for both calls
    assert request_line == "CONNECT slack.example.test:443 HTTP/1.1"
    assert headers["proxy-authorization"] == "Basic cm9ib3Q6cGE6c3M="  # robot:pa:ss


# --- the bot token is a secret: no error may carry it -----------------------------------


def test_it_refuses_a_token_that_cannot_be_sent_without_quoting_it(
    slack_server: SlackServer,
) -> None:
    # http.client's ValueError says "Invalid header value b'Bearer xoxb-…'".
    error = failure(slack_channel(slack_server, token="xoxb-s3cret\r\nX-Evil: 1"), job())

    assert error.permanent
    assert "s3cret" not in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    assert slack_server.calls == []


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"ok": False, "error": f"weird_error for Bearer {SLACK_TOKEN}"}),
        (200, {"ok": False, "error": "x" * 500}),
        (403, f"<html>Forbidden: Authorization: Bearer {SLACK_TOKEN}</html>"),
        (403, "token " + urllib.parse.quote(SLACK_TOKEN, safe="")),
    ],
)
def test_it_never_repeats_the_token_from_what_slack_answers(
    slack_server: SlackServer, status: int, body: Any
) -> None:
    slack_server.answer_next(status, body)
    error = failure(slack_channel(slack_server), job())

    assert SLACK_TOKEN not in str(error)
    assert "test-token" not in str(error)
    assert len(str(error)) < 250
