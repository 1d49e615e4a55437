"""Reads: when each stakeholder last heard from the team, who is overdue, and the lists the
pages show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from inward.campaigns.models import Campaign
from inward.delivery.models import Channel, ChannelKind
from inward.highlights.models import (
    Digest,
    DigestRecipient,
    Highlight,
    RecipientStatus,
    Stakeholder,
)


@dataclass(frozen=True, slots=True)
class StakeholderStatus:
    """A stakeholder and how long they have gone without news.

    ``last_heard_on`` is the later of the last digest that reached them and the last
    contact logged by hand (None: never). ``days_silent`` counts from that day, or from
    the day they were added when they never heard anything. Overdue: silent for longer
    than their cadence.
    """

    stakeholder: Stakeholder
    last_heard_on: dt.date | None
    days_silent: int

    @property
    def cadence_days(self) -> int:
        return self.stakeholder.cadence_days

    @property
    def overdue(self) -> bool:
        return self.days_silent > self.stakeholder.cadence_days

    @property
    def overdue_by(self) -> int:
        return max(0, self.days_silent - self.stakeholder.cadence_days)


def stakeholders_with_last_heard() -> QuerySet[Stakeholder]:
    """Stakeholders annotated with ``last_digest_at`` (latest digest sent to them) and
    ``last_contact_on`` (latest contact logged by hand)."""
    return Stakeholder.objects.annotate(
        last_digest_at=Max(
            "digest_receipts__sent_at",
            filter=Q(digest_receipts__status=RecipientStatus.SENT),
        ),
        last_contact_on=Max("contacts__contacted_on"),
    )


def stakeholder_statuses(now: dt.datetime) -> list[StakeholderStatus]:
    """Every stakeholder's status as of ``now``, by name. One query."""
    today = timezone.localdate(now)
    return [_status(stakeholder, today) for stakeholder in stakeholders_with_last_heard()]


def stakeholder_status(stakeholder_id: int, now: dt.datetime) -> StakeholderStatus:
    stakeholder = stakeholders_with_last_heard().get(pk=stakeholder_id)
    return _status(stakeholder, timezone.localdate(now))


def overdue_stakeholders(now: dt.datetime) -> list[StakeholderStatus]:
    """Stakeholders silent for longer than their cadence as of ``now``, most overdue first."""
    overdue = [status for status in stakeholder_statuses(now) if status.overdue]
    return sorted(overdue, key=lambda status: (-status.overdue_by, status.stakeholder.name))


def _status(stakeholder: Stakeholder, today: dt.date) -> StakeholderStatus:
    heard: list[dt.date] = []
    last_digest_at: dt.datetime | None = getattr(stakeholder, "last_digest_at", None)
    last_contact_on: dt.date | None = getattr(stakeholder, "last_contact_on", None)
    if last_digest_at is not None:
        heard.append(timezone.localdate(last_digest_at))
    if last_contact_on is not None:
        heard.append(last_contact_on)
    last = max(heard, default=None)
    since = last if last is not None else timezone.localdate(stakeholder.created_at)
    return StakeholderStatus(
        stakeholder=stakeholder, last_heard_on=last, days_silent=max(0, (today - since).days)
    )


MAX_PRESELECTED = 500  # ids read from one query string


def stakeholder_ids(values: list[str]) -> list[int]:
    """The ids among ``values`` (from a query string) of stakeholders that exist, in the
    order given; anything else (not a number, deleted, repeated) is left out."""
    numbers = (v for v in values[:MAX_PRESELECTED] if v.isascii() and v.isdigit() and len(v) < 19)
    wanted = list(dict.fromkeys(int(value) for value in numbers))
    found = set(Stakeholder.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in found]


def stakeholder_receipts(stakeholder: Stakeholder) -> QuerySet[DigestRecipient]:
    """The digests a stakeholder was sent (or was to be sent), newest first."""
    return (
        DigestRecipient.objects.filter(stakeholder=stakeholder)
        .select_related("digest")
        .order_by("-digest__send_started_at", "-id")
    )


def highlight_list(*, pinned_only: bool = True, campaign_slug: str = "") -> QuerySet[Highlight]:
    """Highlights for the list page, without the picture bytes (``defer``)."""
    highlights = Highlight.objects.select_related("campaign", "created_by").defer("image")
    if pinned_only:
        highlights = highlights.filter(pinned=True)
    if campaign_slug:
        highlights = highlights.filter(campaign__slug=campaign_slug)
    return highlights


def digest_highlights(digest: Digest) -> list[Highlight]:
    """A digest's highlights in the order they are told: pinned and newest first."""
    return list(digest.highlights.select_related("campaign").defer("image"))


def digest_list() -> QuerySet[Digest]:
    return Digest.objects.select_related("created_by", "sent_by")


def channels_of_kind(kind: str) -> QuerySet[Channel]:
    """Enabled channels of ``kind`` that can carry a digest."""
    return Channel.objects.filter(kind=kind, enabled=True).order_by("name")


def email_channels() -> QuerySet[Channel]:
    return channels_of_kind(ChannelKind.EMAIL)


def slack_channels() -> QuerySet[Channel]:
    return channels_of_kind(ChannelKind.SLACK)


def campaign_for_slug(slug: str) -> Campaign | None:
    """The campaign a "pin from the campaign results" link names, if it exists."""
    return Campaign.objects.filter(slug=slug).first() if slug else None
