"""The campaigns API under /api/v1/campaigns/: plan, review, launch, follow.

Domain refusals come back in the API's error shape: ``transition`` (and other conflicts
with the campaign's state) as 409, anything else as 400, with ``details`` locating a
template problem (``field``, ``line``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from inward.accounts import access
from inward.accounts.models import User
from inward.api import ApiError
from inward.audiences.models import Audience, Persona
from inward.audiences.rules.conditions import condition_rule_clean
from inward.campaigns import selectors, services
from inward.campaigns.access import (
    access_campaign,
    access_campaign_for_edit,
    access_touch,
    access_touch_for_approval,
)
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Campaign, Touch
from inward.delivery.models import Channel
from inward.delivery.selectors import counts_for_viewer, delivery_counts, viewer_minimum
from inward.learning.models import Offering

router = Router(tags=["campaigns"])

# Codes that mean "not now, given the campaign's state" rather than "bad input".
CONFLICT_CODES = frozenset(
    {
        "transition",
        "slug_taken",
        "not_editable",
        "not_in_review",
        "not_approved",
        "touch_sent",
        "stale",
    }
)


@contextmanager
def refusals() -> Iterator[None]:
    """A CampaignError raised inside, reported as an ApiError."""
    try:
        yield
    except CampaignError as error:
        status = 409 if error.code in CONFLICT_CODES else 400
        place = {k: v for k, v in (("field", error.field), ("line", error.line)) if v}
        raise ApiError(status, error.code, error.message, [place] if place else []) from None


# A test version of an A/B test ("" when the words are not being tested).
Arm = Literal["", "A", "B", "C", "D"]


class VariantOut(Schema):
    id: int
    language: str
    persona: str | None
    arm: Arm
    subject: str
    body: str


class TouchOut(Schema):
    id: int
    position: int
    name: str
    channel: str
    stage: str
    timing: str
    send_at: dt.datetime | None
    offset_days: int
    send_time: dt.time | None
    local_time: bool
    condition: str
    condition_touch: int | None
    # A rule each recipient must match when the touch is sent ("" for none).
    condition_rule: str
    recipients: str
    mandatory: bool
    critical: bool
    kit_role: str
    event_starts_at: dt.datetime | None
    event_ends_at: dt.datetime | None
    event_location: str
    approval_status: str
    scheduled_at: dt.datetime | None
    variants: list[VariantOut]
    # What an approval must name: the touch as the approver read it (touch_version).
    version: str


class PersonaWiifm(Schema):
    persona: str
    wiifm: str


class CampaignSummary(Schema):
    slug: str
    name: str
    status: str
    owner_team: str
    purpose: str
    audience: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None


class CampaignOut(CampaignSummary):
    exclusions: list[str]
    # The slug of the learning offering it promotes; learning_offering is a free-text note.
    offering: str | None
    learning_offering: str
    external_campaign: str | None
    time_zone: str
    brief_channels: str
    brief_engagement: str
    goal_metric: str
    goal_target: str
    brief_duration: str
    personas: list[PersonaWiifm]
    brief_missing: list[str]
    launched_at: dt.datetime | None
    touches: list[TouchOut]


class CampaignChange(Schema):
    name: str | None = None
    owner_team: str | None = None
    purpose: str | None = None
    audience: str | None = None
    exclusions: list[str] | None = None
    offering: str | None = None
    learning_offering: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    time_zone: str | None = None
    brief_channels: str | None = None
    brief_engagement: str | None = None
    goal_metric: str | None = None
    goal_target: str | None = None
    brief_duration: str | None = None
    personas: list[PersonaWiifm] | None = None


class CampaignIn(CampaignChange):
    slug: str
    name: str
    owner_team: str
    purpose: str


class TouchChange(Schema):
    name: str | None = None
    channel: str | None = None
    stage: str | None = None
    timing: str | None = None
    send_at: dt.datetime | None = None
    offset_days: int | None = None
    send_time: dt.time | None = None
    local_time: bool | None = None
    condition: str | None = None
    condition_touch: int | None = None
    condition_rule: str | None = None
    recipients: str | None = None
    mandatory: bool | None = None
    critical: bool | None = None
    event_starts_at: dt.datetime | None = None
    event_ends_at: dt.datetime | None = None
    event_location: str | None = None


class TouchIn(TouchChange):
    name: str
    channel: str
    subject: str | None = None
    body: str | None = None


class VariantIn(Schema):
    language: str = ""
    persona: str | None = None
    # Several versions (A, B, ...) for the same language and persona are an A/B test.
    arm: Arm = ""
    subject: str
    body: str


class Decision(Schema):
    comment: str = ""
    version: str | None = None


class Approval(Decision):
    """An approval names the ``version`` of the touch it was given for (a touch's
    ``version`` in the campaign detail): a touch changed since is refused with 409."""

    version: str


class StatusOut(Schema):
    slug: str
    status: str
    # A count from 1 to min_group_size - 1 is null for anyone but admins.
    deliveries: dict[str, int | None]
    suppressed_small_groups: bool
    min_group_size: int


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _touch_out(touch: Touch) -> dict[str, Any]:
    return {
        **{name: getattr(touch, name) for name in TouchOut.model_fields if hasattr(touch, name)},
        "channel": touch.channel.slug,
        "condition_touch": touch.condition_touch_id,
        "version": selectors.touch_version(touch),
        "variants": [
            {
                "id": v.pk,
                "language": v.language,
                "persona": v.persona.name if v.persona else None,
                "arm": v.arm,
                "subject": v.subject,
                "body": v.body,
            }
            for v in touch.variants.all()
        ],
    }


def _campaign_out(campaign: Campaign) -> dict[str, Any]:
    simple = {n: getattr(campaign, n) for n in CampaignOut.model_fields if hasattr(campaign, n)}
    # Each touch's version reads these; touches share this campaign instance.
    prefetch_related_objects([campaign], "exclusions", "campaignpersona_set")
    personas = campaign.campaignpersona_set.select_related("persona")
    return {
        **simple,
        "audience": campaign.audience.slug if campaign.audience else None,
        "exclusions": list(campaign.exclusions.values_list("slug", flat=True)),
        "offering": campaign.offering.slug if campaign.offering else None,
        "external_campaign": (
            campaign.external_campaign.slug if campaign.external_campaign else None
        ),
        "personas": [{"persona": p.persona.name, "wiifm": p.wiifm} for p in personas],
        "brief_missing": services.campaign_brief_missing(campaign),
        "touches": [_touch_out(t) for t in selectors.campaign_touches(campaign=campaign)],
    }


def _summary(campaign: Campaign) -> dict[str, Any]:
    return {
        **{n: getattr(campaign, n) for n in CampaignSummary.model_fields if hasattr(campaign, n)},
        "audience": campaign.audience.slug if campaign.audience else None,
    }


def _by_slug[M: (Audience, Channel, Offering)](model: type[M], slug: str, what: str) -> M:
    found = model.objects.filter(slug=slug).first()
    if found is None:
        raise ApiError(400, f"unknown_{what}", f'No {what} with the slug "{slug}".')
    return found


def _persona(name: str) -> Persona:
    persona = Persona.objects.filter(name=name).first()
    if persona is None:
        raise ApiError(400, "unknown_persona", f'No persona called "{name}".')
    return persona


def _campaign_fields(body: CampaignChange) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"personas", "slug"})
    if "audience" in fields:
        slug = fields["audience"]
        fields["audience"] = _by_slug(Audience, slug, "audience") if slug else None
    if "exclusions" in fields:
        slugs = fields["exclusions"] or []
        fields["exclusions"] = [_by_slug(Audience, slug, "audience") for slug in slugs]
    if "offering" in fields:
        slug = fields["offering"]
        fields["offering"] = _by_slug(Offering, slug, "offering") if slug else None
    return fields


def _personas_set(actor: User, campaign: Campaign, personas: list[PersonaWiifm] | None) -> None:
    for item in personas or []:
        services.campaign_persona_set(
            actor=actor, campaign=campaign, persona=_persona(item.persona), wiifm=item.wiifm
        )


@router.get("/", response=list[CampaignSummary])
def list_campaigns(
    request: HttpRequest, query: str = "", status: str = "", sort: str = "newest"
) -> list[dict[str, Any]]:
    access.require(access.can_read_campaigns(request.user))
    campaigns = selectors.campaign_list(query=query, status=status, sort=sort)
    return [_summary(campaign) for campaign in campaigns]


@router.post("/", response={201: CampaignOut})
def create_campaign(request: HttpRequest, body: CampaignIn) -> Status[dict[str, Any]]:
    access.require(access.can_edit_campaigns(request.user))
    with refusals():
        campaign = services.campaign_create(
            actor=_user(request), slug=body.slug, **_campaign_fields(body)
        )
        _personas_set(_user(request), campaign, body.personas)
    return Status(201, _campaign_out(campaign))


@router.get("/{slug}", response=CampaignOut)
def get_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _campaign_out(access_campaign(request.user, slug))


@router.patch("/{slug}", response=CampaignOut)
def update_campaign(request: HttpRequest, slug: str, body: CampaignChange) -> dict[str, Any]:
    campaign = access_campaign_for_edit(request.user, slug)
    with refusals():
        services.campaign_update(actor=_user(request), campaign=campaign, **_campaign_fields(body))
        _personas_set(_user(request), campaign, body.personas)
    return _campaign_out(campaign)


def _touch_fields(campaign: Campaign, body: TouchChange) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"subject", "body"})
    if "channel" in fields:
        fields["channel"] = _by_slug(Channel, fields["channel"], "channel")
    if "condition_touch" in fields:
        pk = fields["condition_touch"]
        fields["condition_touch"] = campaign.touches.filter(pk=pk).first() if pk else None
    if "condition_rule" in fields:
        # A mistake is a RuleError: HTTP 400 rule_syntax / rule_invalid with line and column.
        fields["condition_rule"] = condition_rule_clean(fields["condition_rule"] or "")
    return fields


@router.post("/{slug}/touches", response={201: TouchOut})
def create_touch(request: HttpRequest, slug: str, body: TouchIn) -> Status[dict[str, Any]]:
    campaign = access_campaign_for_edit(request.user, slug)
    actor = _user(request)
    with refusals():
        touch = services.touch_create(
            actor=actor, campaign=campaign, **_touch_fields(campaign, body)
        )
        if body.subject is not None:
            services.variant_save(
                actor=actor, touch=touch, language="", persona=None,
                subject=body.subject, body=body.body or "",
            )  # fmt: skip
    return Status(201, _touch_out(touch))


@router.patch("/{slug}/touches/{touch_id}", response=TouchOut)
def update_touch(
    request: HttpRequest, slug: str, touch_id: int, body: TouchChange
) -> dict[str, Any]:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    with refusals():
        services.touch_update(actor=_user(request), touch=touch, **_touch_fields(campaign, body))
    return _touch_out(touch)


@router.delete("/{slug}/touches/{touch_id}", response={204: None})
def delete_touch(request: HttpRequest, slug: str, touch_id: int) -> Status[None]:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    with refusals():
        services.touch_delete(actor=_user(request), touch=touch)
    return Status(204, None)


@router.put("/{slug}/touches/{touch_id}/variants", response=VariantOut)
def save_variant(request: HttpRequest, slug: str, touch_id: int, body: VariantIn) -> dict[str, Any]:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    persona = _persona(body.persona) if body.persona else None
    with refusals():
        variant = services.variant_save(
            actor=_user(request), touch=touch, language=body.language, persona=persona,
            subject=body.subject, body=body.body, arm=body.arm,
        )  # fmt: skip
    return {
        "id": variant.pk,
        "language": variant.language,
        "persona": persona.name if persona else None,
        "arm": variant.arm,
        "subject": variant.subject,
        "body": variant.body,
    }


def _in_campaign(touch: Touch, slug: str) -> Touch:
    if touch.campaign.slug != slug:
        raise Http404
    return touch


@router.post("/{slug}/touches/{touch_id}/approve", response=TouchOut)
def approve_touch(request: HttpRequest, slug: str, touch_id: int, body: Approval) -> dict[str, Any]:
    touch = _in_campaign(access_touch_for_approval(request.user, touch_id), slug)
    with refusals():
        services.touch_approve(
            actor=_user(request), touch=touch, comment=body.comment, version=body.version
        )
    return _touch_out(touch)


@router.post("/{slug}/touches/{touch_id}/request-changes", response=TouchOut)
def request_changes(
    request: HttpRequest, slug: str, touch_id: int, body: Decision
) -> dict[str, Any]:
    touch = _in_campaign(access_touch_for_approval(request.user, touch_id), slug)
    with refusals():
        services.touch_request_changes(
            actor=_user(request), touch=touch, comment=body.comment, version=body.version
        )
    return _touch_out(touch)


def _act(request: HttpRequest, slug: str, action: str) -> dict[str, Any]:
    campaign = access_campaign_for_edit(request.user, slug)
    operation = {
        "submit": services.campaign_submit,
        "launch": services.campaign_launch,
        "cancel": services.campaign_cancel,
    }[action]
    with refusals():
        operation(actor=_user(request), campaign=campaign)
    campaign.refresh_from_db()
    return _campaign_out(campaign)


@router.post("/{slug}/submit", response=CampaignOut)
def submit_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _act(request, slug, "submit")


@router.post("/{slug}/launch", response=CampaignOut)
def launch_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _act(request, slug, "launch")


@router.post("/{slug}/cancel", response=CampaignOut)
def cancel_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _act(request, slug, "cancel")


@router.get("/{slug}/status", response=StatusOut)
def campaign_status(request: HttpRequest, slug: str) -> dict[str, Any]:
    campaign = access_campaign(request.user, slug)
    minimum = viewer_minimum(request.user)
    deliveries = counts_for_viewer(delivery_counts(campaign=campaign), minimum=minimum)
    return {
        "slug": campaign.slug,
        "status": campaign.status,
        "deliveries": deliveries,
        "suppressed_small_groups": None in deliveries.values(),
        "min_group_size": minimum,
    }
