"""The registry: transports by kind, settings checks, and the "send test" action."""

from __future__ import annotations

from typing import Any

import pytest

from inward.audit.models import AuditEntry
from inward.campaigns.tests.factories import make_channel
from inward.delivery.channels.base import TransportError
from inward.delivery.channels.calendar.transport import CalendarTransport
from inward.delivery.channels.email.transport import EmailTransport
from inward.delivery.channels.intranet.transport import IntranetTransport
from inward.delivery.channels.registry import (
    CHANNEL_FIELDS,
    channel_config_errors,
    channel_secrets_merge,
    channel_send_test,
    transport_for,
)
from inward.delivery.channels.slack.transport import SlackTransport
from inward.delivery.channels.teams.transport import TeamsTransport
from inward.delivery.models import ChannelKind, FeedItem
from inward.delivery.tests.servers import SLACK_TOKEN, SlackServer, SmtpServer, TeamsServer
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def test_it_finds_the_transport_for_each_kind() -> None:
    expected = {
        ChannelKind.EMAIL: EmailTransport,
        ChannelKind.CALENDAR: CalendarTransport,
        ChannelKind.SLACK: SlackTransport,
        ChannelKind.TEAMS: TeamsTransport,
        ChannelKind.INTRANET: IntranetTransport,
    }
    for kind, transport in expected.items():
        assert type(transport_for(make_channel(kind))) is transport


def test_it_describes_the_settings_of_every_kind() -> None:
    assert set(CHANNEL_FIELDS) == set(ChannelKind.values)
    secrets = {spec.name for specs in CHANNEL_FIELDS.values() for spec in specs if spec.secret}
    assert secrets == {"password", "bot_token", "webhook_url"}


@pytest.mark.parametrize(
    ("kind", "config", "secrets", "errors"),
    [
        ("email", {}, {}, set()),
        ("email", {"host": "smtp.example.com", "port": "587", "security": "starttls",
                   "from_addr": "Learning <l@example.com>"}, {"password": "x"}, set()),
        ("email", {"host": "smtp.example.com", "port": "70000"}, {}, {"port"}),
        ("email", {"host": "smtp.example.com", "security": "ssl3"}, {}, {"security"}),
        ("calendar", {"from_addr": "not an address"}, {}, {"from_addr"}),
        ("email", {"username": "u"}, {"password": "p"}, {"host"}),
        ("slack", {}, {}, {"bot_token"}),
        ("slack", {"post_to_channel": True}, {"bot_token": "xoxb-1"}, {"channel_id"}),
        ("slack", {"api_base": "ftp://x"}, {"bot_token": "xoxb-1"}, {"api_base"}),
        ("slack", {"post_to_channel": True, "channel_id": "C1"}, {"bot_token": "xoxb-1"}, set()),
        ("teams", {}, {}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "javascript:alert(1)"}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "https://x.logic.azure.com/workflows/1?sig=2"}, set()),
        ("teams", {}, {"webhook_url": "http://x.logic.azure.com/workflows/1?sig=2"},
         {"webhook_url"}),
        ("teams", {}, {"webhook_url": "http://127.0.0.1:8080/hook"}, set()),
        ("teams", {}, {"webhook_url": "http://localhost/hook"}, set()),
        ("teams", {}, {"webhook_url": "https://x.example.com/a b?sig=2"}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "https://x.example.com/a?sig=2\n"}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "https://x.example.com/wörk?sig=2"}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "https://x.example.com:99999/a"}, {"webhook_url"}),
        ("teams", {}, {"webhook_url": "https:///no-host"}, {"webhook_url"}),
        ("slack", {"api_base": "http://slack.example.com/api"}, {"bot_token": "xoxb-1"},
         {"api_base"}),
        ("slack", {"api_base": "https://slack.example.com/api"}, {"bot_token": "xoxb-1"}, set()),
        ("intranet", {}, {}, set()),
        ("fax", {}, {}, {"kind"}),
    ],
)  # fmt: skip
def test_it_checks_channel_settings(
    kind: str, config: dict[str, Any], secrets: dict[str, Any], errors: set[str]
) -> None:
    assert set(channel_config_errors(kind, config, secrets)) == errors


def test_it_sends_a_test_email_and_audits_it(smtp_server: SmtpServer, admin_user: Any) -> None:
    channel = make_channel(
        ChannelKind.EMAIL,
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    channel_send_test(channel=channel, to="ada@example.com", actor=admin_user)

    [message] = smtp_server.messages
    assert message["Subject"] == "Test message from Inward"
    assert channel.name in message.get_body(("plain",)).get_content()
    entry = AuditEntry.objects.get(action="channel.test")
    assert entry.data == {"to": "ada@example.com", "ok": True, "error": ""}


def test_it_sends_a_test_invite(smtp_server: SmtpServer, admin_user: Any) -> None:
    channel = make_channel(
        ChannelKind.CALENDAR,
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    channel_send_test(channel=channel, to="ada@example.com", actor=admin_user)

    [message] = smtp_server.messages
    assert any(part.get_content_type() == "text/calendar" for part in message.walk())


def test_it_says_why_a_test_failed_and_audits_that_too(
    smtp_server: SmtpServer, admin_user: Any
) -> None:
    smtp_server.refuse(["ada@example.com"], "550 5.7.1 Relaying denied")
    channel = make_channel(
        ChannelKind.EMAIL,
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    with pytest.raises(TransportError) as caught:
        channel_send_test(channel=channel, to="ada@example.com", actor=admin_user)

    assert "550 5.7.1 Relaying denied" in str(caught.value)
    entry = AuditEntry.objects.get(action="channel.test")
    assert entry.data["ok"] is False
    assert "Relaying denied" in entry.data["error"]


def test_it_wants_an_address_for_an_email_test(admin_user: Any) -> None:
    with pytest.raises(TransportError) as caught:
        channel_send_test(channel=make_channel(ChannelKind.EMAIL), to="", actor=admin_user)

    assert "address" in str(caught.value)


def test_it_sends_a_slack_test_to_the_person_with_that_address(
    slack_server: SlackServer, admin_user: Any
) -> None:
    channel = make_channel(
        ChannelKind.SLACK,
        config={"api_base": slack_server.api_base},
        secrets={"bot_token": SLACK_TOKEN},
    )
    channel_send_test(channel=channel, to="emma@example.com", actor=admin_user)

    assert [post["channel"] for post in slack_server.posts] == ["U0EMMA"]


def test_it_posts_a_teams_test_whatever_the_address(
    teams_server: TeamsServer, admin_user: Any
) -> None:
    channel = make_channel(ChannelKind.TEAMS, secrets={"webhook_url": teams_server.webhook_url})
    channel_send_test(channel=channel, to="", actor=admin_user)

    assert len(teams_server.cards) == 1


def test_it_puts_an_intranet_test_in_the_actors_own_feed(employee_user: Any) -> None:
    emma = Person.objects.create(email="emma@example.com", first_name="Emma")
    channel = make_channel(ChannelKind.INTRANET, name="<b>News</b>")
    channel_send_test(channel=channel, to="someone@example.com", actor=employee_user)

    [item] = FeedItem.objects.all()
    assert item.person == emma
    assert item.delivery is None
    assert "&lt;b&gt;News&lt;/b&gt;" in item.body_html


def test_it_explains_that_an_actor_without_a_directory_entry_has_no_feed(
    admin_user: Any,
) -> None:
    with pytest.raises(TransportError) as caught:
        channel_send_test(channel=make_channel(ChannelKind.INTRANET), to="", actor=admin_user)

    assert "directory" in str(caught.value)


SMTP = {"host": "smtp.example.com", "port": 587, "security": "starttls", "username": "u"}


@pytest.mark.parametrize(
    ("kind", "before", "after", "given", "kept", "cleared"),
    [
        ("email", SMTP, SMTP, {}, {"password": "old"}, []),
        ("email", SMTP, {**SMTP, "from_addr": "x@example.com"}, {}, {"password": "old"}, []),
        ("email", SMTP, {**SMTP, "port": "587", "host": "SMTP.example.com "}, {},
         {"password": "old"}, []),
        ("email", SMTP, {**SMTP, "host": "evil.example"}, {}, {}, ["password"]),
        ("calendar", SMTP, {**SMTP, "security": "none"}, {}, {}, ["password"]),
        ("email", SMTP, {**SMTP, "username": "v"}, {"password": "new"}, {"password": "new"}, []),
        ("email", SMTP, {**SMTP, "port": 25}, {"password": ""}, {}, ["password"]),
        ("slack", {}, {"api_base": "https://evil.example/api"}, {}, {}, ["password"]),
        ("teams", {}, {"anything": "else"}, {}, {"password": "old"}, []),
    ],
)  # fmt: skip
def test_it_drops_stored_secrets_when_the_channel_points_elsewhere(
    kind: str,
    before: dict[str, Any],
    after: dict[str, Any],
    given: dict[str, Any],
    kept: dict[str, Any],
    cleared: list[str],
) -> None:
    merge = channel_secrets_merge(
        kind, stored_config=before, config=after, stored_secrets={"password": "old"}, given=given
    )
    assert (merge.secrets, merge.cleared) == (kept, cleared)


def test_it_marks_which_settings_decide_where_secrets_go() -> None:
    endpoints = {
        kind: [spec.name for spec in specs if spec.endpoint]
        for kind, specs in CHANNEL_FIELDS.items()
    }
    assert endpoints == {
        "email": ["host", "port", "security", "username"],
        "calendar": ["host", "port", "security", "username"],
        "slack": ["api_base"],
        "teams": [],  # the webhook URL is itself the secret
        "intranet": [],
    }
