"""Slack: direct messages (recipient found by e-mail) or posts in one channel, in Block Kit.

Config: ``api_base`` (default ``https://slack.com/api``; tests point it at a local server),
``post_to_channel`` and ``channel_id``. Secrets: ``bot_token`` (scopes ``chat:write`` and
``users:read.email``).

Slack answers HTTP 200 with ``{"ok": false, "error": ...}`` for most failures and 429 with
``Retry-After`` when rate limited. Errors that no retry can fix (an unknown user, a revoked
token, a missing scope) are permanent; anything else is retried, so no message is dropped
on an error we have not met before. What Slack answers is quoted in errors only through
``HttpAnswer``, which cuts out our token and URL should a server echo them.
"""

from __future__ import annotations

from typing import Any

from inward.delivery.channels.base import Job, Transport, TransportError
from inward.delivery.channels.jsonhttp import HttpAnswer, JsonClient
from inward.delivery.models import Channel

DEFAULT_API_BASE = "https://slack.com/api"
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
PERMANENT_ERRORS = {
    "users_not_found": "Slack has no user with this e-mail address.",
    "user_not_found": "Slack has no such user.",
    "invalid_auth": "Slack refused the bot token.",
    "not_authed": "No bot token was sent to Slack.",
    "account_inactive": "The Slack bot's account is deactivated.",
    "token_revoked": "The Slack bot token was revoked.",
    "token_expired": "The Slack bot token expired.",
    "missing_scope": "The Slack bot lacks a permission (chat:write, users:read.email).",
    "no_permission": "The Slack bot may not do this.",
    "channel_not_found": "Slack has no such channel, or the bot cannot see it.",
    "not_in_channel": "The Slack bot is not a member of the channel.",
    "is_archived": "The Slack channel is archived.",
    "cannot_dm_bot": "Slack does not allow direct messages to bots.",
    "user_disabled": "The Slack user is deactivated.",
    "msg_too_long": "The message is too long for Slack.",
    "invalid_blocks": "Slack did not accept the message layout.",
    "invalid_arguments": "Slack did not accept the request.",
    "restricted_action": "A Slack workspace setting prevents the bot from posting.",
}


class SlackTransport(Transport):
    kind = "slack"

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.api_base = str(channel.config.get("api_base") or DEFAULT_API_BASE)
        self._token = str(channel.secrets.get("bot_token") or "")
        self._client: JsonClient | None = None
        self._user_ids: dict[str, str] = {}

    def open(self) -> None:
        self._api()

    def send(self, job: Job) -> None:
        self._call(
            "POST", "chat.postMessage", payload=slack_message(job, channel=self._target(job))
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def user_id(self, email: str) -> str:
        """The Slack user id for an e-mail address, asked once per transport."""
        key = email.strip().lower()
        if key not in self._user_ids:
            answer = self._call("GET", "users.lookupByEmail", query={"email": key})
            self._user_ids[key] = str(answer["user"]["id"])
        return self._user_ids[key]

    def _target(self, job: Job) -> str:
        if self.channel.posts_to_channel:
            channel_id = str(self.channel.config.get("channel_id") or "")
            if not channel_id:
                raise TransportError("The Slack channel has no channel id.", permanent=True)
            return channel_id
        if job.recipient is None or not job.recipient.email:
            raise TransportError("A Slack direct message needs a recipient.", permanent=True)
        return self.user_id(job.recipient.email)

    def _api(self) -> JsonClient:
        if not self._token:
            raise TransportError("The Slack channel has no bot token.", permanent=True)
        if self._client is None:
            headers = {"Authorization": f"Bearer {self._token}"}
            self._client = JsonClient(self.api_base, headers=headers)
        return self._client

    def _call(
        self,
        method: str,
        api_method: str,
        *,
        query: dict[str, str] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        answer = self._api().request(method, api_method, query=query, payload=payload)
        data = _checked(answer)
        if not data.get("ok"):
            raise slack_error(str(data.get("error") or "unknown_error"), answer)
        return data


def _checked(answer: HttpAnswer) -> dict[str, Any]:
    if answer.status == 429:
        raise TransportError(
            "Slack is rate limiting; trying again later.",
            permanent=False,
            retry_after=answer.retry_after,
        )
    if answer.status >= 500 or answer.status == 408:
        raise TransportError(f"Slack answered HTTP {answer.status}.", permanent=False)
    data = answer.json()
    if not data:
        raise TransportError(
            f"Slack answered HTTP {answer.status} without a JSON body: {answer.snippet()}",
            permanent=answer.status in (400, 401, 403, 404),
        )
    return data


def slack_error(code: str, answer: HttpAnswer) -> TransportError:
    """The ``TransportError`` for a Slack error code, readable and with the code itself."""
    if code == "ratelimited":
        return TransportError(
            "Slack is rate limiting.", permanent=False, retry_after=answer.retry_after
        )
    if code in PERMANENT_ERRORS:
        return TransportError(f"{PERMANENT_ERRORS[code]} ({code})", permanent=True)
    # An unknown code is the server's text: shown short, and never with our token in it.
    return TransportError(f"Slack answered {answer.redact(code)[:100]}.", permanent=False)


def slack_message(job: Job, *, channel: str) -> dict[str, Any]:
    """The ``chat.postMessage`` body: a header with the subject, sections with the text.

    ``metadata`` carries the job's ``message_id``, the idempotency key: a retry after a
    crash posts the same id, so duplicates can be found and removed on the Slack side.
    """
    return {
        "channel": channel,
        # Notifications and old clients show this as mrkdwn: escaped, so a subject with
        # "<!channel>" or "<https://x|y>" in it is text, not a mention or a disguised link.
        "text": mrkdwn_escape(job.subject or job.text[:SECTION_LIMIT]),
        "blocks": slack_blocks(job),
        "unfurl_links": False,
        "metadata": {
            "event_type": "inward_message",
            "event_payload": {"message_id": job.message_id, "delivery_id": job.delivery_id},
        },
    }


def slack_blocks(job: Job) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if job.subject:
        header = job.subject if len(job.subject) <= HEADER_LIMIT else job.subject[:147] + "..."
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
    for chunk in _chunks(mrkdwn_escape(job.text.strip()), SECTION_LIMIT):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks[:50]


def mrkdwn_escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup; everything else is literal text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chunks(text: str, size: int) -> list[str]:
    """Pieces of at most ``size`` characters, cut at a paragraph or line end where one is
    near, never inside an ``&amp;`` style entity."""
    pieces: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n\n", 0, size), text.rfind("\n", 0, size))
        if cut < size // 2:
            cut = size
            amp = text.rfind("&", cut - 5, cut)
            cut = amp if amp > 0 else cut
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text:
        pieces.append(text)
    return pieces
