"""Per-variant counts for A/B comparisons, read from the deliveries.

A variant *reached* the people whose delivery of it was sent (first sends only: a
calendar update goes to the same people again). It *engaged* those of them who opened,
read or clicked that delivery (``opened_at``, which a feed read and an acknowledgement set
too, or ``clicked_at``): the same rule as the touch breakdown's engaged, so a touch's
variants add up to its row there.

Each variant is labelled by its test version (its arm, else its place) and its subject
line, with its language and persona when it has them: "Version A: “Lead better”".
"""

from __future__ import annotations

from string import ascii_uppercase
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils.translation import gettext as _

from inward.analytics.breakdowns import language_name
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
        .values("id", "touch_id", "touch__name", "language", "persona__name", "arm", "subject")
    )
    if not variants:
        return {}
    counts = _counts({v["touch_id"] for v in variants})
    found: dict[int, tuple[str, list[int], list[tuple[str, str, Arm]]]] = {}
    for v in variants:
        _name, audience, arms = found.setdefault(v["touch_id"], (v["touch__name"], [0], []))
        version = _version(len(arms), v["arm"])
        label = _label(version, v["subject"], v["language"], v["persona__name"])
        written, reached, engaged = counts.get(v["id"], (0, 0, 0))
        audience[0] += written
        arms.append((str(v["id"]), label, Arm(version, reached, engaged)))
    return {
        touch: (name, audience[0], arms)
        for touch, (name, audience, arms) in found.items()
        if _sent_in_several(arms)
    }


def _sent_in_several(arms: list[tuple[str, str, Arm]]) -> bool:
    return sum(1 for _k, _l, arm in arms if arm.reached) > 1


def _counts(touch_ids: set[int]) -> dict[int, tuple[int, int, int]]:
    """Per variant: deliveries written, sent, and sent and opened, read or clicked."""
    marks = ", ".join(["%s"] * len(touch_ids))
    query = f"""
        SELECT d.variant_id, COUNT(*), COUNT(CASE WHEN d.status = %s THEN 1 END),
               COUNT(CASE WHEN d.status = %s AND (d.opened_at IS NOT NULL
                               OR d.clicked_at IS NOT NULL) THEN 1 END)
          FROM delivery_delivery d
         WHERE d.touch_id IN ({marks}) AND d.generation = 0
           AND d.person_id IS NOT NULL AND d.variant_id IS NOT NULL
         GROUP BY d.variant_id
    """  # noqa: S608 - only placeholders are formatted in
    sent = DeliveryStatus.SENT
    params: list[Any] = [sent, sent, *sorted(touch_ids)]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


SUBJECT_SHOWN = 60  # characters of a subject line in a label


def _version(index: int, arm: str) -> str:
    """ "Version A": the variant's test version, else its place among the touch's."""
    letter = arm or (ascii_uppercase[index] if index < len(ascii_uppercase) else str(index + 1))
    return _("Version %(letter)s") % {"letter": letter}


def _label(version: str, subject: str, language: str, persona: str | None) -> str:
    """ "Version A: “Lead better”", with the language and persona when there are."""
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_SHOWN:
        subject = subject[: SUBJECT_SHOWN - 1].rstrip() + "…"
    what = ", ".join(x for x in (language_name(language) if language else "", persona) if x)
    if what:
        version = _("%(version)s (%(what)s)") % {"version": version, "what": what}
    return _("%(version)s: “%(subject)s”") % {"version": version, "subject": subject}
