"""Reads for the offerings catalogue: the list, one offering, and who enrolled or completed.

Counts of people come from ``analytics.EngagementEvent`` (robot events never count) and
are for groups: a viewer who is not an admin sees a count of 1 to
``INWARD_MIN_GROUP_SIZE - 1`` as "fewer than N" (``delivery.selectors.small_hidden``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from inward.accounts.access import AnyUser
from inward.analytics.models import EngagementEvent
from inward.audiences.rules.functions import COMPLETED_KINDS, ENROLLED_KINDS
from inward.campaigns.models import Campaign
from inward.delivery.selectors import small_hidden, viewer_minimum
from inward.learning.models import Offering, OfferingKind, OfferingPersona


def offering_list(*, query: str = "", kind: str = "") -> QuerySet[Offering]:
    """Offerings whose title, slug, description or activity id contains ``query`` (any
    case), of ``kind`` if given, with ``campaign_count``; by title."""
    offerings = Offering.objects.select_related("owner")
    if query:
        offerings = offerings.filter(
            Q(title__icontains=query)
            | Q(slug__icontains=query)
            | Q(description__icontains=query)
            | Q(activity_id__icontains=query)
        )
    if kind in OfferingKind.values:
        offerings = offerings.filter(kind=kind)
    return offerings.annotate(campaign_count=Count("campaigns", distinct=True)).order_by(
        "title", "id"
    )


def offering_by_slug(*, slug: str) -> Offering | None:
    return Offering.objects.select_related("owner").filter(slug=slug).first()


def offering_campaigns(*, offering: Offering) -> QuerySet[Campaign]:
    """The campaigns that promote ``offering``, newest first."""
    return Campaign.objects.filter(offering=offering).order_by("-created_at", "-id")


def offering_personas(*, offering: Offering) -> list[OfferingPersona]:
    return list(offering.persona_lines.select_related("persona"))


@dataclass(frozen=True)
class LearnerCounts:
    """How many people enrolled in and completed an offering, as a viewer may see them.

    ``enrolled``/``completed`` are None when the number is hidden (1 to ``minimum - 1``);
    ``minimum`` is then the "fewer than" to show.
    """

    enrolled: int | None
    completed: int | None
    minimum: int

    @property
    def completion_rate(self) -> int | None:
        """Completed as a whole percentage of enrolled, when both are shown."""
        if not self.enrolled or self.completed is None:
            return None
        return round(100 * self.completed / self.enrolled)


def offering_learner_counts(*, offering: Offering, user: AnyUser) -> LearnerCounts:
    """Distinct people who enrolled (or started, completed, passed: each implies
    enrolment) and who completed or passed, from events that are not a robot's; small
    numbers hidden from anyone but admins. One query."""
    events = EngagementEvent.objects.filter(
        offering=offering, robot=False, person__isnull=False
    ).order_by()
    counts = events.aggregate(
        enrolled=Count("person", distinct=True, filter=Q(kind__in=ENROLLED_KINDS)),
        completed=Count("person", distinct=True, filter=Q(kind__in=COMPLETED_KINDS)),
    )
    minimum = viewer_minimum(user)
    return LearnerCounts(
        enrolled=small_hidden(counts["enrolled"] or 0, minimum=minimum),
        completed=small_hidden(counts["completed"] or 0, minimum=minimum),
        minimum=minimum,
    )
