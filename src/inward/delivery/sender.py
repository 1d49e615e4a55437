"""The sender: claim a batch from the outbox, render each message, send, record at once.

One batch: claim (``ratelimit.deliveries_claim_within_limits``), read everything the
messages need in one query joining the person, their manager, department and site, then
per channel take an open transport (kept open across batches by ``inward deliver``) and
send row by row, writing each outcome right after the provider answers. Templates are
compiled once per variant per process (cached by the variant's id and ``updated_at``),
never per recipient. Two overlaps keep the provider busy without loosening that rule:
the next message is rendered while the provider takes in the current one, and the
``sent`` write is handed to the database at once but its answer is read only just before
the next message is handed over (``Transport.send_then``, ``delivery_mark_sent_begin``).

Which outcome is written:
- accepted → ``sent``; a permanent ``TransportError`` or a template that no longer renders
  → ``failed`` with the reason; any other error → back to ``pending`` with backoff
  (``failed`` after the last attempt);
- the person left the company, or opted out of the channel, since the row was written →
  ``suppressed`` (``left``, ``opted_out``);
- inside quiet hours on the recipient's clock (not mandatory) → given back, due when they
  end; a provider's ``retry_after`` → the rest of that channel's batch is given back, due
  then; a worker asked to stop → the rest is given back, due now.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from inward.analytics.events import EventIn
from inward.analytics.models import EventKind, EventSource
from inward.analytics.writer import events_record_soon
from inward.campaigns.models import CampaignPersona, CampaignStatus, Touch, Variant
from inward.campaigns.rendering import (
    CompiledVariant,
    compile_variant,
    email_html_document,
    message_context_from_row,
    variant_for,
)
from inward.campaigns.rendering.context import ROW_FIELDS
from inward.delivery.channels.base import Event, Job, Recipient, Transport, TransportError
from inward.delivery.channels.registry import transport_for
from inward.delivery.footer import email_footer
from inward.delivery.models import Channel, ChannelKind, Delivery, DeliverySettings, SuppressReason
from inward.delivery.outbox import (
    deliveries_cancel,
    deliveries_release,
    deliveries_renew,
    delivery_mark_failed,
    delivery_mark_retry,
    delivery_mark_sent_begin,
    delivery_mark_suppressed,
    lease_seconds,
    message_domain,
    retry_policy,
)
from inward.delivery.ratelimit import deliveries_claim_within_limits
from inward.delivery.services import delivery_settings_get
from inward.delivery.timing import quiet_until, zone_for
from inward.delivery.tracking import click_url, open_pixel_url, preferences_url
from inward.directory.models import Status

log = logging.getLogger(__name__)

DELIVERY_FIELDS = (
    "id",
    "touch_id",
    "person_id",
    "channel_id",
    "variant_id",
    "message_id",
    "attempts",
    "generation",
)
PERSON_FIELDS = (
    *(f"person__{name}" for name in ROW_FIELDS),
    "person__status",
    "person__preference__language",
    "person__preference__channels_off",
)
TOUCH_FIELDS = (
    "id",
    "campaign_id",
    "campaign__name",
    "campaign__status",
    "mandatory",
    "critical",
    "cancelled_at",
    "ics_sequence",
    "event_starts_at",
    "event_ends_at",
    "event_location",
)
COMPILED_CACHE_SIZE = 256
# Kinds that go out as e-mail: a whole HTML document with an open pixel.
MAILED = (ChannelKind.EMAIL, ChannelKind.CALENDAR)
EVENT_LENGTH = dt.timedelta(hours=1)
# Campaign states in which a touch's messages may go out.
LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)

# Compiled templates, per process: (variant id, updated_at) → CompiledVariant. An edited
# variant has a new updated_at, so a stale template is never used; old entries age out.
_compiled: OrderedDict[tuple[int, dt.datetime], CompiledVariant] = OrderedDict()


def compiled_variant(variant: Variant) -> CompiledVariant:
    """``variant`` compiled, from the per-process cache when it has not changed."""
    key = (variant.pk, variant.updated_at)
    found = _compiled.get(key)
    if found is None:
        found = compile_variant(subject=variant.subject, body=variant.body)
        _compiled[key] = found
        if len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
    else:
        _compiled.move_to_end(key)
    return found


class TransportPool:
    """Open transports by channel, kept from one batch to the next by a long-running
    sender (a new SMTP connection per batch costs the sender and the server more than a
    few messages do). A channel edited since its transport was opened (``updated_at``)
    gets a new one. ``close`` closes them all; safe to call at any time."""

    def __init__(self) -> None:
        self._open: dict[int, tuple[dt.datetime, Transport]] = {}

    def get(self, channel: Channel) -> Transport:
        """The channel's open transport, opened now if need be (raises as ``open``)."""
        found = self._open.get(channel.pk)
        if found is not None and found[0] == channel.updated_at:
            return found[1]
        self.discard(channel.pk)
        transport = transport_for(channel)
        try:
            transport.open()
        except BaseException:
            transport.close()
            raise
        self._open[channel.pk] = (channel.updated_at, transport)
        return transport

    def discard(self, channel_id: int) -> None:
        found = self._open.pop(channel_id, None)
        if found is not None:
            found[1].close()

    def close(self) -> None:
        for channel_id in list(self._open):
            self.discard(channel_id)


def outbox_send_batch(
    *,
    worker: str,
    limit: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    transports: TransportPool | None = None,
) -> int:
    """Claim one batch for ``worker`` and send it; returns how many deliveries were
    claimed (0: nothing is due). ``should_stop`` is asked between messages; when it says
    yes, the unsent rest is given back at once rather than left to lease expiry.
    Transports are opened for the batch and closed after it, unless ``transports`` is
    given: then they are taken from it and left open in it (the caller closes it)."""
    claimed_at = time.monotonic()
    ids = deliveries_claim_within_limits(worker=worker, limit=limit or settings.INWARD_SEND_BATCH)
    if not ids:
        return 0
    pool = transports if transports is not None else TransportPool()
    batch = _Batch.load(
        worker=worker, ids=ids, should_stop=should_stop or (lambda: False), transports=pool
    )
    batch.renewed_at = claimed_at  # the lease runs from the claim, not from the load
    try:
        batch.send()
    finally:
        if transports is None:
            pool.close()
    return len(ids)


def delivery_rows(*, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The claimed deliveries with their person's fields (``person__`` + ``ROW_FIELDS``,
    their status and preferred language), in one query, in (touch, variant, id) order."""
    rows = Delivery.objects.filter(pk__in=list(ids)).order_by("touch_id", "variant_id", "id")
    return list(rows.values(*DELIVERY_FIELDS, *PERSON_FIELDS))


@dataclass(frozen=True, slots=True)
class _Template:
    compiled: CompiledVariant
    wiifm: str
    touch_key: str
    event: Event | None


@dataclass
class _Batch:
    """One claimed batch and what it needs, loaded in a handful of queries."""

    worker: str
    rows: list[dict[str, Any]]
    touches: dict[int, dict[str, Any]]
    variants: dict[int, list[Variant]]
    wiifm: dict[tuple[int, int | None], str]
    channels: dict[int, Channel]
    rules: DeliverySettings
    should_stop: Callable[[], bool]
    transports: TransportPool
    # When the leases were taken or last renewed (monotonic clock).
    renewed_at: float = field(default_factory=time.monotonic)
    renew_after: float = field(default_factory=lambda: lease_seconds() / 2)
    # Claimed rows with no outcome written yet: the ones whose lease must be kept alive.
    unsent: set[int] = field(default_factory=set)
    # Messages rendered ahead of their turn (or why they could not be), by delivery id.
    prepared: dict[int, Job | Exception] = field(default_factory=dict)
    templates: dict[tuple[int, int | None, int], _Template] = field(default_factory=dict)
    # The last ``sent`` outcome handed to the database, whose answer is still to be read:
    # the row, when it was sent, and the function that reads the answer.
    unsettled: tuple[dict[str, Any], dt.datetime, Callable[[], bool]] | None = None
    # Rows whose ``sent`` outcome is written: their DELIVERED events go in after the batch.
    delivered: list[tuple[dict[str, Any], dt.datetime]] = field(default_factory=list)
    domain: str = field(default_factory=message_domain)
    feed_url: str = field(default_factory=lambda: f"{settings.INWARD_BASE_URL}/feed/")

    @classmethod
    def load(
        cls,
        *,
        worker: str,
        ids: list[int],
        should_stop: Callable[[], bool],
        transports: TransportPool,
    ) -> _Batch:
        rows = delivery_rows(ids=ids)
        touch_ids = {row["touch_id"] for row in rows}
        touches = {t["id"]: t for t in Touch.objects.filter(pk__in=touch_ids).values(*TOUCH_FIELDS)}
        variants: dict[int, list[Variant]] = defaultdict(list)
        for variant in Variant.objects.filter(touch_id__in=touch_ids):
            variants[variant.touch_id].append(variant)
        campaign_ids = {t["campaign_id"] for t in touches.values()}
        return cls(
            worker=worker,
            rows=rows,
            touches=touches,
            variants=variants,
            wiifm=_wiifm_by_campaign(campaign_ids),
            channels=Channel.objects.in_bulk({row["channel_id"] for row in rows}),
            rules=delivery_settings_get(),
            should_stop=should_stop,
            transports=transports,
            unsent=set(ids),
        )

    # The batch ---------------------------------------------------------------------------

    def send(self) -> None:
        try:
            self._send()
        finally:
            self._settle()  # nothing may be left outstanding on the connection
            self._record_delivered()

    def _record_delivered(self) -> None:
        """The batch's DELIVERED events (recipients move to "reached"), in one
        ``record_events`` call, written by the event writer thread when ``inward deliver``
        runs one. After the outcomes, never instead of them: if this fails, or the worker
        dies first, the messages still count as sent, and the hourly
        ``funnel_reached_backfill`` puts the funnel right."""
        if not self.delivered:
            return
        events = [
            EventIn(
                kind=EventKind.DELIVERED,
                occurred_at=at,
                source=EventSource.SENDER,
                person_id=row["person_id"],
                campaign_id=self.touches[row["touch_id"]]["campaign_id"],
                touch_id=row["touch_id"],
                variant_id=row["variant_id"],
                channel_id=row["channel_id"],
                delivery_id=row["id"],
            )
            for row, at in self.delivered
        ]
        self.delivered = []
        events_record_soon(events)  # the next batch does not wait for it under `deliver`

    def _send(self) -> None:
        ready = self._screen(self.rows)
        by_channel: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in ready:
            by_channel[row["channel_id"]].append(row)
        for channel_id, rows in by_channel.items():
            if not self._send_on(self.channels[channel_id], rows):
                break
        # Asked to stop: what is left goes back now, not at lease expiry.
        self._give_back(list(self.unsent), due=timezone.now())

    def _screen(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record what needs no provider (cancelled, left, opted out, out of attempts,
        quiet hours); returns the rest."""
        ready = []
        policy = retry_policy()
        later: dict[dt.datetime, list[int]] = defaultdict(list)
        cancelled: list[int] = []
        for row in rows:
            if self._cancelled(row):
                cancelled.append(row["id"])
            elif row["person_id"] is not None and row["person__status"] == Status.LEFT:
                self._mark(delivery_mark_suppressed, row, reason=SuppressReason.LEFT)
            elif self._opted_out(row):
                self._mark(delivery_mark_suppressed, row, reason=SuppressReason.OPTED_OUT)
            elif row["attempts"] > policy.max_attempts:
                # Claimed again and again without an outcome: each time its worker died.
                error = f"gave up after {row['attempts'] - 1} attempts without an answer"
                self._mark(delivery_mark_failed, row, error=error)
            elif (quiet := self._quiet_until(row)) is not None:
                later[quiet].append(row["id"])
            else:
                ready.append(row)
        if cancelled:
            self.unsent.difference_update(cancelled)
            deliveries_cancel(ids=cancelled, worker=self.worker)
        for due, ids in later.items():
            self._give_back(ids, due=due)
        return ready

    def _cancelled(self, row: dict[str, Any]) -> bool:
        """The touch, or its campaign, was cancelled (or otherwise stopped) after the row
        was written: ``campaign_cancel`` cancels only the rows pending at that moment.
        A calendar cancellation (a later generation on a calendar channel) still goes:
        it is what withdraws the invite."""
        touch = self.touches[row["touch_id"]]
        if touch["cancelled_at"] is None and touch["campaign__status"] in LIVE:
            return False
        calendar = self.channels[row["channel_id"]].kind == ChannelKind.CALENDAR
        return not (calendar and row["generation"] > 0)

    def _opted_out(self, row: dict[str, Any]) -> bool:
        """Opted out of this channel since the row was written (mandatory touches still
        go)."""
        channels_off = row["person__preference__channels_off"] or ()
        kind = self.channels[row["channel_id"]].kind
        return kind in channels_off and not self.touches[row["touch_id"]]["mandatory"]

    def _quiet_until(self, row: dict[str, Any]) -> dt.datetime | None:
        if self.touches[row["touch_id"]]["mandatory"]:
            return None
        zone = zone_for(row["person__time_zone"] or "", fallback=self.rules.default_time_zone)
        start, end = self.rules.quiet_start, self.rules.quiet_end
        return quiet_until(timezone.now(), zone=zone, start=start, end=end)

    # One channel -------------------------------------------------------------------------

    def _send_on(self, channel: Channel, rows: list[dict[str, Any]]) -> bool:
        """Send ``rows`` over one open transport; False when the worker should stop."""
        try:
            transport = self.transports.get(channel)
        except Exception as error:
            problem = _as_transport_error(error)
            log.warning("could not open the %s channel: %s", channel.slug, problem)
            for row in rows:
                self._failed_attempt(row, problem)
            return True
        try:
            return self._send_rows(channel, transport, rows)
        except BaseException:
            self.transports.discard(channel.pk)  # in an unknown state: start afresh
            raise

    def _send_rows(
        self, channel: Channel, transport: Transport, rows: list[dict[str, Any]]
    ) -> bool:
        self.prepared.clear()
        following = iter(rows[1:])
        for index, row in enumerate(rows):
            after = next(following, None)
            if self.should_stop():
                return False
            if not self._still_ours(row):
                continue
            pause = self._send_one(channel, transport, row, after)
            if pause is not None:
                self._give_back([r["id"] for r in rows[index + 1 :]], due=pause)
                return True
        return True

    def _send_one(
        self,
        channel: Channel,
        transport: Transport,
        row: dict[str, Any],
        after: dict[str, Any] | None = None,
    ) -> dt.datetime | None:
        """Send one message and record the outcome; returns when to try this channel again
        if the provider asked us to slow down. While the provider takes in the message,
        the one ``after`` it is rendered (CPU work that would otherwise wait); its outcome
        is still written before that next message is handed over."""
        try:
            job = self._prepared_job(channel, row)
        except Exception as error:  # a template that compiled once must still render
            log.exception("delivery %s could not be rendered", row["id"])
            self._mark(delivery_mark_failed, row, error=f"could not render: {error}")
            return None

        def meanwhile() -> None:
            if after is not None:
                self._prepare(channel, after)

        try:
            transport.send_then(job, before=self._settle, meanwhile=meanwhile)
        except TransportError as error:
            self._failed_attempt(row, error)
            if error.retry_after:
                return timezone.now() + dt.timedelta(seconds=error.retry_after)
            return None
        except Exception as error:  # a bug or an unexpected network error: retry later
            log.exception("delivery %s: unexpected error on %s", row["id"], channel.slug)
            self._failed_attempt(row, _as_transport_error(error))
            _reconnect(transport)
            return None
        # Handed to the database now, its answer read before the next message goes (or
        # the database is used for anything else): see delivery_mark_sent_begin.
        self.unsent.discard(row["id"])
        self.unsettled = (
            row,
            timezone.now(),
            delivery_mark_sent_begin(delivery_id=row["id"], worker=self.worker),
        )
        return None

    def _settle(self) -> None:
        """Wait for the last ``sent`` write's answer, if one is outstanding."""
        if self.unsettled is None:
            return
        (row, sent_at, finish), self.unsettled = self.unsettled, None
        if finish():
            self.delivered.append((row, sent_at))
        else:
            log.warning("delivery %s: lease lost before its outcome was written", row["id"])

    def _prepare(self, channel: Channel, row: dict[str, Any]) -> None:
        """Render ``row``'s message ahead of its turn; a failure is kept for that turn."""
        try:
            self.prepared[row["id"]] = self._job(channel, row)
        except Exception as error:  # recorded when its turn comes
            self.prepared[row["id"]] = error

    def _prepared_job(self, channel: Channel, row: dict[str, Any]) -> Job:
        found = self.prepared.pop(row["id"], None)
        if found is None:
            return self._job(channel, row)
        if isinstance(found, Exception):
            raise found
        return found

    def _failed_attempt(self, row: dict[str, Any], error: TransportError) -> None:
        self._settle()
        if error.permanent:
            self._mark(delivery_mark_failed, row, error=str(error))
            return
        self.unsent.discard(row["id"])
        delivery_mark_retry(
            delivery_id=row["id"],
            worker=self.worker,
            attempts=row["attempts"],
            error=str(error),
            retry_after=error.retry_after,
        )

    def _mark(self, outcome: Callable[..., bool], row: dict[str, Any], **fields: Any) -> None:
        self._settle()
        self.unsent.discard(row["id"])
        if not outcome(delivery_id=row["id"], worker=self.worker, **fields):
            log.warning("delivery %s: lease lost before its outcome was written", row["id"])

    def _give_back(self, ids: list[int], *, due: dt.datetime) -> None:
        self._settle()
        self.unsent.difference_update(ids)
        deliveries_release(ids=ids, worker=self.worker, due_at=due)

    def _still_ours(self, row: dict[str, Any]) -> bool:
        """Whether the lease on ``row`` still holds. Once half the lease has passed (a slow
        provider), every unsent row of the batch is renewed at once, so no row's lease can
        run out while it waits its turn; rows another worker took over are skipped."""
        if time.monotonic() - self.renewed_at >= self.renew_after:
            self._settle()
            self.unsent &= deliveries_renew(ids=list(self.unsent), worker=self.worker)
            self.renewed_at = time.monotonic()
        return row["id"] in self.unsent

    # One message -------------------------------------------------------------------------

    def _template(self, channel: Channel, row: dict[str, Any]) -> _Template:
        """What every message of one (touch, variant) on ``channel`` shares, worked out
        once per batch rather than per message."""
        key = (row["touch_id"], row["variant_id"], channel.pk)
        found = self.templates.get(key)
        if found is not None:
            return found
        touch = self.touches[row["touch_id"]]
        variant = self._variant(row)
        found = _Template(
            compiled=compiled_variant(variant),
            wiifm=self._wiifm(touch["campaign_id"], variant.persona_id),
            touch_key=f"{row['touch_id']}:{variant.pk}:{variant.updated_at.timestamp()}",
            event=self._event(channel, touch),
        )
        if variant.pk == row["variant_id"]:  # not a fallback chosen for this person
            self.templates[key] = found
        return found

    def _job(self, channel: Channel, row: dict[str, Any]) -> Job:
        touch = self.touches[row["touch_id"]]
        template = self._template(channel, row)
        compiled = template.compiled
        person = _person(row)
        links = {"feed": self.feed_url}
        if row["person_id"] is not None:
            links["preferences"] = preferences_url(row["person_id"])
        context = message_context_from_row(
            person,
            persona_wiifm=template.wiifm,
            campaign_name=touch["campaign__name"],
            links=links,
        )
        delivery_id = row["id"]
        message = compiled.render(context, link=lambda index, url: click_url(delivery_id, index))
        html, text = message.html, message.text
        recipient = _recipient(row)
        headers: dict[str, str] = {}
        if channel.kind in MAILED:
            pixel = f'<img src="{open_pixel_url(delivery_id)}" width="1" height="1" alt="">'
            language = recipient.language if recipient else ""
            if "preferences" in links:
                headers["List-Unsubscribe"] = f"<{links['preferences']}>"
                footer_html, footer_text = email_footer(
                    language=language,
                    preferences_url=links["preferences"],
                    mandatory=touch["mandatory"],
                )
                html, text = html + footer_html, text + footer_text
            html = email_html_document(html + pixel, lang=language)
        return Job(
            delivery_id=delivery_id,
            message_id=row["message_id"],
            touch_key=template.touch_key,
            recipient=recipient,
            subject=message.subject,
            html=html,
            text=text,
            critical=touch["critical"],
            event=template.event,
            headers=headers,
        )

    def _variant(self, row: dict[str, Any]) -> Variant:
        variants = self.variants[row["touch_id"]]
        for variant in variants:
            if variant.pk == row["variant_id"]:
                return variant
        # Its variant was deleted after the row was written: choose again.
        language = row["person__preference__language"] or row["person__language"] or ""
        split = f"{row['touch_id']}:{row['person_id']}" if row["person_id"] else None
        return variant_for(variants, language=language, persona_id=None, split_key=split)

    def _wiifm(self, campaign_id: int, persona_id: int | None) -> str:
        found = self.wiifm.get((campaign_id, persona_id))
        return found if found is not None else self.wiifm.get((campaign_id, None), "")

    def _event(self, channel: Channel, touch: Mapping[str, Any]) -> Event | None:
        starts = touch["event_starts_at"]
        if channel.kind != ChannelKind.CALENDAR or starts is None:
            return None
        return Event(
            uid=f"touch-{touch['id']}@{self.domain}",
            starts_at=starts,
            ends_at=touch["event_ends_at"] or starts + EVENT_LENGTH,
            location=touch["event_location"],
            sequence=touch["ics_sequence"],
            cancelled=touch["cancelled_at"] is not None,
        )


def _wiifm_by_campaign(campaign_ids: set[int]) -> dict[tuple[int, int | None], str]:
    """Each campaign's what's-in-it-for-me per persona; under ``(campaign, None)`` the
    one to use when the variant names no persona: the campaign's only persona's, if it has
    exactly one."""
    found: dict[tuple[int, int | None], str] = {}
    rows = CampaignPersona.objects.filter(campaign_id__in=campaign_ids)
    per_campaign: dict[int, list[str]] = defaultdict(list)
    for campaign_id, persona_id, wiifm in rows.values_list("campaign_id", "persona_id", "wiifm"):
        found[(campaign_id, persona_id)] = wiifm
        per_campaign[campaign_id].append(wiifm)
    for campaign_id, lines in per_campaign.items():
        if len(lines) == 1:
            found[(campaign_id, None)] = lines[0]
    return found


def _person(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[f"person__{name}"] for name in ROW_FIELDS}


def _recipient(row: Mapping[str, Any]) -> Recipient | None:
    if row["person_id"] is None:
        return None
    first = row["person__preferred_name"] or row["person__first_name"] or ""
    name = f"{first} {row['person__last_name'] or ''}".strip()
    return Recipient(
        person_id=row["person_id"],
        email=row["person__email"],
        name=name,
        language=row["person__preference__language"] or row["person__language"] or "",
    )


def _as_transport_error(error: Exception) -> TransportError:
    if isinstance(error, TransportError):
        return error
    return TransportError(f"{type(error).__name__}: {error}", permanent=False)


def _reconnect(transport: Transport) -> None:
    """After an unexpected error the connection may be in any state: start it afresh."""
    transport.close()
    try:
        transport.open()
    except TransportError:
        log.warning("could not reconnect the %s transport", transport.kind, exc_info=True)
