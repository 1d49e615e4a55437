"""Small pieces shared by the campaign services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Campaign, Touch
from inward.campaigns.states import EDITABLE


def require_editor(actor: User | None) -> None:
    """Admins and managers plan campaigns; ``None`` is the system (commands, the demo)."""
    if actor is not None:
        access.require(access.can_edit_campaigns(actor))


def require_editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE:
        raise CampaignError(
            "not_editable",
            _("A campaign that is %(status)s can no longer be changed.")
            % {"status": campaign.get_status_display().lower()},
        )


def lock_campaign(campaign: Campaign) -> None:
    """Hold the campaign's row until the transaction ends and read its current status
    into ``campaign``. Call inside ``transaction.atomic``.

    Lock order, everywhere: the campaign first, then its touches. Writers that change a
    touch and may then move the campaign (a touch edit sending it back to review) and
    approvers that move the campaign after approving a touch so never wait on each
    other in a circle.
    """
    campaign.status = (
        Campaign.objects.select_for_update().values_list("status", flat=True).get(pk=campaign.pk)
    )


def lock_touch(touch: Touch) -> None:
    """Lock ``touch``'s campaign and then ``touch`` (see ``lock_campaign``), and read the
    touch's current state into it; what it is compared against or changed from is then
    what other writers committed. Call inside ``transaction.atomic``."""
    lock_campaign(touch.campaign)
    fresh = Touch.objects.select_for_update().get(pk=touch.pk)
    for field in Touch._meta.concrete_fields:
        setattr(touch, field.attname, getattr(fresh, field.attname))


def audit(
    actor: User | None, action: str, campaign: models.Model, summary: str, **data: Any
) -> None:
    audit_record(actor=actor, action=action, target=campaign, summary=summary, data=data)


def assign(instance: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set ``fields`` on ``instance``; the names of those whose value changed."""
    changed = []
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def unknown_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    extra = sorted(set(fields) - allowed)
    if extra:
        # A programming error, not a user's: name the fields plainly.
        raise TypeError(f"unknown fields: {', '.join(extra)}")


def printable(value: Any) -> Any:
    """A value fit for an audit entry's JSON ``data``."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value
