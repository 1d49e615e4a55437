"""The journey editor: touches (add, edit, move, delete) and their variants, with a live
preview as any person and the message check beside the editor.

Moving a touch is a plain form post with up/down buttons, so it works from the keyboard
and without JavaScript. The preview is an htmx endpoint; the variant form also has a
"Preview" button that renders the same thing into the page without htmx.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.campaigns import services
from inward.campaigns.access import (
    access_campaign,
    access_campaign_for_edit,
    access_touch,
    access_variant,
)
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import TouchForm, VariantForm, language_options
from inward.campaigns.models import Campaign, CampaignPersona, Touch, Variant
from inward.campaigns.rendering import ALLOWED_VARIABLES
from inward.campaigns.states import EDITABLE
from inward.campaigns.views._common import actor, form_error, refused
from inward.campaigns.views.preview import preview_context, variant_samples
from inward.delivery.models import Channel, ChannelKind
from inward.directory.selectors import person_search

# --- Touches --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def touch_create(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    form = TouchForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            touch = services.touch_create(
                actor=actor(request), campaign=campaign, **form.cleaned_data
            )
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Touch “%(name)s” added. Next: write its message.") % {"name": touch.name},
            )
            return redirect("campaigns:variant_create", slug=campaign.slug, touch_id=touch.pk)
    return render(request, "campaigns/touch_form.html", _touch_context(campaign, None, form))


@require_http_methods(["GET", "POST"])
def touch_edit(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    campaign = access_campaign(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    editable = access.can_edit_campaigns(request.user) and campaign.status in EDITABLE
    if request.method == "POST":
        access.require(editable)
    form = TouchForm(
        request.POST or None, initial=TouchForm.initial_for(touch), campaign=campaign, touch=touch
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.touch_update(actor=actor(request), touch=touch, **form.cleaned_data)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Touch “%(name)s” saved.") % {"name": touch.name})
            return redirect("campaigns:detail", slug=campaign.slug)
    context = _touch_context(campaign, touch, form)
    context["editable"] = editable
    # Once a campaign is past editing, a calendar touch's event can still move.
    context["can_move_event"] = (
        not editable
        and access.can_edit_campaigns(request.user)
        and touch.channel.kind == ChannelKind.CALENDAR
    )
    prefetch_related_objects(
        [touch], Prefetch("variants", Variant.objects.select_related("persona"))
    )
    samples = variant_samples(request, [touch], _wiifm(campaign), mark_yours=True)
    context["samples"] = samples[touch.pk]
    return render(request, "campaigns/touch_form.html", context)


@require_http_methods(["GET", "POST"])
def touch_delete(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    if request.method == "POST":
        try:
            services.touch_delete(actor=actor(request), touch=touch)
        except CampaignError as error:
            refused(request, error)
        else:
            messages.success(request, _("Touch “%(name)s” removed.") % {"name": touch.name})
        return redirect("campaigns:detail", slug=campaign.slug)
    dependants = list(campaign.touches.filter(condition_touch=touch))
    context = {"campaign": campaign, "touch": touch, "dependants": dependants}
    return render(request, "campaigns/touch_confirm_delete.html", context)


@require_POST
def touch_move(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    """Swap the touch with its neighbour ("up" or "down"); the journey's first stays first."""
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    order = list(campaign.touches.order_by("position", "id").values_list("pk", flat=True))
    index = order.index(touch.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        try:
            services.touches_reorder(actor=actor(request), campaign=campaign, order=order)
        except CampaignError as error:
            refused(request, error)
    url = redirect("campaigns:detail", slug=campaign.slug)
    url["Location"] += f"#touch-{touch.pk}"
    return url


# --- Variants -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def variant_create(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    return _variant_editor(request, campaign, touch, None, {})


@require_http_methods(["GET", "POST"])
def variant_edit(request: HttpRequest, slug: str, touch_id: int, variant_id: int) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    variant = access_variant(request.user, touch, variant_id)
    if request.method == "POST" and request.POST.get("action") == "delete":
        return _variant_delete(request, campaign, variant)
    initial = {
        "language": variant.language,
        "persona": variant.persona_id,
        "arm": variant.arm,
        "subject": variant.subject,
        "body": variant.body,
    }
    return _variant_editor(request, campaign, touch, variant, initial)


@require_POST
def variant_preview(request: HttpRequest, slug: str, touch_id: int) -> HttpResponse:
    """The preview and message check for the words being edited (htmx fragment)."""
    campaign = access_campaign_for_edit(request.user, slug)
    touch = access_touch(request.user, campaign, touch_id)
    context = preview_context(request, campaign, request.POST, touch=touch)
    return render(request, "campaigns/_preview.html", context)


@require_http_methods(["GET"])
def person_picker(request: HttpRequest) -> HttpResponse:
    """People to preview as, matching the search (htmx fragment)."""
    access.require(access.can_edit_campaigns(request.user))
    query = request.GET.get("person_q", "").strip()
    people = list(person_search(query=query)[:8]) if query else []
    context = {"people": people, "person_q": query}
    return render(request, "campaigns/_person_picker.html", context)


# --- Helpers --------------------------------------------------------------------------------


def _touch_context(campaign: Campaign, touch: Touch | None, form: TouchForm) -> dict[str, Any]:
    calendar = Channel.objects.filter(kind=ChannelKind.CALENDAR).values_list("pk", flat=True)
    context: dict[str, Any] = {
        "campaign": campaign,
        "touch": touch,
        "form": form,
        "editable": True,
        # The event fields matter only for these channels (campaigns.js hides them otherwise).
        "calendar_channels": " ".join(str(pk) for pk in calendar),
    }
    if touch is not None:
        context["comments"] = list(touch.comments.select_related("author"))
    return context


def _wiifm(campaign: Campaign) -> dict[tuple[int, int], str]:
    rows = CampaignPersona.objects.filter(campaign=campaign).values_list("persona_id", "wiifm")
    return {(campaign.pk, persona): line for persona, line in rows}


def _variant_editor(
    request: HttpRequest,
    campaign: Campaign,
    touch: Touch,
    variant: Variant | None,
    initial: dict[str, Any],
) -> HttpResponse:
    form = VariantForm(request.POST or None, initial=initial)
    previewing = request.POST.get("action") == "preview"
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            _save_variant(request, touch, variant, form.cleaned_data)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Message saved for “%(name)s”.") % {"name": touch.name})
            return redirect("campaigns:touch_edit", slug=campaign.slug, touch_id=touch.pk)
    data = (
        request.POST
        if request.method == "POST"
        else {**initial, "persona": initial.get("persona") or ""}
    )
    context = {
        "campaign": campaign,
        "touch": touch,
        "variant": variant,
        "form": form,
        "languages": language_options(),
        "variables": ALLOWED_VARIABLES.items(),
        **preview_context(request, campaign, data, touch=touch),
    }
    return render(request, "campaigns/variant_form.html", context)


@transaction.atomic
def _save_variant(
    request: HttpRequest, touch: Touch, variant: Variant | None, cleaned: dict[str, Any]
) -> None:
    """Save the words; an edit that changed language or persona replaces the old variant
    (both or neither: a refused removal undoes the save). It never overwrites the words
    of another existing variant."""
    target = touch.variants.filter(
        language=cleaned["language"], persona=cleaned["persona"], arm=cleaned.get("arm", "")
    )
    if (variant is None or _moved(variant, cleaned)) and target.exists():
        raise CampaignError(
            "variant_exists",
            _(
                "This touch already has a message for that language, persona and test "
                "version; edit it."
            ),
            field="language",
        )
    services.variant_save(actor=actor(request), touch=touch, **cleaned)
    if variant is not None and _moved(variant, cleaned):
        services.variant_delete(actor=actor(request), variant=variant)


def _moved(variant: Variant, cleaned: dict[str, Any]) -> bool:
    """Whether the edit gave the words another language, persona or test version (a new
    variant)."""
    persona = cleaned["persona"]
    return (variant.language, variant.persona_id, variant.arm) != (
        cleaned["language"],
        persona.pk if persona is not None else None,
        cleaned.get("arm", ""),
    )


def _variant_delete(request: HttpRequest, campaign: Campaign, variant: Variant) -> HttpResponse:
    try:
        services.variant_delete(actor=actor(request), variant=variant)
    except CampaignError as error:
        refused(request, error)
        return redirect(
            "campaigns:variant_edit",
            slug=campaign.slug,
            touch_id=variant.touch_id,
            variant_id=variant.pk,
        )
    messages.success(request, _("Message removed."))
    return redirect("campaigns:touch_edit", slug=campaign.slug, touch_id=variant.touch_id)
