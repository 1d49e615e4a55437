"""The scheduler: writes touches into the outbox when they come due, and moves campaigns
from scheduled to running to completed.

A tick is cheap when there is nothing to do (three indexed queries) and safe to run in
several workers at once: materialising is idempotent and locked per touch, and the
campaign transitions leave a campaign already in the target state alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from inward.analytics.funnel_state import ensure_funnel_rows
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus, Touch
from inward.campaigns.services import campaign_mark_completed, campaign_mark_running
from inward.delivery.materialise import MaterialiseReport, touch_materialise
from inward.delivery.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

# Touches are written a little before they are due, so the sender starts on time.
LOOKAHEAD = dt.timedelta(minutes=5)
# A local-time touch is due at its send time on each recipient's clock; the earliest
# clocks (UTC+14) run up to about 14 hours ahead of the campaign's own zone.
LOCAL_LOOKAHEAD = dt.timedelta(hours=14)
LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)


@dataclass
class TickReport:
    """What one tick did: touches written, campaigns started and completed, touches that
    failed to materialise (logged; tried again next tick), and touches another worker was
    writing at that moment (``in_progress``: their deliveries are still to come)."""

    materialised: list[MaterialiseReport] = field(default_factory=list)
    in_progress: list[int] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.materialised or self.started or self.completed)


def touches_due(*, now: dt.datetime) -> QuerySet[Touch]:
    """Approved, not cancelled, not yet materialised touches of scheduled or running
    campaigns whose time (minus the lookahead) has come, earliest first."""
    soon = Q(local_time=False, scheduled_at__lte=now + LOOKAHEAD)
    soon_somewhere = Q(local_time=True, scheduled_at__lte=now + LOOKAHEAD + LOCAL_LOOKAHEAD)
    return (
        Touch.objects.filter(
            campaign__status__in=LIVE,
            approval_status=ApprovalStatus.APPROVED,
            cancelled_at__isnull=True,
            materialised_at__isnull=True,
            scheduled_at__isnull=False,
        )
        .filter(soon | soon_somewhere)
        .select_related("campaign__audience", "channel")
        .order_by("scheduled_at", "position", "id")
    )


def scheduler_tick(*, now: dt.datetime | None = None) -> TickReport:
    """Materialise every due touch, then start and complete campaigns. A touch that
    fails (a broken audience rule) is logged and skipped; the others still go out."""
    now = now or timezone.now()
    report = TickReport()
    for touch in touches_due(now=now):
        try:
            result = touch_materialise(touch=touch, now=now)
        except DatabaseError:
            raise  # the database, not the touch: the caller reconnects and tries again
        except Exception as error:
            log.exception("could not write touch %s (%s) to the outbox", touch.pk, touch)
            report.errors.append(f"{touch}: {error}")
            continue
        if result.locked:
            report.in_progress.append(touch.pk)
        elif not result.skipped:
            # Every recipient gets a funnel row (stage "audience") as soon as the outbox
            # names them (idempotent: a touch written again adds nothing).
            ensure_funnel_rows(touch)
            report.materialised.append(result)
    report.started = [c.slug for c in _campaigns_to_start() if _start(c)]
    report.completed = [c.slug for c in _campaigns_to_complete() if _complete(c)]
    return report


def _campaigns_to_start() -> QuerySet[Campaign]:
    written = Touch.objects.filter(campaign=OuterRef("pk"), materialised_at__isnull=False)
    return Campaign.objects.filter(Exists(written), status=CampaignStatus.SCHEDULED)


def _campaigns_to_complete() -> QuerySet[Campaign]:
    """Running campaigns with every live touch written and nothing left to send."""
    unwritten = Touch.objects.filter(
        campaign=OuterRef("pk"), cancelled_at__isnull=True, materialised_at__isnull=True
    )
    busy = Delivery.objects.filter(
        touch__campaign=OuterRef("pk"),
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
    )
    return Campaign.objects.filter(status=CampaignStatus.RUNNING).exclude(
        Exists(unwritten) | Exists(busy)
    )


def _start(campaign: Campaign) -> bool:
    try:
        campaign_mark_running(campaign=campaign)
    except CampaignError:  # cancelled meanwhile
        log.exception("could not mark campaign %s running", campaign.slug)
        return False
    return True


def _complete(campaign: Campaign) -> bool:
    try:
        campaign_mark_completed(campaign=campaign)
    except CampaignError:  # cancelled meanwhile
        log.exception("could not mark campaign %s completed", campaign.slug)
        return False
    return True
