"""Per-variant counts for A/B comparisons, read from the deliveries.

A variant *reached* the people whose delivery of it was sent (first sends only: a
calendar update goes to the same people again). It *engaged* those of them whose delivery
was opened or clicked, or whose first engagement with the campaign (``engaged_at``) came
at or after its sending. Opens and clicks belong to the message itself; ``engaged_at``
covers channels without a pixel (a feed read, an acknowledgement, a reaction), and only
engagement after this message, so an earlier touch's success is not credited to a later
variant.
"""

from __future__ import annotations

from string import ascii_uppercase
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext as _

from inward.analytics.stats import Arm
from inward.campaigns.models import Campaign, Variant
from inward.delivery.models import DeliveryStatus

# Per touch: its name, how many people it was written for (any status), and the variants.
VariantArms = dict[int, tuple[str, int, list[tuple[str, str, Arm]]]]


def variant_counts(campaign: Campaign) -> VariantArms:
    """For each touch of ``campaign`` sent in more than one variant: its name, its
    audience (deliveries written, any status) and, per variant in the variants' order,
    (variant id, label, counts). Two queries (the variants; one aggregate over those
    touches' first sends), one when no touch has several variants."""
    several = (
        Variant.objects.filter(touch__campaign=campaign)
        .values("touch_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("touch_id")
    )
    variants = list(
        Variant.objects.filter(touch_id__in=several)
        .order_by("touch__position", "touch_id", "language", "id")
        .values("id", "touch_id", "touch__name", "language", "persona__name")
    )
    if not variants:
        return {}
    counts = _counts({v["touch_id"] for v in variants}, campaign.pk)
    found: dict[int, tuple[str, list[int], list[tuple[str, str, Arm]]]] = {}
    for v in variants:
        _name, audience, arms = found.setdefault(v["touch_id"], (v["touch__name"], [0], []))
        label = _label(len(arms), v["language"], v["persona__name"])
        written, reached, engaged = counts.get(v["id"], (0, 0, 0))
        audience[0] += written
        arms.append((str(v["id"]), label, Arm(label, reached, engaged)))
    return {
        touch: (name, audience[0], arms)
        for touch, (name, audience, arms) in found.items()
        if _sent_in_several(arms)
    }


def _sent_in_several(arms: list[tuple[str, str, Arm]]) -> bool:
    return sum(1 for _k, _l, arm in arms if arm.reached) > 1


def _counts(touch_ids: set[int], campaign_id: int) -> dict[int, tuple[int, int, int]]:
    """Per variant: deliveries written, sent, and sent and engaged."""
    marks = ", ".join(["%s"] * len(touch_ids))
    query = f"""
        SELECT d.variant_id, COUNT(*), COUNT(CASE WHEN d.status = %s THEN 1 END),
               COUNT(CASE WHEN d.status = %s AND (d.opened_at IS NOT NULL
                               OR d.clicked_at IS NOT NULL OR f.engaged_at >= d.sent_at)
                          THEN 1 END)
          FROM delivery_delivery d
          LEFT JOIN analytics_recipientfunnel f
            ON f.campaign_id = %s AND f.person_id = d.person_id
         WHERE d.touch_id IN ({marks}) AND d.generation = 0
           AND d.person_id IS NOT NULL AND d.variant_id IS NOT NULL
         GROUP BY d.variant_id
    """  # noqa: S608 - only placeholders are formatted in
    sent = DeliveryStatus.SENT
    params: list[Any] = [sent, sent, campaign_id, *sorted(touch_ids)]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


def _label(index: int, language: str, persona: str | None) -> str:
    letter = ascii_uppercase[index] if index < len(ascii_uppercase) else str(index + 1)
    what = ", ".join(x for x in (language, persona) if x) or _("default")
    return _("Variant %(letter)s (%(what)s)") % {"letter": letter, "what": what}
