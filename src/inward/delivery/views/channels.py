"""Channel and sending-rule pages (admins only).

A channel's own settings come from the channel registry, so these views know no kind in
particular. Secrets are write-only: the form never shows them, and a blank secret field
keeps the stored value.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.accounts.models import User
from inward.audit.selectors import audit_trail
from inward.campaigns.errors import CampaignError
from inward.delivery.channel_services import channel_create as create_channel
from inward.delivery.channel_services import channel_update
from inward.delivery.channels.base import TransportError
from inward.delivery.channels.registry import channel_send_test
from inward.delivery.forms import ChannelForm, ChannelTestForm, DeliverySettingsForm
from inward.delivery.models import Channel, ChannelKind
from inward.delivery.services import delivery_settings_get, delivery_settings_update

PAGE_SIZE = 25
KIND_HINTS = {
    ChannelKind.EMAIL: gettext_lazy("Messages by e-mail over SMTP, with open and click counts."),
    ChannelKind.SLACK: gettext_lazy("Direct messages or posts in a channel through a Slack bot."),
    ChannelKind.TEAMS: gettext_lazy("Posts in a Microsoft Teams channel through a webhook."),
    ChannelKind.INTRANET: gettext_lazy(
        "Each employee's feed in Inward, with read receipts; needs no setup."
    ),
    ChannelKind.CALENDAR: gettext_lazy(
        "Calendar invitations by e-mail for briefings and events, with updates."
    ),
}


@require_http_methods(["GET"])
def channel_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_channels(request.user))
    query, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    channels = Channel.objects.prefetch_related("owners").order_by("name", "pk")
    if query:
        channels = channels.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    if kind in ChannelKind.values:
        channels = channels.filter(kind=kind)
    page = Paginator(channels, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "kind": kind,
        "kinds": _kinds(),
        "query_string": urlencode({"q": query, "kind": kind}),
    }
    return render(request, "delivery/channel_list.html", context)


@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_channels(request.user))
    kind = request.GET.get("kind", "")
    if kind not in ChannelKind.values:
        return render(request, "delivery/channel_kind.html", {"kinds": _kinds()})
    form = ChannelForm(request.POST or None, kind=kind, initial={"enabled": True})
    if request.method == "POST" and form.is_valid() and (saved := _save(request, form, None)):
        messages.success(request, _("Channel “%(name)s” created.") % {"name": saved.name})
        return redirect("delivery:channel_edit", slug=saved.slug)
    return render(request, "delivery/channel_form.html", _form_context(form, None))


@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_manage_channels(request.user))
    channel = get_object_or_404(Channel, slug=slug)
    form = ChannelForm(request.POST or None, kind=channel.kind, channel=channel)
    if request.method == "POST" and form.is_valid():
        cleared = form.cleared_notes()  # before the save, which moves the channel
        if _save(request, form, channel):
            messages.success(request, _("Channel “%(name)s” saved.") % {"name": channel.name})
            for note in cleared:
                messages.warning(request, note)
            return redirect("delivery:channel_edit", slug=channel.slug)
    return render(request, "delivery/channel_form.html", _form_context(form, channel, request))


@require_POST
def channel_test(request: HttpRequest, slug: str) -> HttpResponse:
    """Send a test message now and say how it went; an empty address means the actor."""
    access.require(access.can_manage_channels(request.user))
    channel = get_object_or_404(Channel, slug=slug)
    form = ChannelTestForm(request.POST)
    actor = _actor(request)
    to = (form.cleaned_data["to"] if form.is_valid() else "").strip() or actor.email
    try:
        channel_send_test(channel=channel, to=to, actor=actor)
    except TransportError as error:
        messages.error(request, _("The test message failed: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Test message sent through “%(name)s”.") % {"name": channel})
    return redirect("delivery:channel_edit", slug=channel.slug)


@require_http_methods(["GET", "POST"])
def delivery_settings(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_channels(request.user))
    row = delivery_settings_get()
    form = DeliverySettingsForm(
        request.POST or None, initial=DeliverySettingsForm.initial_from(row)
    )
    if request.method == "POST" and form.is_valid():
        try:
            delivery_settings_update(actor=_actor(request), **form.cleaned_data)
        except CampaignError as error:
            form.add_error(_settings_field(error.code), error.message)
        else:
            messages.success(request, _("Sending rules saved."))
            return redirect("delivery:settings")
    return render(request, "delivery/settings.html", {"form": form, "row": row})


# --- Helpers --------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _kinds() -> list[dict[str, Any]]:
    return [
        {"value": kind.value, "label": kind.label, "hint": KIND_HINTS[kind]} for kind in ChannelKind
    ]


def _settings_field(code: str) -> str | None:
    return {"weekly_cap": "weekly_cap", "time_zone": "default_time_zone"}.get(code)


def _form_context(
    form: ChannelForm, channel: Channel | None, request: HttpRequest | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "channel": channel,
        "kind_label": ChannelKind(form.kind).label,
        "kind_hint": KIND_HINTS[ChannelKind(form.kind)],
    }
    if channel is not None and request is not None:
        context["test_form"] = ChannelTestForm()
        context["actor_email"] = _actor(request).email
        context["trail"] = audit_trail(target=channel, limit=10)
    return context


def _save(request: HttpRequest, form: ChannelForm, channel: Channel | None) -> Channel | None:
    """Write through the channel services; their refusals become errors on the form."""
    data = form.cleaned_data
    common = {
        "actor": _actor(request),
        "name": data["name"],
        "config": form.config(),
        "secrets": form.secrets(),
        "owners": data["owners"],
        "rate_per_minute": data["rate_per_minute"],
        "enabled": data["enabled"],
    }
    try:
        if channel is None:
            return create_channel(kind=form.kind, slug=data["slug"], **common)
        return channel_update(channel=channel, **common)
    except ValidationError as error:
        form.add_service_errors(error.message_dict)
    return None
