"""Moving the event a calendar touch invites to: logistics, not words, so it needs no new
approval and works while the campaign runs; invites already sent get an update."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from inward.accounts import access
from inward.campaigns import services
from inward.campaigns.access import access_campaign, access_touch
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import WallClockField, wall_clock
from inward.campaigns.models import Touch
from inward.campaigns.views._common import actor, form_error
from inward.delivery.models import ChannelKind
from inward.web.forms import StyledForm


class EventMoveForm(StyledForm):
    event_starts_at = WallClockField(label=gettext_lazy("Event starts"))
    event_ends_at = WallClockField(label=gettext_lazy("Event ends"))
    event_location = forms.CharField(
        label=gettext_lazy("Event location"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zoneinfo.ZoneInfo(zone)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("event_starts_at", "event_ends_at"):
            if (value := cleaned.get(name)) is not None:
                cleaned[name] = value.replace(tzinfo=self.zone)
        return cleaned


def _initial(touch: Touch, zone: str) -> dict[str, Any]:
    return {
        "event_starts_at": wall_clock(touch.event_starts_at, zone),
        "event_ends_at": wall_clock(touch.event_ends_at, zone),
        "event_location": touch.event_location,
    }


@require_http_methods(["GET", "POST"])
def touch_event(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, slug)
    access.require(access.can_edit_campaigns(request.user))
    touch = access_touch(request.user, campaign, touch_id)
    if touch.channel.kind != ChannelKind.CALENDAR:
        raise Http404
    zone = campaign.time_zone
    form = EventMoveForm(request.POST or None, initial=_initial(touch, zone), zone=zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            updated = services.touch_event_move(
                actor=actor(request),
                touch=touch,
                starts_at=data["event_starts_at"],
                ends_at=data["event_ends_at"],
                location=data["event_location"],
            )
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Event moved. %(count)d people who had the invite get an update.")
                % {"count": updated},
            )
            return redirect("campaigns:detail", slug=campaign.slug)
    context = {"campaign": campaign, "touch": touch, "form": form}
    return render(request, "campaigns/touch_event.html", context)
