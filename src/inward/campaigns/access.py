"""Permission-checked fetches: each returns the object or raises PermissionDenied/Http404.

The role table is in ``inward.accounts.access``; these add the object lookup.
"""

from __future__ import annotations

from django.http import Http404

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.campaigns.models import Campaign, ExternalCampaign, Touch, Variant


def access_campaign(user: AnyUser, slug: str) -> Campaign:
    """A campaign the user may read (admins, managers, channel owners)."""
    access.require(access.can_read_campaigns(user))
    campaign = (
        Campaign.objects.select_related("audience", "external_campaign", "created_by")
        .filter(slug=slug)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


def access_campaign_for_edit(user: AnyUser, slug: str) -> Campaign:
    """A campaign the user may plan and edit (admins, managers)."""
    access.require(access.can_edit_campaigns(user))
    return access_campaign(user, slug)


def access_touch(user: AnyUser, campaign: Campaign, touch_id: int) -> Touch:
    """A touch of ``campaign`` (readable by whoever may read the campaign)."""
    access.require(access.can_read_campaigns(user))
    touch = (
        Touch.objects.select_related("channel", "campaign", "condition_touch")
        .filter(campaign=campaign, pk=touch_id)
        .first()
    )
    if touch is None:
        raise Http404
    return touch


def access_touch_for_approval(user: AnyUser, touch_id: int) -> Touch:
    """A touch the user may approve: admins any, channel owners those on their channels."""
    touch = (
        Touch.objects.select_related("channel", "campaign", "campaign__audience")
        .filter(pk=touch_id)
        .first()
    )
    if touch is None:
        access.require(access.can_read_campaigns(user))
        raise Http404
    owners = set(touch.channel.owners.values_list("pk", flat=True))
    access.require(access.can_approve_on_channel(user, owners))
    return touch


def access_variant(user: AnyUser, touch: Touch, variant_id: int) -> Variant:
    access.require(access.can_read_campaigns(user))
    variant = Variant.objects.filter(touch=touch, pk=variant_id).first()
    if variant is None:
        raise Http404
    return variant


def access_external_campaign(user: AnyUser, slug: str) -> ExternalCampaign:
    access.require(access.can_read_campaigns(user))
    external = ExternalCampaign.objects.filter(slug=slug).first()
    if external is None:
        raise Http404
    return external


def can_approve_touch(user: AnyUser, touch: Touch) -> bool:
    """Whether ``user`` may approve or request changes on ``touch`` (for showing buttons)."""
    owners = set(touch.channel.owners.values_list("pk", flat=True))
    return access.can_approve_on_channel(user, owners)
