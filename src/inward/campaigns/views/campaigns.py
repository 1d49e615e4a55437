"""The campaign list, the campaign page (journey, progress, audit trail), the campaign
form, the brief, and the buttons that move a campaign along: submit, launch, cancel."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.audiences.models import Audience, Persona
from inward.audit.selectors import audit_trail
from inward.campaigns import selectors, services
from inward.campaigns.access import access_campaign, access_campaign_for_edit
from inward.campaigns.errors import CampaignError
from inward.campaigns.forms import BRIEF_FIELDS, BriefForm, CampaignForm
from inward.campaigns.models import (
    ApprovalComment,
    ApprovalStatus,
    Blackout,
    Campaign,
    CampaignPersona,
    CampaignStatus,
    ExternalCampaign,
    OwnerTeam,
    Touch,
)
from inward.campaigns.states import EDITABLE, transition_allowed
from inward.campaigns.views._common import (
    actor,
    form_error,
    query_without_page,
    refused,
    sorted_page,
)
from inward.campaigns.views.approvals import can_open_approvals
from inward.campaigns.views.progress import progress_context

SORTS = {
    "-updated": ("-updated_at", gettext_lazy("Recently changed")),
    "name": ("name", gettext_lazy("Name, A to Z")),
    "-name": ("-name", gettext_lazy("Name, Z to A")),
    "starts": ("starts_at", gettext_lazy("Start, soonest first")),
    "-starts": ("-starts_at", gettext_lazy("Start, latest first")),
    "status": ("status", gettext_lazy("Status")),
}


@require_http_methods(["GET"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    query = request.GET.get("q", "").strip()
    status = _choice(request.GET.get("status", ""), CampaignStatus.values)
    team = _choice(request.GET.get("team", ""), OwnerTeam.values)
    campaigns = selectors.campaign_list(query=query, status=status, owner_team=team)
    sort, page = sorted_page(request, campaigns, SORTS, "-updated")
    filtered = bool(query or status or team)
    context = {
        "page": page,
        "q": query,
        "status": status,
        "team": team,
        "sort": sort,
        "sorts": SORTS,
        "query_string": query_without_page(request),
        "statuses": CampaignStatus.choices,
        "teams": OwnerTeam.choices,
        "filtered": filtered,
        "can_edit": access.can_edit_campaigns(request.user),
        "has_audiences": filtered or bool(page) or Audience.objects.exists(),
    }
    return render(request, "campaigns/campaign_list.html", context)


@require_http_methods(["GET"])
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign(request.user, slug)
    touches = list(
        campaign.touches.select_related("channel", "condition_touch")
        .prefetch_related(Prefetch("comments", ApprovalComment.objects.select_related("author")))
        .annotate(
            variant_count=Count("variants"),
            # Test versions (A, B, ...) of any language or persona: an A/B test.
            arm_count=Count("variants__arm", filter=~Q(variants__arm=""), distinct=True),
        )
        .order_by("position", "id")
    )
    context = {
        "campaign": campaign,
        "touches": touches,
        "journey": [(touch, _change_request(touch)) for touch in touches],
        "exclusions": list(campaign.exclusions.all()),
        "missing": services.campaign_brief_missing(campaign),
        "problems": (
            services.campaign_submit_problems(campaign)
            if campaign.status == CampaignStatus.DRAFT
            else []
        ),
        "trail": audit_trail(target=campaign, limit=50),
        **_permissions(request, campaign),
        **progress_context(campaign, request.user),
    }
    return render(request, "campaigns/campaign_detail.html", context)


@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    initial = {}
    if external := request.GET.get("external", ""):
        initial["external_campaign"] = _external_id(external)
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=actor(request), **form.cleaned_data)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Campaign “%(name)s” created. Next: the brief.") % {"name": campaign.name},
            )
            return redirect("campaigns:brief", slug=campaign.slug)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": None})


@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    form = CampaignForm(
        request.POST or None, initial=CampaignForm.initial_for(campaign), campaign=campaign
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "slug"}
        try:
            services.campaign_update(actor=actor(request), campaign=campaign, **fields)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign.name})
            return redirect("campaigns:detail", slug=campaign.slug)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@require_http_methods(["GET", "POST"])
def campaign_brief(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    wiifm = dict(
        CampaignPersona.objects.filter(campaign=campaign).values_list("persona_id", "wiifm")
    )
    personas = _brief_personas(campaign, set(wiifm))
    initial = {name: getattr(campaign, name) for name in BriefForm.base_fields}
    form = BriefForm(request.POST or None, initial=initial, personas=personas, wiifm=wiifm)
    if request.method == "POST" and form.is_valid():
        try:
            _save_brief(request, campaign, form, personas)
        except CampaignError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Brief saved."))
            return redirect("campaigns:brief", slug=campaign.slug)
    context = {
        "campaign": campaign,
        "form": form,
        "missing": services.campaign_brief_missing(campaign),
        # Parts still empty in the saved brief, marked beside their labels.
        "empty": {name for name in BRIEF_FIELDS if not getattr(campaign, name).strip()},
        "no_wiifm": not any(line.strip() for line in wiifm.values()),
    }
    return render(request, "campaigns/campaign_brief.html", context)


@require_http_methods(["GET"])
def campaign_progress(request: HttpRequest, slug: str) -> HttpResponse:
    """Delivery counts per state; htmx polls this while the campaign is under way."""
    campaign = access_campaign(request.user, slug)
    context = {"campaign": campaign, **progress_context(campaign, request.user)}
    return render(request, "campaigns/_progress.html", context)


@require_POST
def campaign_submit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    try:
        services.campaign_submit(actor=actor(request), campaign=campaign)
    except CampaignError as error:
        refused(request, error)
    else:
        messages.success(request, _("Sent for review. Channel owners will find it in Approvals."))
    return redirect("campaigns:detail", slug=campaign.slug)


@require_http_methods(["GET", "POST"])
def campaign_launch(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    if request.method == "POST":
        try:
            services.campaign_launch(actor=actor(request), campaign=campaign)
        except CampaignError as error:
            refused(request, error)
        else:
            messages.success(request, _("Launched. Touches go out at their scheduled times."))
        return redirect("campaigns:detail", slug=campaign.slug)
    return _confirm(request, campaign, "launch")


@require_http_methods(["GET", "POST"])
def campaign_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_for_edit(request.user, slug)
    if request.method == "POST":
        try:
            services.campaign_cancel(actor=actor(request), campaign=campaign)
        except CampaignError as error:
            refused(request, error)
        else:
            messages.success(request, _("Cancelled. Nothing more of it will be sent."))
        return redirect("campaigns:detail", slug=campaign.slug)
    return _confirm(request, campaign, "cancel")


# --- Helpers --------------------------------------------------------------------------------


def _change_request(touch: Touch) -> ApprovalComment | None:
    """The owner's latest request for changes, while the touch waits on the planner."""
    if touch.approval_status != ApprovalStatus.CHANGES_REQUESTED:
        return None
    asked = [c for c in touch.comments.all() if c.decision == ApprovalStatus.CHANGES_REQUESTED]
    return asked[-1] if asked else None


def _choice(value: str, allowed: list[str]) -> str:
    return value if value in allowed else ""


def _external_id(slug: str) -> int | None:
    return ExternalCampaign.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _permissions(request: HttpRequest, campaign: Campaign) -> dict[str, bool]:
    edit = access.can_edit_campaigns(request.user)
    return {
        "can_edit": edit and campaign.status in EDITABLE,
        "can_submit": edit and transition_allowed(campaign.status, "submit"),
        "can_launch": edit and transition_allowed(campaign.status, "launch"),
        "can_cancel": edit and transition_allowed(campaign.status, "cancel"),
        "can_approve": can_open_approvals(request.user),
    }


def _brief_personas(campaign: Campaign, chosen: set[int]) -> list[Persona]:
    """The personas of the campaign's audience and those already chosen, chosen first."""
    related = Q(pk__in=chosen)
    if campaign.audience_id is not None:
        related |= Q(audience_id=campaign.audience_id)
    personas = list(Persona.objects.filter(related).order_by("name"))
    if not personas:
        personas = list(Persona.objects.order_by("name")[:20])
    return sorted(personas, key=lambda p: p.pk not in chosen)


@transaction.atomic
def _save_brief(
    request: HttpRequest, campaign: Campaign, form: BriefForm, personas: list[Persona]
) -> None:
    """The brief fields, then each persona's what's-in-it-for-me (empty: not addressed)."""
    who = actor(request)
    services.campaign_update(actor=who, campaign=campaign, **form.brief())
    wiifm = form.wiifm()
    for persona in personas:
        if persona.pk in wiifm:
            services.campaign_persona_set(
                actor=who, campaign=campaign, persona=persona, wiifm=wiifm[persona.pk]
            )
        else:
            services.campaign_persona_remove(actor=who, campaign=campaign, persona=persona)


def _confirm(request: HttpRequest, campaign: Campaign, action: str) -> HttpResponse:
    touches = list(campaign.touches.select_related("channel").filter(cancelled_at__isnull=True))
    context: dict[str, Any] = {
        "campaign": campaign,
        "action": action,
        "rows": _with_blackouts(campaign, touches),
        "allowed": transition_allowed(campaign.status, action),
    }
    return render(request, "campaigns/campaign_confirm.html", context)


def _with_blackouts(
    campaign: Campaign, touches: list[Touch]
) -> list[tuple[Touch, Blackout | None]]:
    """Each touch with the blackout on its day (in the campaign's zone), if any: a launch
    refuses those that are not mandatory, so the confirmation shows them first."""
    zone = ZoneInfo(campaign.time_zone)
    days = {t.pk: t.scheduled_at.astimezone(zone).date() for t in touches if t.scheduled_at}
    blackouts = {b.date: b for b in Blackout.objects.filter(date__in=set(days.values()))}
    return [(t, blackouts.get(days[t.pk]) if t.pk in days else None) for t in touches]
