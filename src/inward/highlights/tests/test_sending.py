"""Sending a digest: e-mail arrives at a real SMTP server (aiosmtpd), Slack at the local
stand-in for Slack's Web API; each copy's outcome is recorded and moves "last heard"."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from inward.accounts.models import User
from inward.audit.models import AuditEntry
from inward.campaigns.tests.factories import make_campaign, make_channel
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.tests.servers import SLACK_TOKEN, SlackServer, SmtpServer
from inward.highlights.models import (
    Digest,
    DigestStatus,
    HighlightKind,
    PreferredChannel,
    RecipientStatus,
)
from inward.highlights.selectors import overdue_stakeholders, stakeholder_status
from inward.highlights.services import (
    HighlightError,
    digest_deliver,
    digest_retry_failed,
    digest_send_start,
)
from inward.highlights.tests.factories import make_digest, make_highlight, make_stakeholder

pytestmark = pytest.mark.django_db


def email_channel(server: SmtpServer) -> Channel:
    config = {"host": server.host, "port": server.port, "security": "none"}
    config["from_addr"] = "Learning team <learning@example.com>"
    return make_channel(ChannelKind.EMAIL, config=config)


def slack_channel(server: SlackServer) -> Channel:
    return make_channel(
        ChannelKind.SLACK, config={"api_base": server.api_base}, secrets={"bot_token": SLACK_TOKEN}
    )


def send(digest: Digest, actor: User, capture: Any) -> None:
    """Press "Send": the task runs when the request's transaction commits."""
    with capture(execute=True):
        digest_send_start(actor=actor, digest=digest)
    digest.refresh_from_db()


def three_highlights() -> list[Any]:
    campaign = make_campaign(name="Data skills for everyone")
    return [
        make_highlight(HighlightKind.NUMBER, title="Enrolments", campaign=campaign),
        make_highlight(HighlightKind.QUOTE, title="What learners say", story="After week 2."),
        make_highlight(HighlightKind.PICTURE, title="Kick-off"),
    ]


def test_an_email_digest_arrives_with_text_html_and_the_picture_inline(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    anna = make_stakeholder(name="Anna Bakker", email="anna@example.com")
    digest = make_digest(
        title="Learning highlights, March",
        intro="Three things\nworth knowing.",
        highlights=three_highlights(),
        stakeholders=[anna],
        email_channel=email_channel(smtp_server),
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    [received] = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["anna@example.com"]
    assert message["Subject"] == "Learning highlights, March"
    assert message["To"].addresses[0].display_name == "Anna Bakker"
    assert message["Reply-To"] == "mona@example.com"
    assert message["Message-ID"] == f"<digest.{digest.pk}.{digest.recipients.get().pk}@inward>"
    assert all(not part.defects for part in message.walk())
    text = message.get_body(("plain",)).get_content()
    assert "312 enrolled in the first week" in text
    assert "“I finally understand our numbers.” — Sanne, team lead" in text
    html = message.get_body(("html",)).get_content()
    assert "<strong>312</strong> enrolled in the first week" in html
    assert "from the campaign “Data skills for everyone”" in html.replace("From", "from")
    [picture] = [part for part in message.walk() if part.get_content_maintype() == "image"]
    cid = picture["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert picture.get_content_type() == "image/png"
    assert picture.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    copy = digest.recipients.get()
    assert (copy.status, copy.error, copy.channel_kind) == ("sent", "", "email")
    assert copy.sent_at is not None
    assert digest.status == DigestStatus.SENT


def test_the_html_is_sanitised(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    sneaky = make_highlight(
        HighlightKind.QUOTE,
        title='<img src=x onerror="alert(1)">',
        quote_text="<script>alert('x')</script> nice",
        story='<a href="javascript:alert(1)">click</a>',
    )
    digest = make_digest(
        highlights=[sneaky],
        stakeholders=[make_stakeholder()],
        email_channel=email_channel(smtp_server),
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    html = smtp_server.wait_for(1)[0].message.get_body(("html",)).get_content()
    elements = Elements()
    elements.feed(html)
    assert {"script", "a"}.isdisjoint(tag for tag, _ in elements.found)
    assert [tag for tag, attrs in elements.found if tag == "img"] == []
    assert all(not name.startswith("on") for _, attrs in elements.found for name in attrs)
    assert "&lt;script&gt;" in html  # shown as text


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_a_slack_digest_is_a_direct_message_found_by_email(
    slack_server: SlackServer,
    smtp_server: SmtpServer,
    manager_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    anna = make_stakeholder(email="anna@example.com", preferred_channel=PreferredChannel.SLACK)
    digest = make_digest(
        title="Learning highlights, March",
        highlights=three_highlights(),
        stakeholders=[anna],
        email_channel=email_channel(smtp_server),
        slack_channel=slack_channel(slack_server),
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    [post] = slack_server.posts
    assert post["channel"] == "U0ANNA"
    assert post["blocks"][0]["text"]["text"] == "Learning highlights, March"
    body = " ".join(block["text"]["text"] for block in post["blocks"][1:])
    assert "312 enrolled in the first week" in body
    assert "[Picture: People at the kick-off]" in body
    assert slack_server.problems == []
    assert smtp_server.received == []
    assert digest.recipients.get().status == RecipientStatus.SENT


def test_a_stakeholder_with_a_slack_id_gets_it_there_without_a_lookup(
    slack_server: SlackServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    board = make_stakeholder(slack="C0123456", preferred_channel=PreferredChannel.SLACK)
    digest = make_digest(
        highlights=[make_highlight()],
        stakeholders=[board],
        slack_channel=slack_channel(slack_server),
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    assert [post["channel"] for post in slack_server.posts] == ["C0123456"]
    assert slack_server.lookups() == []


def test_each_copy_records_its_own_failure_and_the_rest_still_go(
    smtp_server: SmtpServer,
    slack_server: SlackServer,
    manager_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    smtp_server.refuse(["gone@example.com"])
    ok = make_stakeholder(name="A ok", email="ok@example.com")
    gone = make_stakeholder(name="B gone", email="gone@example.com")
    unknown = make_stakeholder(
        name="C unknown", email="nobody@example.com", preferred_channel=PreferredChannel.SLACK
    )
    digest = make_digest(
        highlights=[make_highlight()],
        stakeholders=[ok, gone, unknown],
        email_channel=email_channel(smtp_server),
        slack_channel=slack_channel(slack_server),
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    copies = {copy.stakeholder.name: copy for copy in digest.recipients.all()}
    assert copies["A ok"].status == RecipientStatus.SENT
    assert copies["B gone"].status == RecipientStatus.FAILED
    assert "550" in copies["B gone"].error and copies["B gone"].sent_at is None
    assert copies["C unknown"].status == RecipientStatus.FAILED
    assert "users_not_found" in copies["C unknown"].error
    assert smtp_server.recipients() == {"ok@example.com": 1}
    finish = AuditEntry.objects.get(action="highlights.digest_finish")
    assert finish.data == {"sent": 1, "failed": 2}


def test_failed_copies_can_be_sent_again(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    smtp_server.refuse(["late@example.com"])
    late = make_stakeholder(email="late@example.com")
    digest = make_digest(
        highlights=[make_highlight()],
        stakeholders=[late, make_stakeholder()],
        email_channel=email_channel(smtp_server),
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)
    smtp_server.heal()

    with django_capture_on_commit_callbacks(execute=True):
        assert digest_retry_failed(actor=manager_user, digest=digest) == 1

    assert smtp_server.recipients()["late@example.com"] == 1
    assert len(smtp_server.received) == 2
    assert set(digest.recipients.values_list("status", flat=True)) == {"sent"}


def test_a_stakeholder_who_prefers_slack_gets_email_when_no_slack_channel_is_chosen(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    anna = make_stakeholder(email="anna@example.com", preferred_channel=PreferredChannel.SLACK)
    digest = make_digest(
        highlights=[make_highlight()], stakeholders=[anna], email_channel=email_channel(smtp_server)
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    assert smtp_server.recipients() == {"anna@example.com": 1}
    assert digest.recipients.get().channel_kind == "email"


def test_without_an_email_channel_django_mailer_sends_it(
    manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    digest = make_digest(
        title="Highlights",
        highlights=[make_highlight(HighlightKind.PICTURE)],
        stakeholders=[make_stakeholder(name="Stakeholder", email="anna@example.com")],
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.to == ['"Stakeholder" <anna@example.com>']
    assert message.subject == "Highlights"
    parsed = message.message()
    assert any(part.get_content_maintype() == "image" for part in parsed.walk())
    assert digest.recipients.get().status == RecipientStatus.SENT


def test_last_heard_moves_after_a_send(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    anna = make_stakeholder(name="Anna", cadence_days=30, added_days_ago=60)
    assert [status.stakeholder for status in overdue_stakeholders(timezone.now())] == [anna]
    digest = make_digest(
        highlights=[make_highlight()], stakeholders=[anna], email_channel=email_channel(smtp_server)
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    status = stakeholder_status(anna.pk, timezone.now())
    assert status.last_heard_on == timezone.localdate()
    assert status.days_silent == 0
    assert overdue_stakeholders(timezone.now()) == []


def test_sending_is_audited(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    anna = make_stakeholder()
    highlight = make_highlight()
    digest = make_digest(
        highlights=[highlight], stakeholders=[anna], email_channel=email_channel(smtp_server)
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    entry = AuditEntry.objects.get(action="highlights.digest_send")
    assert entry.actor == manager_user
    assert entry.target_id == digest.pk
    assert entry.data["stakeholders"] == [anna.pk]
    assert entry.data["highlights"] == [highlight.pk]


def test_running_the_task_twice_sends_nothing_twice(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    digest = make_digest(
        highlights=[make_highlight()],
        stakeholders=[make_stakeholder(), make_stakeholder()],
        email_channel=email_channel(smtp_server),
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)

    digest_deliver(digest_id=digest.pk)

    assert len(smtp_server.received) == 2


def test_a_digest_is_sent_once(
    smtp_server: SmtpServer, manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    digest = make_digest(
        highlights=[make_highlight()],
        stakeholders=[make_stakeholder()],
        email_channel=email_channel(smtp_server),
    )
    send(digest, manager_user, django_capture_on_commit_callbacks)

    with pytest.raises(HighlightError, match="sent already"):
        digest_send_start(actor=manager_user, digest=digest)
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize("missing", ["highlights", "stakeholders"])
def test_a_digest_needs_highlights_and_stakeholders(manager_user: User, missing: str) -> None:
    fields: dict[str, Any] = {
        "highlights": [make_highlight()],
        "stakeholders": [make_stakeholder()],
    }
    fields[missing] = []
    digest = make_digest(**fields)

    with pytest.raises(HighlightError, match=f"at least one {missing[:-1]}"):
        digest_send_start(actor=manager_user, digest=digest)
    assert digest.recipients.count() == 0


def test_a_dead_smtp_server_fails_the_copies_with_a_reason(
    manager_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    server = SmtpServer().start()
    channel = email_channel(server)
    server.stop()
    digest = make_digest(
        highlights=[make_highlight()], stakeholders=[make_stakeholder()], email_channel=channel
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    copy = digest.recipients.get()
    assert copy.status == RecipientStatus.FAILED
    assert "Could not connect to the SMTP server" in copy.error
    assert digest.status == DigestStatus.SENT
    assert stakeholder_status(copy.stakeholder_id, timezone.now() + dt.timedelta(days=1))


def test_without_an_email_channel_email_url_smtp_is_used(
    smtp_server: SmtpServer,
    manager_user: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port},
        }
    }
    digest = make_digest(
        highlights=[make_highlight()], stakeholders=[make_stakeholder(email="anna@example.com")]
    )

    send(digest, manager_user, django_capture_on_commit_callbacks)

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["anna@example.com"]
    assert received.message["From"] == settings.DEFAULT_FROM_EMAIL
