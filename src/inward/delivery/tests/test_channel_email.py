"""The e-mail transport against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core import mail

from inward.campaigns.tests.factories import make_channel
from inward.delivery.channels.base import Job, Recipient, TransportError
from inward.delivery.channels.email.transport import EmailTransport
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.tests.servers import SmtpServer, TlsFiles

pytestmark = pytest.mark.django_db


def job(number: int = 1, *, email: str = "emma@example.com", **fields: Any) -> Job:
    defaults: dict[str, Any] = {
        "delivery_id": number,
        "message_id": f"<d1.{number}.0.tok{number}@example.com>",
        "touch_key": "1:1",
        "recipient": Recipient(person_id=number, email=email, name="Emma Ådahl", language="en"),
        "subject": "Your course starts Monday",
        "text": "Hello Emma,\n\nenrol here: https://learn.example.com/c\n",
        "html": '<p>Hello Emma,</p><p><a href="https://learn.example.com/c">enrol</a></p>',
    }
    return Job(**(defaults | fields))


def smtp_channel(server: SmtpServer, **config: Any) -> Channel:
    settings = {"host": server.host, "port": server.port, "security": "none"}
    settings |= {"from_addr": "Learning <learning@example.com>"}
    secrets = {"password": config.pop("password")} if "password" in config else {}
    return make_channel(ChannelKind.EMAIL, config=settings | config, secrets=secrets)


def send_all(channel: Channel, *jobs: Job) -> None:
    transport = EmailTransport(channel)
    transport.open()
    try:
        for each in jobs:
            transport.send(each)
    finally:
        transport.close()


def test_it_sends_many_messages_over_one_connection(smtp_server: SmtpServer) -> None:
    send_all(smtp_channel(smtp_server), job(1), job(2, email="finn@example.com"), job(3))

    assert smtp_server.counts["connections"] == 1
    assert smtp_server.recipients() == {"emma@example.com": 2, "finn@example.com": 1}
    first = smtp_server.received[0]
    assert first.mail_from == "learning@example.com"
    assert first.message_id == "<d1.1.0.tok1@example.com>"
    assert first.message.defects == []


def test_it_sends_a_multipart_message_that_parses_cleanly(smtp_server: SmtpServer) -> None:
    unsubscribe = {"List-Unsubscribe": "<https://inward.example.com/feed/preferences/x/>"}
    send_all(smtp_channel(smtp_server, reply_to="help@example.com"), job(headers=unsubscribe))

    message = smtp_server.messages[0]
    assert message["Subject"] == "Your course starts Monday"
    assert message["To"].addresses[0].display_name == "Emma Ådahl"
    assert message["From"].addresses[0].addr_spec == "learning@example.com"
    assert message["Reply-To"] == "help@example.com"
    assert message["List-Unsubscribe"] == unsubscribe["List-Unsubscribe"]
    assert message.get_body(("plain",)).get_content().startswith("Hello Emma,")
    assert "<p>Hello Emma,</p>" in message.get_body(("html",)).get_content()
    assert all(not part.defects for part in message.walk())


def test_it_uses_email_url_when_the_channel_names_no_server(
    smtp_server: SmtpServer, settings: Any
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port},
        }
    }
    send_all(make_channel(ChannelKind.EMAIL, config={}), job())

    assert smtp_server.recipients() == {"emma@example.com": 1}
    assert smtp_server.received[0].message["From"] == settings.DEFAULT_FROM_EMAIL


def test_it_goes_through_djangos_mail_backend_when_email_url_is_not_smtp() -> None:
    headers = {"List-Unsubscribe": "<https://inward.example.com/u>"}
    send_all(make_channel(ChannelKind.EMAIL, config={}), job(headers=headers))

    [sent] = mail.outbox
    assert sent.subject == "Your course starts Monday"
    message = sent.message()
    assert message["To"].addresses[0].display_name == "Emma Ådahl"
    assert message["Message-ID"] == "<d1.1.0.tok1@example.com>"
    assert message["List-Unsubscribe"] == "<https://inward.example.com/u>"
    assert sent.alternatives[0].mimetype == "text/html"


def test_it_speaks_starttls_and_logs_in(tls_files: TlsFiles) -> None:
    with SmtpServer(tls=tls_files, users={"mailer": "s3cret"}, auth_required=True) as server:
        channel = smtp_channel(
            server,
            host="localhost",
            security="starttls",
            username="mailer",
            password="s3cret",
            ca_file=str(tls_files.cert),
        )
        send_all(channel, job())

    assert server.logins == ["mailer"]
    assert server.recipients() == {"emma@example.com": 1}


def test_it_speaks_tls_from_the_start(tls_files: TlsFiles) -> None:
    with SmtpServer(tls=tls_files, implicit_tls=True) as server:
        channel = smtp_channel(
            server, host="localhost", security="tls", ca_file=str(tls_files.cert)
        )
        send_all(channel, job())

    assert server.recipients() == {"emma@example.com": 1}


def test_it_refuses_a_server_whose_certificate_it_cannot_trust(tls_files: TlsFiles) -> None:
    with SmtpServer(tls=tls_files) as server, pytest.raises(TransportError) as caught:
        EmailTransport(smtp_channel(server, host="localhost", security="starttls")).open()

    assert not caught.value.permanent
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert server.received == []


def test_it_says_plainly_when_the_password_is_wrong(tls_files: TlsFiles) -> None:
    with SmtpServer(tls=tls_files, users={"mailer": "s3cret"}, auth_required=True) as server:
        channel = smtp_channel(
            server,
            host="localhost",
            security="starttls",
            username="mailer",
            password="wrong",
            ca_file=str(tls_files.cert),
        )
        with pytest.raises(TransportError) as caught:
            EmailTransport(channel).open()

    assert "refused the user name or password" in str(caught.value)
    assert "wrong" not in str(caught.value)
    assert server.logins == []


def test_it_treats_a_4xx_answer_as_worth_retrying(smtp_server: SmtpServer) -> None:
    smtp_server.fail_first(1)
    transport = EmailTransport(smtp_channel(smtp_server))
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(job(1))
    transport.send(job(2))
    transport.close()

    assert not caught.value.permanent
    assert "451" in str(caught.value)
    assert smtp_server.message_ids() == {"<d1.2.0.tok2@example.com>": 1}
    assert smtp_server.counts["connections"] == 1


def test_it_records_a_refused_address_as_permanent_with_the_servers_reason(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse(["gone@example.com"], "550 5.1.1 Mailbox does not exist")
    transport = EmailTransport(smtp_channel(smtp_server))
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(job(1, email="gone@example.com"))
    transport.send(job(2))
    transport.close()

    assert caught.value.permanent
    assert "550 5.1.1 Mailbox does not exist" in str(caught.value)
    assert smtp_server.recipients() == {"emma@example.com": 1}


def test_it_connects_anew_after_the_server_drops_the_connection(smtp_server: SmtpServer) -> None:
    smtp_server.disconnect_next()
    transport = EmailTransport(smtp_channel(smtp_server))
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(job(1))
    transport.send(job(1))
    transport.close()

    assert not caught.value.permanent
    assert smtp_server.message_ids() == {"<d1.1.0.tok1@example.com>": 1}
    assert smtp_server.counts["connections"] == 2


def test_it_connects_anew_when_the_server_says_it_is_closing(smtp_server: SmtpServer) -> None:
    smtp_server.fail_first(1, "421 4.3.2 Service shutting down")
    transport = EmailTransport(smtp_channel(smtp_server))
    transport.open()
    with pytest.raises(TransportError) as caught:
        transport.send(job(1))
    transport.send(job(2))
    transport.close()

    assert not caught.value.permanent
    assert smtp_server.counts["connections"] == 2
    assert smtp_server.recipients() == {"emma@example.com": 1}


def test_it_reports_an_unreachable_server_as_transient() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = make_channel(
        ChannelKind.EMAIL, config={"host": "127.0.0.1", "port": port, "security": "none"}
    )
    with pytest.raises(TransportError) as caught:
        EmailTransport(channel).open()

    assert not caught.value.permanent
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_it_refuses_a_job_without_a_recipient(smtp_server: SmtpServer) -> None:
    transport = EmailTransport(smtp_channel(smtp_server))
    with pytest.raises(TransportError) as caught:
        transport.send(job(recipient=None))

    assert caught.value.permanent
    transport.close()


def test_it_dot_stuffs_lines_that_start_with_a_dot(smtp_server: SmtpServer) -> None:
    text = ".hidden?\n..two dots\nend.\n.\n"

    send_all(smtp_channel(smtp_server), job(1, text=text))

    [received] = smtp_server.received
    assert received.message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert received.message.defects == []


def test_after_a_refused_address_the_same_connection_carries_the_next_message(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse(["gone@example.com"], "550 5.1.1 Mailbox does not exist")
    transport = EmailTransport(smtp_channel(smtp_server))
    transport.open()
    try:
        with pytest.raises(TransportError):
            transport.send(job(1, email="gone@example.com"))
        transport.send(job(2, email="finn@example.com"))
    finally:
        transport.close()

    assert smtp_server.recipients() == {"finn@example.com": 1}
    assert smtp_server.counts["connections"] == 1


@pytest.mark.parametrize(
    "address", ["a@example.com>\r\nRCPT TO:<b@example.com", "jörg@example.com"]
)
def test_it_refuses_an_address_that_cannot_go_in_an_smtp_command(
    smtp_server: SmtpServer, address: str
) -> None:
    with pytest.raises(TransportError) as caught:
        send_all(smtp_channel(smtp_server), job(1, email=address))

    assert caught.value.permanent
    assert smtp_server.received == []
