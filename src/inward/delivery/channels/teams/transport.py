"""Microsoft Teams: a post in one channel through an incoming webhook or a Workflows URL,
as an Adaptive Card.

Secrets: ``webhook_url`` (it embeds its own signature, so it is kept with the secrets and
never written into an error: the answer Teams gives is quoted through
``HttpAnswer.snippet``, which cuts the URL and its parts out should a server echo them).
Teams has no idempotency key: a retry after a crash may post twice, which the outbox
limits to the one message that was in flight.

Answers: 200 or 202 is success; 429 (with ``Retry-After``), 408 and 5xx are retried; any
other 4xx is permanent. Old incoming webhooks answer 200 with a text body even when Teams
throttled the post; that text is read too.
"""

from __future__ import annotations

from typing import Any

from inward.delivery.channels.base import Job, Transport, TransportError
from inward.delivery.channels.jsonhttp import HttpAnswer, JsonClient
from inward.delivery.models import Channel

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"


class TeamsTransport(Transport):
    kind = "teams"

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self._url = str(channel.secrets.get("webhook_url") or "")
        self._client: JsonClient | None = None

    def open(self) -> None:
        self._webhook()

    def send(self, job: Job) -> None:
        answer = self._webhook().request("POST", payload=teams_message(job))
        check_teams_answer(answer)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _webhook(self) -> JsonClient:
        if not self._url:
            raise TransportError("The Teams channel has no webhook URL.", permanent=True)
        if self._client is None:
            self._client = JsonClient(self._url)
        return self._client


def check_teams_answer(answer: HttpAnswer) -> None:
    """Return when Teams took the post; raise the fitting ``TransportError`` otherwise."""
    if answer.status in (200, 201, 202, 204):
        if b"HTTP error 429" in answer.body:  # a legacy webhook's way of saying 429
            raise TransportError("Teams is throttling posts.", permanent=False)
        return
    if answer.status == 429:
        raise TransportError(
            "Teams is throttling posts.", permanent=False, retry_after=answer.retry_after
        )
    permanent = 400 <= answer.status < 500 and answer.status != 408
    raise TransportError(
        f"Teams answered HTTP {answer.status}: {answer.snippet()}", permanent=permanent
    )


def teams_message(job: Job) -> dict[str, Any]:
    """The webhook body: one Adaptive Card with the subject as a heading and the text."""
    body: list[dict[str, Any]] = []
    if job.subject:
        body.append(
            {
                "type": "TextBlock",
                "text": job.subject,
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "style": "heading",
            }
        )
    body.append({"type": "TextBlock", "text": job.text.strip() or job.subject, "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
