"""The one small interface every channel implements, and the error it raises.

A transport is opened once per batch, sends many messages, and is closed. It never
touches the outbox: the sender records each outcome (``delivery/sender.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from inward.delivery.models import Channel


class TransportError(Exception):
    """A send that failed. ``permanent`` failures are recorded and not retried; others
    are retried with backoff, not before ``retry_after`` seconds when the provider said so."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message goes to; ``None`` as a job's recipient means a channel post."""

    person_id: int
    email: str
    name: str
    language: str


@dataclass(frozen=True, slots=True)
class Event:
    """The event a calendar invite is for. ``sequence`` grows with each update;
    ``cancelled`` sends a cancellation."""

    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    sequence: int
    cancelled: bool = False


@dataclass(slots=True)
class Job:
    """One message ready to go: rendered words, the recipient and the fixed identifiers.

    ``message_id`` is the RFC 5322 Message-ID for e-mail and the idempotency key elsewhere;
    it is the same on every attempt. ``touch_key`` identifies the compiled template
    (touch and variant), so transports may cache per-touch work such as a MIME skeleton.
    """

    delivery_id: int
    message_id: str
    touch_key: str
    recipient: Recipient | None
    subject: str
    html: str
    text: str
    critical: bool = False
    event: Event | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Transport:
    """Base class: ``open``, many ``send``, ``close``. Subclasses set ``kind``."""

    kind: ClassVar[str] = ""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def open(self) -> None:
        """Connect, if the channel keeps a connection."""

    def send(self, job: Job) -> None:
        """Send one message, or raise ``TransportError``."""
        raise NotImplementedError

    def send_then(
        self, job: Job, *, before: Callable[[], None], meanwhile: Callable[[], None]
    ) -> None:
        """``send(job)`` with two hooks, each called exactly once (unless ``before``
        raises, which sends nothing). ``before`` runs before the message is handed over
        (e-mail: before DATA; here: before anything), and may raise to stop the send; the
        sender settles the previous message's outcome write in it. ``meanwhile`` runs
        while the provider is busy with the message where the transport can tell (e-mail:
        between the end of DATA and the answer), else afterwards; the sender renders the
        next message in it. ``meanwhile`` must not raise or use the database."""
        before()
        try:
            self.send(job)
        finally:
            meanwhile()

    def close(self) -> None:
        """Disconnect; safe to call twice and after a failed ``open``."""
