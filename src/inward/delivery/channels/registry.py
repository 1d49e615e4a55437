"""Transports by channel kind, what each kind needs configured, and the "send test" action.

``CHANNEL_FIELDS`` describes each kind's settings so forms can be built from it: fields
with ``secret=True`` live in ``Channel.secrets`` (write-only), the others in
``Channel.config``. ``channel_config_errors`` checks a complete config and secrets pair;
a form that keeps unchanged secrets merges them in before asking, through
``channel_secrets_merge``: fields with ``endpoint=True`` say where the secrets are sent,
and when one of them changes the stored secrets are dropped, so nobody can point a
channel at their own server and have it hand over the password kept for the real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.delivery.channels.base import Event, Job, Recipient, Transport, TransportError
from inward.delivery.channels.calendar.transport import CalendarTransport
from inward.delivery.channels.email.transport import SECURITY_CHOICES, EmailTransport
from inward.delivery.channels.intranet.transport import IntranetTransport
from inward.delivery.channels.jsonhttp import check_http_url
from inward.delivery.channels.slack.transport import SlackTransport
from inward.delivery.channels.teams.transport import TeamsTransport
from inward.delivery.models import Channel, ChannelKind
from inward.directory.selectors import person_for_user

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TRANSPORTS: dict[str, type[Transport]] = {
    ChannelKind.EMAIL: EmailTransport,
    ChannelKind.CALENDAR: CalendarTransport,
    ChannelKind.SLACK: SlackTransport,
    ChannelKind.TEAMS: TeamsTransport,
    ChannelKind.INTRANET: IntranetTransport,
}


def transport_for(channel: Channel) -> Transport:
    """A new, unopened transport for ``channel``."""
    return TRANSPORTS[channel.kind](channel)


# --- What each kind needs -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One setting of a channel kind. ``input`` is ``text``, ``number``, ``email``, ``url``,
    ``password``, ``checkbox`` or ``select`` (then ``choices`` lists value and label).

    ``endpoint``: the setting decides where the channel's secrets are sent; changing it
    drops them. ``cleared`` (secrets only): what to tell the admin when that happens.
    """

    name: str
    label: StrOrPromise
    secret: bool = False
    required: bool = False
    help: StrOrPromise = ""
    input: str = "text"
    choices: tuple[tuple[str, StrOrPromise], ...] = ()
    endpoint: bool = False
    cleared: StrOrPromise = ""


_SMTP_FIELDS = [
    FieldSpec(
        "host",
        gettext_lazy("SMTP server"),
        help=gettext_lazy("Leave empty to use the server in EMAIL_URL."),
        endpoint=True,
    ),
    FieldSpec(
        "port",
        gettext_lazy("Port"),
        input="number",
        help=gettext_lazy("587, 465 or 25."),
        endpoint=True,
    ),
    FieldSpec(
        "security",
        gettext_lazy("Security"),
        input="select",
        choices=(
            ("starttls", gettext_lazy("STARTTLS")),
            ("tls", gettext_lazy("TLS from the start")),
            ("none", gettext_lazy("None (trusted network only)")),
        ),
        endpoint=True,
    ),
    FieldSpec("username", gettext_lazy("User name"), endpoint=True),
    FieldSpec(
        "password",
        gettext_lazy("Password"),
        secret=True,
        input="password",
        cleared=gettext_lazy(
            "The password was cleared because the server changed; enter it again."
        ),
    ),
    FieldSpec(
        "from_addr",
        gettext_lazy("From"),
        help=gettext_lazy('For example "Learning team <learning@example.com>".'),
    ),
    FieldSpec("reply_to", gettext_lazy("Reply to"), input="email"),
    FieldSpec(
        "ca_file",
        gettext_lazy("CA certificate file"),
        help=gettext_lazy("Path on the server, for an SMTP server with a private certificate."),
    ),
]

CHANNEL_FIELDS: dict[str, list[FieldSpec]] = {
    ChannelKind.EMAIL: _SMTP_FIELDS,
    ChannelKind.CALENDAR: _SMTP_FIELDS,
    ChannelKind.SLACK: [
        FieldSpec(
            "bot_token",
            gettext_lazy("Bot token"),
            secret=True,
            required=True,
            input="password",
            help=gettext_lazy("Starts with xoxb-; needs chat:write and users:read.email."),
            cleared=gettext_lazy(
                "The bot token was cleared because the API address changed; enter it again."
            ),
        ),
        FieldSpec(
            "post_to_channel",
            gettext_lazy("Post in a channel"),
            input="checkbox",
            help=gettext_lazy("One post per touch instead of a direct message to each person."),
        ),
        FieldSpec(
            "channel_id",
            gettext_lazy("Channel ID"),
            help=gettext_lazy("Needed when posting in a channel, for example C0123456."),
        ),
        FieldSpec(
            "api_base",
            gettext_lazy("API address"),
            input="url",
            help=gettext_lazy("Leave empty for https://slack.com/api."),
            endpoint=True,
        ),
    ],
    ChannelKind.TEAMS: [
        FieldSpec(
            "webhook_url",
            gettext_lazy("Webhook or Workflows URL"),
            secret=True,
            required=True,
            input="url",
            help=gettext_lazy("From the Teams channel's Workflows app or incoming webhook."),
        ),
    ],
    ChannelKind.INTRANET: [],
}


@dataclass(frozen=True, slots=True)
class SecretsMerge:
    """The secrets a channel keeps after an update, and the names of the stored ones that
    were dropped because an endpoint setting changed (each has a ``cleared`` note)."""

    secrets: dict[str, Any]
    cleared: list[str]


def channel_secrets_merge(
    kind: str,
    *,
    stored_config: dict[str, Any],
    config: dict[str, Any],
    stored_secrets: dict[str, Any],
    given: dict[str, Any],
) -> SecretsMerge:
    """Merge the secrets ``given`` now (blank ones mean "keep") into the stored ones.

    When any ``endpoint`` setting of the kind differs between ``stored_config`` and
    ``config``, the stored secrets are not kept: a secret only ever goes to the server it
    was entered for, unless it is typed in again in the same save.
    """
    typed = {name: value for name, value in given.items() if value}
    if not endpoint_changed(kind, stored_config, config):
        return SecretsMerge(secrets={**stored_secrets, **typed}, cleared=[])
    cleared = sorted(name for name, value in stored_secrets.items() if value and name not in typed)
    return SecretsMerge(secrets=typed, cleared=cleared)


def endpoint_changed(kind: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether a setting that says where secrets are sent differs between the two."""
    return any(
        _endpoint_value(before.get(spec.name)) != _endpoint_value(after.get(spec.name))
        for spec in CHANNEL_FIELDS.get(kind, ())
        if spec.endpoint
    )


def _endpoint_value(value: Any) -> str:
    # "587" and 587, "" and None, a trailing "/" or capitals in a host name: the same place.
    return "" if value is None else str(value).strip().rstrip("/").lower()


def cleared_note(kind: str, name: str) -> str:
    """What to tell the admin about a secret dropped by ``channel_secrets_merge``."""
    for spec in CHANNEL_FIELDS.get(kind, ()):
        if spec.name == name and spec.cleared:
            return str(spec.cleared)
    return _("This secret was cleared because the server changed; enter it again.")


def channel_settings_clean(
    kind: str, config: dict[str, Any], secrets: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``config`` and ``secrets`` with the spaces around addresses (``url`` fields)
    removed: pasted URLs often carry a space or a line break at either end."""
    urls = {spec.name for spec in CHANNEL_FIELDS.get(kind, ()) if spec.input == "url"}

    def cleaned(values: dict[str, Any]) -> dict[str, Any]:
        return {
            name: value.strip() if name in urls and isinstance(value, str) else value
            for name, value in values.items()
        }

    return cleaned(config), cleaned(secrets)


def channel_config_errors(
    kind: str, config: dict[str, Any], secrets: dict[str, Any]
) -> dict[str, str]:
    """Problems with a channel's settings, by field name; empty when it can be used."""
    if kind not in CHANNEL_FIELDS:
        return {"kind": _("Unknown channel kind.")}
    errors: dict[str, str] = {}
    for spec in CHANNEL_FIELDS[kind]:
        value = (secrets if spec.secret else config).get(spec.name)
        if spec.required and not str(value or "").strip():
            errors[spec.name] = _("This field is required.")
        elif spec.input == "url" and value and (problem := url_problem(str(value))):
            errors[spec.name] = problem
    for check in _CHECKS.get(kind, []):
        for name, message in check(config, secrets).items():
            errors.setdefault(name, message)
    return errors


def _smtp_errors(config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    port = config.get("port")
    if port not in (None, ""):
        try:
            number = int(port)
        except (TypeError, ValueError):
            number = 0
        if not 0 < number < 65536:
            errors["port"] = _("Enter a port number from 1 to 65535.")
    if config.get("security") not in (None, "", *SECURITY_CHOICES):
        errors["security"] = _("Choose STARTTLS, TLS or none.")
    for name in ("from_addr", "reply_to"):
        if config.get(name) and not _address_ok(str(config[name])):
            errors[name] = _("Enter an e-mail address, optionally with a name.")
    if config.get("username") and not config.get("host"):
        errors["host"] = _("A user name needs an SMTP server.")
    return errors


def _address_ok(value: str) -> bool:
    address = parseaddr(value)[1]
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _slack_errors(config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if config.get("post_to_channel") and not str(config.get("channel_id") or "").strip():
        errors["channel_id"] = _("Posting in a channel needs its channel ID.")
    return errors


# Plain http only to this machine (tests and a local relay); anywhere else a token or a
# signed webhook URL would cross the network readable.
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a channel's address (a readable reason), or None.

    It must be a whole ``https://`` address of ASCII characters without spaces or control
    characters; plain ``http://`` is accepted for 127.0.0.1 and localhost only.
    """
    if any(character.isspace() or not character.isprintable() for character in url):
        return _("An address cannot contain spaces or line breaks.")
    if not url.isascii():  # what http.client cannot put in a request line
        return _("Write the address with plain characters only, as the service gives it.")
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is no number raises ValueError
    except ValueError:
        return _("Enter a full https:// address.")
    if check_http_url(url) is not None or port == 0:
        return _("Enter a full https:// address.")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        return _("Use https://; plain http:// is only for this machine (localhost).")
    return None


_Check = Callable[[dict[str, Any], dict[str, Any]], dict[str, str]]
_CHECKS: dict[str, list[_Check]] = {
    ChannelKind.EMAIL: [_smtp_errors],
    ChannelKind.CALENDAR: [_smtp_errors],
    ChannelKind.SLACK: [_slack_errors],
}


# --- Send test ------------------------------------------------------------------------------

TEST_DELIVERY_ID = 0  # no outbox row: transports treat 0 as "not a delivery"


def channel_send_test(*, channel: Channel, to: str, actor: User) -> None:
    """Send a fixed test message through ``channel`` now, bypassing the outbox.

    ``to`` is an e-mail address for e-mail and calendar channels and a Slack user's
    address for Slack direct messages; Teams and Slack channel posts ignore it, and the
    intranet feed sends to ``actor``'s own feed. Raises ``TransportError`` with a readable
    message; either way the attempt is audited (``channel.test``).
    """
    try:
        job = _test_job(channel=channel, to=to.strip(), actor=actor)
        transport = transport_for(channel)
        try:
            transport.open()
            transport.send(job)
        finally:
            transport.close()
    except TransportError as error:
        _audit_test(channel=channel, to=to, actor=actor, error=str(error))
        raise
    _audit_test(channel=channel, to=to, actor=actor, error="")


def _test_job(*, channel: Channel, to: str, actor: User) -> Job:
    recipient = _test_recipient(channel=channel, to=to, actor=actor)
    now = timezone.now()
    text = _("This is a test of the channel “%(name)s”. It works.") % {"name": channel.name}
    return Job(
        delivery_id=TEST_DELIVERY_ID,
        message_id=f"<test.{channel.pk}.{int(now.timestamp() * 1000)}@inward>",
        touch_key="test",
        recipient=recipient,
        subject=_("Test message from Inward"),
        text=text,
        html=format_html("<p>{}</p>", text),
        event=_test_event(now) if channel.kind == ChannelKind.CALENDAR else None,
    )


def _test_recipient(*, channel: Channel, to: str, actor: User) -> Recipient | None:
    if channel.posts_to_channel:
        return None
    if channel.kind == ChannelKind.INTRANET:
        person = person_for_user(actor)
        if person is None:
            raise TransportError(
                _("You have no entry in the directory, so no feed."), permanent=True
            )
        return Recipient(person.pk, person.email, person.display_name, person.language)
    if not _address_ok(to):
        raise TransportError(_("Enter the e-mail address to send the test to."), permanent=True)
    return Recipient(person_id=0, email=to, name="", language="")


def _test_event(now: dt.datetime) -> Event:
    starts = (now + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return Event(
        uid=f"test-{int(now.timestamp())}@inward",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=30),
        location="",
        sequence=0,
    )


def _audit_test(*, channel: Channel, to: str, actor: User, error: str) -> None:
    audit_record(
        actor=actor,
        action="channel.test",
        target=channel,
        summary=f"test message {'failed: ' + error if error else 'sent'}",
        data={"to": to, "ok": not error, "error": error},
    )
