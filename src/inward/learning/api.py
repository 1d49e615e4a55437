"""The offerings catalogue under /api/v1/offerings: read-only.

Mounted in ``inward/api.py`` with ``api.add_router("/offerings", router)``. Reading needs
``can_read_campaigns``. Learner counts follow the minimum group size: a count from 1 to
``min_group_size - 1`` is null for anyone but admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from inward.accounts import access
from inward.learning.models import Offering
from inward.learning.selectors import (
    offering_by_slug,
    offering_campaigns,
    offering_learner_counts,
    offering_list,
    offering_personas,
)

router = Router(tags=["offerings"])


class OfferingSummary(Schema):
    slug: str
    title: str
    kind: str
    activity_id: str
    url: str
    starts_on: dt.date | None
    ends_on: dt.date | None


class PersonaLine(Schema):
    persona: str
    wiifm: str


class Learners(Schema):
    # People, each counted once; null when 1 to min_group_size - 1 (for non-admins).
    enrolled: int | None
    completed: int | None
    min_group_size: int


class OfferingOut(OfferingSummary):
    description: str
    owner: str | None
    personas: list[PersonaLine]
    campaigns: list[str]
    learners: Learners


def _summary(offering: Offering) -> dict[str, Any]:
    return {name: getattr(offering, name) for name in OfferingSummary.model_fields}


@router.get("/", response=list[OfferingSummary])
def list_offerings(request: HttpRequest, query: str = "", kind: str = "") -> list[dict[str, Any]]:
    access.require(access.can_read_campaigns(request.user))
    return [_summary(offering) for offering in offering_list(query=query[:200], kind=kind)]


@router.get("/{slug}", response=OfferingOut)
def get_offering(request: HttpRequest, slug: str) -> dict[str, Any]:
    access.require(access.can_read_campaigns(request.user))
    offering = offering_by_slug(slug=slug)
    if offering is None:
        raise Http404("no such offering")
    counts = offering_learner_counts(offering=offering, user=request.user)
    return {
        **_summary(offering),
        "description": offering.description,
        "owner": offering.owner.username if offering.owner else None,
        "personas": [
            {"persona": line.persona.name, "wiifm": line.wiifm}
            for line in offering_personas(offering=offering)
        ],
        "campaigns": list(offering_campaigns(offering=offering).values_list("slug", flat=True)),
        "learners": {
            "enrolled": counts.enrolled,
            "completed": counts.completed,
            "min_group_size": counts.minimum,
        },
    }
