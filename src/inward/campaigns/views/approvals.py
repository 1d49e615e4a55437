"""The approvals inbox: touches waiting on the signed-in channel owner (admins: on any
channel), each with its messages, earlier comments, and approve / request changes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.campaigns import services
from inward.campaigns.access import access_touch_for_approval
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import DecisionForm
from inward.campaigns.models import ApprovalComment, CampaignPersona, Touch, Variant
from inward.campaigns.selectors import approvals_inbox, touch_version
from inward.campaigns.views._common import actor
from inward.campaigns.views.preview import variant_samples
from inward.delivery.models import Channel


class VersionedDecisionForm(DecisionForm):
    """The decision, and the version of the touch the page showed (``touch_version``)."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=64)


def can_open_approvals(user: AnyUser) -> bool:
    """Admins, and channel owners (the set holds only their own id)."""
    return user.pk is not None and access.can_approve_on_channel(user, {user.pk})


@require_http_methods(["GET"])
def approval_inbox(request: HttpRequest) -> HttpResponse:
    access.require(can_open_approvals(request.user))
    touches = list(_waiting(request.user)[:100])
    samples = variant_samples(request, touches, _wiifm(touches))
    context = {
        "entries": [(touch, samples[touch.pk], touch_version(touch)) for touch in touches],
        "owns_channels": access.is_admin(request.user) or _owned(request.user).exists(),
    }
    return render(request, "campaigns/approval_inbox.html", context)


@require_POST
def approval_decide(request: HttpRequest, touch_id: int) -> HttpResponse:
    touch = access_touch_for_approval(request.user, touch_id)
    form = VersionedDecisionForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, f"{touch.name}: {' '.join(str(e) for e in error)}")
        return redirect("campaigns:approvals")
    data = form.cleaned_data
    comment, version = data["comment"].strip(), data["version"]
    try:
        if data["decision"] == "approve":
            services.touch_approve(
                actor=actor(request), touch=touch, comment=comment, version=version
            )
            messages.success(request, _("“%(name)s” approved.") % {"name": touch.name})
        else:
            services.touch_request_changes(
                actor=actor(request), touch=touch, comment=comment, version=version
            )
            messages.success(request, _("Changes requested on “%(name)s”.") % {"name": touch.name})
    except CampaignError as error:
        # "stale" included: the inbox shows the touch as it is now, to decide again.
        messages.error(request, f"{touch.name}: {error.message}")
    return redirect("campaigns:approvals")


def _wiifm(touches: list[Touch]) -> dict[tuple[int, int], str]:
    """(campaign id, persona id) → the campaign's what's-in-it-for-me for that persona."""
    rows = CampaignPersona.objects.filter(campaign__in={t.campaign_id for t in touches})
    return {(r.campaign_id, r.persona_id): r.wiifm for r in rows}


def _owned(user: AnyUser) -> QuerySet[Channel]:
    return Channel.objects.filter(owners=user.pk)


def _waiting(user: AnyUser) -> QuerySet[Touch]:
    """The inbox, with what the page shows of each touch loaded up front."""
    return (
        approvals_inbox(user=user)
        .select_related("campaign__audience")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.select_related("persona")),
            Prefetch("comments", queryset=ApprovalComment.objects.select_related("author")),
            # What touch_version reads besides the touch and its variants.
            "campaign__exclusions",
            "campaign__campaignpersona_set",
        )
    )
