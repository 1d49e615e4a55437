"""Updates and cancellations of calendar invites that already went out.

An invite that was sent cannot be taken back; a new message with a higher SEQUENCE
replaces it. Each resend is a new ``generation`` of deliveries for the people who got the
invite; the sender reads ``Touch.cancelled_at`` to send METHOD:CANCEL rather than REQUEST.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts.models import User
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import CampaignStatus, Touch
from inward.campaigns.services._common import assign, audit, require_editable, require_editor
from inward.delivery.models import ChannelKind, Delivery, DeliveryStatus
from inward.delivery.outbox import delivery_message_id


def calendar_resend(*, touch: Touch, due_at: dt.datetime) -> int:
    """Queue an update (or, for a cancelled touch, a cancellation) of a calendar invite for
    everyone it was sent to; returns how many. Bumps ``ics_sequence``."""
    if touch.channel.kind != ChannelKind.CALENDAR:
        return 0
    sent = Delivery.objects.filter(touch=touch, status=DeliveryStatus.SENT, person__isnull=False)
    rows = list(sent.values("person_id", "variant_id").distinct())
    if not rows:
        return 0
    latest = Delivery.objects.filter(touch=touch).aggregate(g=Max("generation"))["g"] or 0
    generation = latest + 1
    Delivery.objects.bulk_create(
        [
            Delivery(
                touch=touch,
                person_id=row["person_id"],
                channel_id=touch.channel_id,
                generation=generation,
                variant_id=row["variant_id"],
                due_at=due_at,
                message_id=delivery_message_id(
                    touch_id=touch.pk, person_id=row["person_id"], generation=generation
                ),
            )
            for row in {r["person_id"]: r for r in rows}.values()
        ],
        ignore_conflicts=True,
    )
    touch.ics_sequence += 1
    Touch.objects.filter(pk=touch.pk).update(ics_sequence=touch.ics_sequence)
    return len({row["person_id"] for row in rows})


@transaction.atomic
def touch_event_move(
    *,
    actor: User | None,
    touch: Touch,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    location: str,
) -> int:
    """Move the event a calendar touch invites to. Logistics, not words: no new approval,
    and allowed while the campaign runs. Invites already sent get an update (a higher
    SEQUENCE). Returns how many people the update goes to."""
    require_editor(actor)
    if touch.campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        require_editable(touch.campaign)
    if ends_at <= starts_at:
        raise CampaignError("event", _("The event must end after it starts."))
    wanted = {"event_starts_at": starts_at, "event_ends_at": ends_at, "event_location": location}
    changed = assign(touch, wanted)
    if not changed:
        return 0
    touch.save(update_fields=[*changed, "updated_at"])
    updated = calendar_resend(touch=touch, due_at=timezone.now())
    audit(
        actor, "touch.event_move", touch.campaign, f"{touch.name}: event moved",
        touch=touch.pk, starts_at=starts_at.isoformat(), updates=updated,
    )  # fmt: skip
    return updated
