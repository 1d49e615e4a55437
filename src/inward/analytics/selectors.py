"""Reads for campaign analytics: the funnel report, and what is recorded about a person.

``funnel_report`` reads only the per-recipient funnel state (``RecipientFunnel``), the
deliveries (touch-level "reached by this touch", A/B variants) and ``Attribution``; it
never scans the raw event stream, so a report costs one aggregate query per part whatever
the number of events. Counts a viewer may not see are hidden (None) by the rules in
``analytics.suppression``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.analytics import breakdowns as parts
from inward.analytics.models import EngagementEvent, FunnelStage, RecipientFunnel
from inward.analytics.report_types import (
    Breakdown,
    FunnelReport,
    FunnelRow,
    StageInfo,
)
from inward.analytics.suppression import shown_in_row
from inward.campaigns.models import Campaign
from inward.delivery.timing import zone_for
from inward.directory.models import Person

ALL_DIMENSIONS: tuple[str, ...] = (
    "touch",
    "stage",
    "channel",
    "language",
    "persona",
    "department",
    "site",
)
# The parts of a report besides the stages and breakdowns.
SECTIONS: tuple[str, ...] = ("over_time", "learning", "variants")
STAGE_KEYS = ("audience", "reached", "engaged", "acted", "completed", "advocated")


def stages() -> list[StageInfo]:
    return [
        StageInfo(value=stage.value, key=STAGE_KEYS[stage.value], label=str(stage.label))
        for stage in FunnelStage
    ]


def funnel_report(
    campaign: Campaign,
    *,
    minimum: int,
    model: str = "last",
    breakdowns: Sequence[str] = ALL_DIMENSIONS,
    now: dt.datetime | None = None,
    sections: Collection[str] = SECTIONS,
) -> FunnelReport:
    """The campaign's funnel as a viewer with this ``minimum`` group size may see it
    (1 for admins: exact numbers). ``model`` orders the attribution models so that the
    chosen one comes first in ``learning``. ``sections`` leaves out the parts a page does
    not show (an htmx partial with one breakdown needs none of them): they stay empty.
    About one query per part; the stages alone are one query."""
    unknown = (set(breakdowns) - set(ALL_DIMENSIONS)) | (set(sections) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown breakdowns or sections: {', '.join(sorted(unknown))}")
    with parts.report_transaction():
        return _report(campaign, minimum, model, breakdowns, now, sections)


def _report(
    campaign: Campaign,
    minimum: int,
    model: str,
    breakdowns: Sequence[str],
    now: dt.datetime | None,
    sections: Collection[str],
) -> FunnelReport:
    exact = parts.total_counts(campaign)
    total_shown = shown_in_row(exact, minimum=minimum)
    overlapping = set(breakdowns) - set(parts.PARTITIONS)
    touches = parts.campaign_touches(campaign) if overlapping else []
    profile = parts.touch_profile(campaign, touches) if overlapping else None
    built = [
        _breakdown(campaign, name, exact, total_shown, minimum, (touches, profile))
        for name in breakdowns
    ]
    total = FunnelRow(key="", label=_("Everyone"), counts=_mask(exact, total_shown))
    return FunnelReport(
        campaign_id=campaign.pk,
        campaign_slug=campaign.slug,
        campaign_name=campaign.name,
        generated_at=now or timezone.now(),
        minimum_group_size=minimum,
        attribution_window_days=settings.INWARD_ATTRIBUTION_WINDOW_DAYS,
        stages=stages(),
        total=total,
        breakdowns=built,
        over_time=parts.over_time(
            campaign,
            exact=exact,
            total=total.counts,
            minimum=minimum,
            tz=zone_for(campaign.time_zone, fallback=settings.TIME_ZONE),
        )
        if "over_time" in sections
        else [],
        learning=parts.learning(campaign, model=model, minimum=minimum)
        if "learning" in sections
        else [],
        variants=parts.variants(campaign, minimum=minimum) if "variants" in sections else [],
    )


def _breakdown(
    campaign: Campaign,
    name: str,
    exact: list[int],
    total_shown: list[bool],
    minimum: int,
    touches: tuple[parts.Touches, parts.Profile | None],
) -> Breakdown:
    label = parts.DIMENSION_LABELS[name]()
    note = ""
    if name in parts.PARTITIONS:
        groups = parts.partition_groups(campaign, name)
        rows = parts.partition_rows(groups, exact, total_shown, minimum=minimum)
    else:
        rows = parts.touch_rows(parts.delivery_groups(campaign, name, *touches), minimum=minimum)
        note = parts.DELIVERY_NOTES[name]()
    return Breakdown(dimension=name, label=label, rows=rows, note=note)


def _mask(values: list[int], shown: list[bool]) -> list[int | None]:
    return [value if ok else None for value, ok in zip(values, shown, strict=True)]


def person_events(person: Person) -> QuerySet[EngagementEvent]:
    """Everything recorded about ``person`` in the event stream, robots included (it is
    their record), newest first, with the campaign, touch, channel and offering names."""
    return (
        EngagementEvent.objects.filter(person=person)
        .select_related("campaign", "touch", "channel", "offering")
        .order_by("-occurred_at", "-id")
    )


def person_funnels(person: Person) -> QuerySet[RecipientFunnel]:
    """Where ``person`` stands in each campaign that reached them, latest change first."""
    return (
        RecipientFunnel.objects.filter(person=person)
        .select_related("campaign")
        .order_by("-updated_at", "-id")
    )
