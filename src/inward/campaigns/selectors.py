"""Reads for campaigns: lists, journeys, the approvals inbox and the calendar."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet

from inward.accounts.access import AnyUser, is_admin
from inward.campaigns.models import (
    ApprovalStatus,
    Blackout,
    Campaign,
    CampaignStatus,
    ExternalCampaign,
    Touch,
    Variant,
)

CAMPAIGN_SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "name": ("name", "id"),
    "starts": ("starts_at", "id"),
    "status": ("status", "name", "id"),
}


def campaign_by_slug(*, slug: str) -> Campaign | None:
    return (
        Campaign.objects.select_related("audience", "external_campaign").filter(slug=slug).first()
    )


def campaign_list(
    *, query: str = "", status: str = "", owner_team: str = "", sort: str = "newest"
) -> QuerySet[Campaign]:
    """Campaigns matching a search on name/slug, a status and a team, with their number of
    touches (``touch_count``)."""
    campaigns = Campaign.objects.select_related("audience").annotate(
        touch_count=Count("touches", distinct=True)
    )
    if query.strip():
        words = query.strip()
        campaigns = campaigns.filter(Q(name__icontains=words) | Q(slug__icontains=words))
    if status:
        campaigns = campaigns.filter(status=status)
    if owner_team:
        campaigns = campaigns.filter(owner_team=owner_team)
    return campaigns.order_by(*CAMPAIGN_SORTS.get(sort, CAMPAIGN_SORTS["newest"]))


def campaign_touches(*, campaign: Campaign) -> list[Touch]:
    """The journey in order, with channels, conditions and variants loaded."""
    variants = Variant.objects.select_related("persona")
    return list(
        campaign.touches.select_related("channel", "condition_touch", "approved_by")
        .prefetch_related(Prefetch("variants", queryset=variants))
        .order_by("position", "id")
    )


def touch_version(touch: Touch) -> str:
    """A short fingerprint of what an approver sees of ``touch``: its settings and time,
    its words (every variant), and the campaign parts messages carry (name, audience,
    exclusions, dates, each persona's what's-in-it-for-me). Any change to one of them
    gives another version, so an approval names the words it was given for.

    Reads ``touch.variants.all()``, ``campaign.exclusions.all()`` and
    ``campaign.campaignpersona_set.all()``: prefetch them when fingerprinting a list.
    """
    campaign = touch.campaign
    parts: list[object] = [
        touch.pk, _instant(touch.updated_at), _instant(touch.scheduled_at), touch.position,
        sorted((v.pk, v.arm, _instant(v.updated_at)) for v in touch.variants.all()),
        campaign.name, campaign.audience_id, _instant(campaign.starts_at),
        _instant(campaign.ends_at),
        campaign.time_zone, campaign.external_campaign_id,
        sorted(a.pk for a in campaign.exclusions.all()),
        sorted((p.persona_id, p.wiifm) for p in campaign.campaignpersona_set.all()),
    ]  # fmt: skip
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def _instant(value: dt.datetime | None) -> float | None:
    # Not repr(): one database hands back UTC as zoneinfo, another as datetime.timezone.
    return None if value is None else value.timestamp()


def approvals_inbox(*, user: AnyUser) -> QuerySet[Touch]:
    """Touches waiting for this user's decision: on channels they own (admins: all), in
    campaigns under review, oldest first."""
    touches = Touch.objects.select_related("campaign", "channel").filter(
        campaign__status=CampaignStatus.IN_REVIEW,
        approval_status=ApprovalStatus.PENDING,
        cancelled_at__isnull=True,
    )
    if not is_admin(user):
        touches = touches.filter(channel__owners=user.pk)
    return touches.order_by("updated_at", "id")


def external_campaign_list() -> QuerySet[ExternalCampaign]:
    return ExternalCampaign.objects.annotate(campaign_count=Count("internal_campaigns"))


@dataclass(frozen=True)
class CalendarEntry:
    """One touch on the calendar. ``day`` is the local date in the calendar's zone."""

    touch_id: int
    touch_name: str
    when: dt.datetime
    day: dt.date
    campaign_slug: str
    campaign_name: str
    campaign_status: str
    channel_name: str
    channel_kind: str
    audience_id: int | None
    audience_name: str
    mandatory: bool


@dataclass(frozen=True)
class CalendarWarning:
    """One audience getting more than one touch on one day."""

    day: dt.date
    audience_id: int
    audience_name: str
    entries: list[CalendarEntry] = field(default_factory=list)


def _calendar_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def calendar_entries(*, start: dt.date, end: dt.date) -> list[CalendarEntry]:
    """Touches with a time from ``start`` to ``end`` (both days included, in the site's
    time zone), of every campaign that is not cancelled, in time order. One query."""
    tz = _calendar_zone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (
        Touch.objects.filter(scheduled_at__gte=low, scheduled_at__lt=high, cancelled_at=None)
        .exclude(campaign__status=CampaignStatus.CANCELLED)
        .select_related("campaign", "campaign__audience", "channel")
        .order_by("scheduled_at", "id")
    )
    return [_entry(touch, tz) for touch in rows]


def _entry(touch: Touch, tz: ZoneInfo) -> CalendarEntry:
    assert touch.scheduled_at is not None
    campaign, audience = touch.campaign, touch.campaign.audience
    return CalendarEntry(
        touch_id=touch.pk,
        touch_name=touch.name,
        when=touch.scheduled_at,
        day=touch.scheduled_at.astimezone(tz).date(),
        campaign_slug=campaign.slug,
        campaign_name=campaign.name,
        campaign_status=campaign.status,
        channel_name=touch.channel.name,
        channel_kind=touch.channel.kind,
        audience_id=audience.pk if audience else None,
        audience_name=audience.name if audience else "",
        mandatory=touch.mandatory,
    )


def calendar_warnings(
    *, start: dt.date, end: dt.date, entries: list[CalendarEntry] | None = None
) -> list[CalendarWarning]:
    """Days on which one audience (the same saved audience) gets more than one touch.
    Pass ``entries`` from ``calendar_entries`` to save the query."""
    if entries is None:
        entries = calendar_entries(start=start, end=end)
    groups: dict[tuple[dt.date, int], list[CalendarEntry]] = defaultdict(list)
    for entry in entries:
        if entry.audience_id is not None:
            groups[(entry.day, entry.audience_id)].append(entry)
    return [
        CalendarWarning(day=day, audience_id=aid, audience_name=hits[0].audience_name, entries=hits)
        for (day, aid), hits in sorted(groups.items(), key=lambda item: item[0])
        if len(hits) > 1
    ]


def blackouts_between(*, start: dt.date, end: dt.date) -> list[Blackout]:
    """Blackout days from ``start`` to ``end``, both included."""
    return list(Blackout.objects.filter(date__gte=start, date__lte=end).order_by("date"))


# The calendar view's name for the same read.
calendar_blackouts = blackouts_between
