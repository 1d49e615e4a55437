"""External campaigns (the launches employees should hear about first) and blackouts."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Blackout, CampaignStatus, ExternalCampaign, Timing, Touch
from inward.campaigns.services import _common
from inward.campaigns.services.calendar_invites import calendar_resend
from inward.campaigns.services.campaigns import campaign_reschedule

_OPEN = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


@transaction.atomic
def external_campaign_create(
    *, actor: User | None, slug: str, name: str, launch_at: dt.datetime, description: str = ""
) -> ExternalCampaign:
    _common.require_editor(actor)
    if not name.strip():
        raise CampaignError("name_missing", _("An external campaign needs a name."))
    if ExternalCampaign.objects.filter(slug=slug).exists():
        raise CampaignError(
            "slug_taken", _('An external campaign "%(slug)s" exists.') % {"slug": slug}
        )
    external = ExternalCampaign.objects.create(
        slug=slug, name=name, launch_at=launch_at, description=description
    )
    audit_record(actor=actor, action="external.create", target=external, summary=name)
    return external


@transaction.atomic
def external_campaign_update(
    *,
    actor: User | None,
    external: ExternalCampaign,
    name: str,
    description: str = "",
    launch_at: dt.datetime | None = None,
) -> list[str]:
    """Change name and description; a new ``launch_at`` moves linked touches
    (``external_campaign_move``). Returns what changed."""
    _common.require_editor(actor)
    if not name.strip():
        raise CampaignError("name_missing", _("An external campaign needs a name."))
    changed = _common.assign(external, {"name": name, "description": description})
    if changed:
        external.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor, action="external.update", target=external, summary=", ".join(changed)
        )
    if launch_at is not None and launch_at != external.launch_at:
        external_campaign_move(actor=actor, external=external, launch_at=launch_at)
        changed.append("launch_at")
    return changed


@transaction.atomic
def external_campaign_move(
    *, actor: User | None, external: ExternalCampaign, launch_at: dt.datetime
) -> int:
    """Move the launch; every touch timed from it moves along, and their events (a
    manager briefing) by the same amount. Invites already sent get an update. Touches
    already written to the outbox stay. Returns how many touches moved."""
    _common.require_editor(actor)
    shift = launch_at - external.launch_at
    before = external.launch_at
    external.launch_at = launch_at
    external.save(update_fields=["launch_at", "updated_at"])
    moved = 0
    for campaign in external.internal_campaigns.exclude(status__in=_OPEN):
        campaign.external_campaign = external
        _shift_events(campaign.touches.filter(timing=Timing.EXTERNAL_LAUNCH), shift)
        moved += campaign_reschedule(campaign=campaign)
        summary = f"{external.name} moved to {launch_at:%Y-%m-%d %H:%M}"
        _common.audit(
            actor, "campaign.move", campaign, summary,
            external=external.pk, launch_at=launch_at.isoformat(),
        )  # fmt: skip
    audit_record(
        actor=actor,
        action="external.move",
        target=external,
        summary=f"{before.isoformat()} → {launch_at.isoformat()}",
        data={"from": before.isoformat(), "to": launch_at.isoformat(), "touches": moved},
    )
    return moved


def _shift_events(touches: QuerySet[Touch], shift: dt.timedelta) -> None:
    for touch in touches.select_related("channel"):
        if not touch.event_starts_at or not shift:
            continue
        touch.event_starts_at += shift
        if touch.event_ends_at:
            touch.event_ends_at += shift
        Touch.objects.filter(pk=touch.pk).update(
            event_starts_at=touch.event_starts_at, event_ends_at=touch.event_ends_at
        )
        if touch.materialised_at is not None:
            calendar_resend(touch=touch, due_at=timezone.now())


@transaction.atomic
def blackout_create(*, actor: User | None, date: dt.date, reason: str) -> Blackout:
    """A day nothing non-mandatory goes out. Admins and managers set them."""
    _common.require_editor(actor)
    if not reason.strip():
        raise CampaignError("reason_missing", _("Say why nothing goes out that day."))
    try:
        with transaction.atomic():
            blackout = Blackout.objects.create(date=date, reason=reason.strip(), created_by=actor)
    except IntegrityError:
        raise CampaignError(
            "date_taken", _("%(date)s is a blackout day already.") % {"date": date.isoformat()}
        ) from None
    audit_record(actor=actor, action="blackout.create", target=blackout, summary=str(blackout))
    return blackout


@transaction.atomic
def blackout_delete(*, actor: User | None, blackout: Blackout) -> None:
    _common.require_editor(actor)
    audit_record(actor=actor, action="blackout.delete", target=blackout, summary=str(blackout))
    blackout.delete()
