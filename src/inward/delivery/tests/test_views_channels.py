"""The channel and sending-rule pages, as each role sees them, and the flows through them."""

from __future__ import annotations

import datetime as dt
import re
import socket
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inward.audit.models import AuditEntry
from inward.campaigns.tests.factories import make_channel
from inward.delivery.channel_services import channel_create, channel_update
from inward.delivery.models import Channel, DeliverySettings, FeedItem
from inward.delivery.tests.servers import SmtpServer
from inward.directory.models import Person

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.I)
NOT_ADMINS = ["manager_user", "channel_owner_user", "employee_user"]


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def pages(channel: Channel) -> list[str]:
    return [
        "/channels/",
        "/channels/new/",
        "/channels/new/?kind=email",
        f"/channels/{channel.slug}/edit/",
        "/channels/settings/",
    ]


def email_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "All staff e-mail",
        "slug": "all-staff",
        "config_host": "",
        "config_port": "",
        "config_security": "",
        "config_username": "",
        "config_password": "",
        "config_from_addr": "Learning <learning@example.com>",
        "config_reply_to": "",
        "config_ca_file": "",
        "owners": [],
        "rate_per_minute": "",
        "enabled": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def channel() -> Channel:
    return make_channel("email", slug="all-staff", name="All staff", secrets={"password": "s3cr3t"})


# --- who may see what --------------------------------------------------------------------


def test_it_opens_every_page_to_admins(admin_user: Any, client_as: Any, channel: Channel) -> None:
    client = client_as(admin_user)
    for url in pages(channel):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_it_refuses_every_page_to_everyone_but_admins(
    role: str, request: Any, client_as: Any, channel: Channel
) -> None:
    client = client_as(request.getfixturevalue(role))
    for url in pages(channel):
        assert client.get(url).status_code == 403, url
    for url in pages(channel)[1:]:
        assert client.post(url, email_form(slug="other")).status_code == 403, url
    assert client.post(f"/channels/{channel.slug}/test/", {}).status_code == 403
    assert Channel.objects.count() == 1
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "outsider_user"])
def test_it_sends_anonymous_and_deactivated_users_to_sign_in(
    who: str, request: Any, client: Any, channel: Channel
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in pages(channel):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_it_shows_channels_in_the_navigation_to_admins_only(
    admin_user: Any, manager_user: Any, client_as: Any
) -> None:
    assert 'href="/channels/"' in client_as(admin_user).get("/feed/").content.decode()
    assert 'href="/channels/"' not in client_as(manager_user).get("/feed/").content.decode()


# --- the list ----------------------------------------------------------------------------


def test_it_teaches_the_first_step_when_there_are_no_channels(
    admin_user: Any, client_as: Any
) -> None:
    body = text(client_as(admin_user).get("/channels/"))
    assert "No channels yet" in body
    assert 'href="/channels/new/?kind=intranet"' in body


def test_it_lists_kind_owners_status_and_rate_limit(
    admin_user: Any, channel_owner_user: Any, client_as: Any, django_assert_max_num_queries: Any
) -> None:
    email = make_channel("email", name="All staff", rate_per_minute=120)
    email.owners.add(channel_owner_user)
    make_channel("slack", name="Sales Slack", enabled=False)
    client = client_as(admin_user)
    with django_assert_max_num_queries(8):
        body = text(client.get("/channels/"))
    assert re.search(r"All staff.*Email.*chris.*Enabled.*120 / min", body)
    assert re.search(r"Sales Slack.*Slack.*No owners.*Disabled.*No limit", body)


def test_it_searches_and_filters_by_kind(admin_user: Any, client_as: Any) -> None:
    make_channel("email", name="All staff")
    make_channel("slack", name="Sales Slack")
    make_channel("teams", name="Sales Teams")
    client = client_as(admin_user)
    found = client.get("/channels/", {"q": "sales"}).context["page"].object_list
    assert [c.name for c in found] == ["Sales Slack", "Sales Teams"]
    found = client.get("/channels/", {"q": "sales", "kind": "teams"}).context["page"].object_list
    assert [c.name for c in found] == ["Sales Teams"]
    assert "No channel matches" in text(client.get("/channels/", {"q": "nothing"}))


def test_its_pages_keep_the_search(admin_user: Any, client_as: Any) -> None:
    for number in range(30):
        make_channel("slack", name=f"Sales Slack {number:02}")
    make_channel("email", name="All staff")
    body = client_as(admin_user).get("/channels/", {"q": "sales", "kind": "slack"}).content
    assert b'href="?q=sales&amp;kind=slack&amp;page=2">' in body
    assert b"Page 1 of 2" in body


# --- create and edit ---------------------------------------------------------------------


def test_it_asks_for_the_kind_first(admin_user: Any, client_as: Any) -> None:
    body = text(client_as(admin_user).get("/channels/new/"))
    for kind in ("email", "slack", "teams", "intranet", "calendar"):
        assert f'href="?kind={kind}"' in body


def test_it_creates_an_email_channel_and_keeps_the_password_out_of_sight(
    admin_user: Any, channel_owner_user: Any, client_as: Any
) -> None:
    client = client_as(admin_user)
    form = email_form(
        config_host="smtp.example.com",
        config_port="587",
        config_security="starttls",
        config_username="mailer",
        config_password="hunter2",
        owners=[channel_owner_user.pk],
        rate_per_minute="60",
    )
    response = client.post("/channels/new/?kind=email", form)
    assert response.status_code == 302
    assert response["Location"] == "/channels/all-staff/edit/"
    created = Channel.objects.get(slug="all-staff")
    assert created.kind == "email"
    assert created.config == {
        "host": "smtp.example.com",
        "port": 587,
        "security": "starttls",
        "username": "mailer",
        "from_addr": "Learning <learning@example.com>",
    }
    assert created.secrets == {"password": "hunter2"}
    assert list(created.owners.all()) == [channel_owner_user]
    assert (created.rate_per_minute, created.enabled) == (60, True)
    page = client.get(response["Location"]).content.decode()
    assert "hunter2" not in page
    assert "A value is stored; leave blank to keep it." in page
    entry = AuditEntry.objects.get(action="channel.create")
    assert entry.actor == admin_user
    assert "hunter2" not in str(entry.data) and "hunter2" not in entry.summary
    assert entry.data["secrets_set"] == ["password"]


def test_it_shows_config_errors_next_to_their_fields(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    response = client.post(
        "/channels/new/?kind=slack",
        {"name": "Slack", "slug": "slack", "config_post_to_channel": "on", "enabled": "on"},
    )
    assert response.status_code == 200
    body = text(response)
    assert re.search(r'id="id_config_bot_token_error">This field is required', body)
    assert re.search(r'id="id_config_channel_id_error">Posting in a channel needs', body)
    assert not Channel.objects.exists()


def test_it_refuses_a_taken_slug(admin_user: Any, client_as: Any, channel: Channel) -> None:
    response = client_as(admin_user).post("/channels/new/?kind=email", email_form())
    assert "Another channel already uses this slug." in text(response)
    assert Channel.objects.count() == 1


def test_it_keeps_a_secret_left_blank_and_replaces_one_typed_in(
    admin_user: Any, client_as: Any, channel: Channel
) -> None:
    client = client_as(admin_user)
    url = f"/channels/{channel.slug}/edit/"
    assert "s3cr3t" not in client.get(url).content.decode()
    response = client.post(url, email_form(name="Everyone", slug="hijack", rate_per_minute="5"))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.slug, channel.rate_per_minute) == ("Everyone", "all-staff", 5)
    assert channel.secrets == {"password": "s3cr3t"}
    client.post(url, email_form(name="Everyone", config_password="n3w"))
    channel.refresh_from_db()
    assert channel.secrets == {"password": "n3w"}
    updates = AuditEntry.objects.filter(action="channel.update").order_by("id")
    assert [entry.data["secrets_set"] for entry in updates] == [[], ["password"]]
    assert all("n3w" not in str(entry.data) for entry in updates)


def test_it_disables_a_channel_and_changes_its_owners(
    admin_user: Any, channel_owner_user: Any, client_as: Any, channel: Channel
) -> None:
    channel.owners.add(channel_owner_user)
    form = email_form(enabled=None, owners=[admin_user.pk])
    client_as(admin_user).post(f"/channels/{channel.slug}/edit/", form)
    channel.refresh_from_db()
    assert channel.enabled is False
    assert list(channel.owners.all()) == [admin_user]


def test_it_offers_as_owners_only_people_who_can_approve(
    admin_user: Any, manager_user: Any, channel_owner_user: Any, client_as: Any, channel: Channel
) -> None:
    client = client_as(admin_user)
    form = client.get(f"/channels/{channel.slug}/edit/").context["form"]
    assert list(form.fields["owners"].queryset) == [admin_user, channel_owner_user]
    response = client.post(f"/channels/{channel.slug}/edit/", email_form(owners=[manager_user.pk]))
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not channel.owners.exists()


def test_it_needs_a_teams_webhook_once_and_then_keeps_it(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    data = {"name": "Teams", "slug": "teams", "enabled": "on"}
    missing = client.post("/channels/new/?kind=teams", data)
    assert "This field is required" in text(missing)
    hook = "http://127.0.0.1:9/hook"
    created = client.post("/channels/new/?kind=teams", {**data, "config_webhook_url": hook})
    assert created.status_code == 302
    assert Channel.objects.get().secrets == {"webhook_url": hook}
    assert client.post("/channels/teams/edit/", data).status_code == 302
    assert Channel.objects.get().secrets == {"webhook_url": hook}
    assert hook not in client.get("/channels/teams/edit/").content.decode()


def test_it_answers_404_for_an_unknown_channel(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    assert client.get("/channels/nope/edit/").status_code == 404
    assert client.post("/channels/nope/test/").status_code == 404


# --- send test ---------------------------------------------------------------------------


def test_it_sends_a_test_message_to_the_address_given(
    admin_user: Any, client_as: Any, smtp_server: SmtpServer
) -> None:
    channel = make_channel(
        "email",
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    response = client_as(admin_user).post(
        f"/channels/{channel.slug}/test/", {"to": "someone@example.com"}, follow=True
    )
    assert "Test message sent" in text(response)
    [received] = smtp_server.wait_for(1)
    assert received.message["To"].endswith("someone@example.com")
    assert AuditEntry.objects.filter(action="channel.test", data__ok=True).exists()


def test_it_sends_the_test_to_the_actor_when_no_address_is_given(
    admin_user: Any, client_as: Any, smtp_server: SmtpServer
) -> None:
    channel = make_channel(
        "email",
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    client_as(admin_user).post(f"/channels/{channel.slug}/test/", {"to": ""})
    [received] = smtp_server.wait_for(1)
    assert received.message["To"].endswith("ada@example.com")


def test_it_shows_why_a_test_message_failed(
    admin_user: Any, client_as: Any, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse(["nobody@example.com"])
    channel = make_channel(
        "email",
        config={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
    )
    url = f"/channels/{channel.slug}/test/"
    response = client_as(admin_user).post(url, {"to": "nobody@example.com"}, follow=True)
    body = text(response)
    assert "The test message failed" in body
    assert "No such user" in body
    assert response.redirect_chain[-1][0] == f"/channels/{channel.slug}/edit/"


def test_it_reports_a_server_that_does_not_answer(admin_user: Any, client_as: Any) -> None:
    channel = make_channel(
        "email", config={"host": "127.0.0.1", "port": unused_port(), "security": "none"}
    )
    response = client_as(admin_user).post(
        f"/channels/{channel.slug}/test/", {"to": "x@example.com"}, follow=True
    )
    assert "The test message failed" in text(response)


def test_it_sends_an_intranet_test_to_the_admins_own_feed(admin_user: Any, client_as: Any) -> None:
    ada = Person.objects.create(email="ada@example.com", first_name="Ada")
    channel = make_channel("intranet")
    response = client_as(admin_user).post(f"/channels/{channel.slug}/test/", {}, follow=True)
    assert "Test message sent" in text(response)
    assert FeedItem.objects.get().person == ada


def test_it_refuses_a_test_sent_with_get(admin_user: Any, client_as: Any, channel: Channel) -> None:
    assert client_as(admin_user).get(f"/channels/{channel.slug}/test/").status_code == 405


# --- sending rules -----------------------------------------------------------------------


def test_it_shows_and_saves_the_sending_rules(admin_user: Any, client_as: Any) -> None:
    client = client_as(admin_user)
    body = text(client.get("/channels/settings/"))
    assert 'name="weekly_cap" value="3"' in body
    assert 'value="20:00"' in body and 'value="07:00"' in body
    assert '<option value="Europe/Amsterdam">' in body
    response = client.post(
        "/channels/settings/",
        {
            "weekly_cap": "2",
            "quiet_start": "21:30",
            "quiet_end": "06:00",
            "default_time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302
    row = DeliverySettings.objects.get()
    assert row.weekly_cap == 2
    assert (row.quiet_start, row.quiet_end) == (dt.time(21, 30), dt.time(6, 0))
    assert row.default_time_zone == "America/New_York"
    assert AuditEntry.objects.filter(action="delivery_settings.update", actor=admin_user).exists()


def test_it_refuses_an_unknown_time_zone_and_a_zero_cap(admin_user: Any, client_as: Any) -> None:
    response = client_as(admin_user).post(
        "/channels/settings/",
        {
            "weekly_cap": "0",
            "quiet_start": "20:00",
            "quiet_end": "07:00",
            "default_time_zone": "Mars/Olympus",
        },
    )
    body = text(response)
    assert "“Mars/Olympus” is not a known time zone." in body
    assert 'id="id_weekly_cap_error"' in body
    assert DeliverySettings.objects.get().default_time_zone == "Europe/Amsterdam"


# --- the services behind the pages -------------------------------------------------------


def test_it_lets_only_admins_write_channels_through_the_services(
    manager_user: Any, channel: Channel
) -> None:
    with pytest.raises(PermissionDenied):
        channel_create(actor=manager_user, kind="intranet", slug="feed", name="Feed")
    with pytest.raises(PermissionDenied):
        channel_update(actor=manager_user, channel=channel, name="Taken", config={})
    channel.refresh_from_db()
    assert channel.name == "All staff"


def test_it_checks_the_kind_in_the_services_too(admin_user: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        channel_create(actor=admin_user, kind="teams", slug="teams", name=" ")
    assert set(refused.value.message_dict) == {"name", "webhook_url"}
    with pytest.raises(ValidationError) as bad_slug:
        channel_create(actor=admin_user, kind="intranet", slug="not a slug", name="Feed")
    assert set(bad_slug.value.message_dict) == {"slug"}
    assert not Channel.objects.exists()


def test_it_keeps_settings_the_form_does_not_show(
    admin_user: Any, client_as: Any, channel: Channel
) -> None:
    channel.config = {"host": "old.example.com", "x_custom": "kept"}
    channel.save()
    client_as(admin_user).post(f"/channels/{channel.slug}/edit/", email_form())
    channel.refresh_from_db()
    assert channel.config == {
        "x_custom": "kept",
        "from_addr": "Learning <learning@example.com>",
    }


# --- secrets stay with the server they were entered for --------------------------------

SMTP = {"host": "smtp.example.com", "port": 587, "security": "starttls", "username": "mailer"}
SMTP_FORM = {f"config_{name}": str(value) for name, value in SMTP.items()}


@pytest.fixture
def smtp_channel() -> Channel:
    return make_channel(
        "email", slug="all-staff", name="All staff", config=SMTP, secrets={"password": "s3cr3t"}
    )


def test_it_clears_the_password_when_the_server_changes_and_says_so(
    admin_user: Any, client_as: Any, smtp_channel: Channel
) -> None:
    form = email_form(**{**SMTP_FORM, "config_host": "mail.attacker.example"})
    response = client_as(admin_user).post("/channels/all-staff/edit/", form, follow=True)

    assert "The password was cleared because the server changed; enter it again." in text(response)
    smtp_channel.refresh_from_db()
    assert smtp_channel.config["host"] == "mail.attacker.example"
    assert smtp_channel.secrets == {}
    entry = AuditEntry.objects.get(action="channel.update")
    assert entry.data["secrets_cleared"] == ["password"]


@pytest.mark.parametrize(
    "change",
    [
        {"host": "mail.attacker.example"},
        {"host": "", "username": ""},  # back to the server in EMAIL_URL
        {"port": 2525},
        {"security": "none"},
        {"username": "someone-else"},
    ],
)
def test_it_drops_stored_secrets_when_any_endpoint_setting_changes(
    admin_user: Any, smtp_channel: Channel, change: dict[str, Any]
) -> None:
    config = {**SMTP, **change}
    channel_update(actor=admin_user, channel=smtp_channel, name="All staff", config=config)

    smtp_channel.refresh_from_db()
    assert smtp_channel.secrets == {}


def test_it_keeps_the_password_when_nothing_about_the_server_changes(
    admin_user: Any, client_as: Any, smtp_channel: Channel
) -> None:
    # Same place, written differently: the port as text, the host in capitals.
    form = email_form(**{**SMTP_FORM, "config_host": "SMTP.example.com", "name": "Everyone"})
    response = client_as(admin_user).post("/channels/all-staff/edit/", form, follow=True)

    assert "was cleared" not in text(response)
    smtp_channel.refresh_from_db()
    assert smtp_channel.secrets == {"password": "s3cr3t"}


def test_it_keeps_a_new_password_typed_in_with_the_new_server(
    admin_user: Any, client_as: Any, smtp_channel: Channel
) -> None:
    form = email_form(**{**SMTP_FORM, "config_port": "465", "config_password": "n3w"})
    response = client_as(admin_user).post("/channels/all-staff/edit/", form, follow=True)

    assert "was cleared" not in text(response)
    smtp_channel.refresh_from_db()
    assert smtp_channel.secrets == {"password": "n3w"}


def test_it_wants_the_slack_token_again_when_the_api_address_changes(
    admin_user: Any, client_as: Any
) -> None:
    slack = make_channel(
        "slack",
        slug="slack",
        config={"api_base": "https://slack.com/api"},
        secrets={"bot_token": "xoxb-stored"},
    )
    client = client_as(admin_user)
    data = {"name": "Slack", "enabled": "on", "config_api_base": "https://slack.attacker.example"}
    response = client.post("/channels/slack/edit/", data)

    assert response.status_code == 200
    assert re.search(
        r'id="id_config_bot_token_error">The bot token was cleared because the API address '
        r"changed; enter it again.",
        text(response),
    )
    slack.refresh_from_db()
    assert slack.config["api_base"] == "https://slack.com/api"
    assert slack.secrets == {"bot_token": "xoxb-stored"}

    with pytest.raises(ValidationError) as caught:
        channel_update(actor=admin_user, channel=slack, name="Slack", config=data)
    assert "bot token was cleared" in str(caught.value.message_dict["bot_token"])

    client.post("/channels/slack/edit/", {**data, "config_bot_token": "xoxb-new"})
    slack.refresh_from_db()
    assert slack.secrets == {"bot_token": "xoxb-new"}


# --- addresses of chat channels -----------------------------------------------------------


@pytest.mark.parametrize(
    ("hook", "says"),
    [
        ("https://x.logic.azure.com/work flows?sig=s3cret", "cannot contain spaces"),
        ("https://x.logic.azure.com/workflows?sig=s3cret\nX-Evil: 1", "cannot contain spaces"),
        ("http://x.logic.azure.com/workflows?sig=s3cret", "Use https://"),
        ("https://x.logic.azure.com:port/workflows?sig=s3cret", "Enter a full https://"),
    ],
)
def test_it_refuses_a_webhook_address_that_cannot_be_sent_to(
    admin_user: Any, client_as: Any, hook: str, says: str
) -> None:
    data = {"name": "Teams", "slug": "teams", "enabled": "on", "config_webhook_url": hook}
    response = client_as(admin_user).post("/channels/new/?kind=teams", data)

    assert response.status_code == 200
    assert re.search(rf'id="id_config_webhook_url_error">[^<]*{says}', text(response))
    assert "s3cret" not in text(response)
    assert not Channel.objects.exists()


def test_it_strips_spaces_around_a_webhook_address_given_to_the_services(
    admin_user: Any,
) -> None:
    hook = "https://x.logic.azure.com/workflows/1?sig=s3cret"
    channel = channel_create(
        actor=admin_user,
        kind="teams",
        slug="teams",
        name="Teams",
        secrets={"webhook_url": f" {hook}\n"},
    )
    assert channel.secrets == {"webhook_url": hook}

    channel_update(
        actor=admin_user,
        channel=channel,
        name="Teams",
        config={"api_base": "ignored"},
        secrets={"webhook_url": f"\t{hook}/2 "},
    )
    channel.refresh_from_db()
    assert channel.secrets == {"webhook_url": f"{hook}/2"}


def test_it_reports_a_stored_webhook_that_cannot_be_sent_to_without_revealing_it(
    admin_user: Any, client_as: Any
) -> None:
    # Saved before addresses were checked: the test must fail cleanly, not with a 500
    # that quotes the URL and its signature.
    hook = "http://127.0.0.1:9/work flows?sig=s3cret"
    channel = make_channel("teams", slug="teams", secrets={"webhook_url": hook})
    response = client_as(admin_user).post("/channels/teams/test/", {}, follow=True)

    body = text(response)
    assert "The test message failed" in body
    assert "s3cret" not in body
    entry = AuditEntry.objects.get(action="channel.test", target_id=str(channel.pk))
    assert "s3cret" not in str(entry.data) and "s3cret" not in entry.summary
