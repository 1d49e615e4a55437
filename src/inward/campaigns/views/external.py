"""External (customer) campaigns: list, create, edit (moving the launch moves every linked
touch), and generating the internal launch kit for one."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from inward.accounts import access
from inward.campaigns import services
from inward.campaigns.access import access_external_campaign
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import ExternalCampaignForm, LaunchKitForm
from inward.campaigns.models import ExternalCampaign
from inward.campaigns.views._common import (
    actor,
    form_error,
    query_without_page,
    sorted_page,
)

SORTS = {
    "launch": ("launch_at", gettext_lazy("Launch, soonest first")),
    "-launch": ("-launch_at", gettext_lazy("Launch, latest first")),
    "name": ("name", gettext_lazy("Name, A to Z")),
}


@require_http_methods(["GET"])
def external_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    query = request.GET.get("q", "").strip()
    externals = ExternalCampaign.objects.annotate(internal_count=Count("internal_campaigns"))
    if query:
        externals = externals.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    sort, page = sorted_page(request, externals, SORTS, "launch")
    context = {
        "page": page,
        "q": query,
        "sort": sort,
        "sorts": SORTS,
        "query_string": query_without_page(request),
        "can_edit": access.can_edit_campaigns(request.user),
    }
    return render(request, "campaigns/external_list.html", context)


@require_http_methods(["GET", "POST"])
def external_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    form = ExternalCampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            external = services.external_campaign_create(actor=actor(request), **form.cleaned_data)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request, _("External campaign “%(name)s” saved.") % {"name": external.name}
            )
            return redirect("campaigns:launch_kit", slug=external.slug)
    return render(request, "campaigns/external_form.html", {"form": form, "external": None})


@require_http_methods(["GET", "POST"])
def external_edit(request: HttpRequest, slug: str) -> HttpResponse:
    external = access_external_campaign(request.user, slug)
    access.require(access.can_edit_campaigns(request.user))
    form = ExternalCampaignForm(
        request.POST or None, initial=ExternalCampaignForm.initial_for(external), external=external
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "slug"}
        try:
            services.external_campaign_update(actor=actor(request), external=external, **fields)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request, _("External campaign “%(name)s” saved.") % {"name": external.name}
            )
            return redirect("campaigns:external_list")
    context = {
        "form": form,
        "external": external,
        "internal": list(external.internal_campaigns.order_by("name")),
    }
    return render(request, "campaigns/external_form.html", context)


@require_http_methods(["GET", "POST"])
def launch_kit(request: HttpRequest, slug: str) -> HttpResponse:
    external = access_external_campaign(request.user, slug)
    access.require(access.can_edit_campaigns(request.user))
    linked = external.internal_campaigns.values_list("pk", flat=True).first()
    form = LaunchKitForm(request.POST or None, initial={"campaign": linked})
    if request.method == "POST" and form.is_valid():
        campaign = form.cleaned_data["campaign"]
        try:
            touches = services.launch_kit_generate(
                actor=actor(request), campaign=campaign, external=external
            )
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Launch kit added: %(count)s touches. Each stays editable.")
                % {"count": len(touches)},
            )
            return redirect("campaigns:detail", slug=campaign.slug)
    context = {"form": form, "external": external}
    return render(request, "campaigns/launch_kit.html", context)
