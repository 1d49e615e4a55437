"""Pages for highlights, stakeholders and digests. Each view checks access, calls one
service, renders; refused changes (``HighlightError``) become form errors or messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inward.accounts import access
from inward.accounts.models import User
from inward.campaigns.views._common import query_without_page
from inward.highlights import services
from inward.highlights.access import (
    access_digest,
    access_highlight,
    access_stakeholder,
    can_edit_highlights,
    can_read_highlights,
)
from inward.highlights.forms import ContactForm, DigestForm, HighlightForm, StakeholderForm
from inward.highlights.images import EXTENSIONS
from inward.highlights.models import DigestStatus, Highlight, RecipientStatus
from inward.highlights.selectors import (
    StakeholderStatus,
    campaign_for_slug,
    digest_highlights,
    digest_list,
    email_channels,
    highlight_list,
    stakeholder_ids,
    stakeholder_receipts,
    stakeholder_status,
    stakeholder_statuses,
)
from inward.highlights.sending import digest_content

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# --- Highlights ------------------------------------------------------------------------------


@require_GET
def highlight_list_view(request: HttpRequest) -> HttpResponse:
    access.require(can_read_highlights(request.user))
    show_all = request.GET.get("show") == "all"
    campaign = campaign_for_slug(request.GET.get("campaign", ""))
    highlights = highlight_list(
        pinned_only=not show_all, campaign_slug=campaign.slug if campaign else ""
    )
    page = Paginator(highlights, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show_all": show_all,
        "campaign": campaign,
        "can_edit": can_edit_highlights(request.user),
        "query_string": query_without_page(request),
    }
    return render(request, "highlights/highlight_list.html", context)


@require_http_methods(["GET", "POST"])
def highlight_create(request: HttpRequest) -> HttpResponse:
    access.require(can_edit_highlights(request.user))
    campaign = campaign_for_slug(request.GET.get("campaign", ""))
    initial = {"kind": "number", "pinned": True, "campaign": campaign.slug if campaign else None}
    form = HighlightForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            highlight = services.highlight_create(
                actor=_actor(request), image=form.clean_image, **form.service_fields()
            )
        except services.HighlightError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Highlight “%(t)s” pinned.") % {"t": highlight.title})
            return redirect(_after_save(highlight))
    return render(request, "highlights/highlight_form.html", {"form": form, "highlight": None})


@require_http_methods(["GET", "POST"])
def highlight_edit(request: HttpRequest, highlight_id: int) -> HttpResponse:
    highlight = access_highlight(request.user, highlight_id, edit=True)
    form = HighlightForm(
        request.POST or None,
        request.FILES or None,
        initial=HighlightForm.initial_for(highlight),
    )
    if request.method == "POST" and form.is_valid():
        try:
            highlight = services.highlight_update(
                actor=_actor(request),
                highlight=highlight,
                image=form.clean_image,
                **form.service_fields(),
            )
        except services.HighlightError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Highlight “%(t)s” saved.") % {"t": highlight.title})
            return redirect(_after_save(highlight))
    context = {"form": form, "highlight": highlight}
    return render(request, "highlights/highlight_form.html", context)


@require_POST
def highlight_pin(request: HttpRequest, highlight_id: int) -> HttpResponse:
    highlight = access_highlight(request.user, highlight_id, edit=True)
    pinned = request.POST.get("pinned") == "1"
    services.highlight_pin(actor=_actor(request), highlight=highlight, pinned=pinned)
    note = _("“%(t)s” pinned.") if pinned else _("“%(t)s” unpinned; it stays under “All”.")
    messages.success(request, note % {"t": highlight.title})
    return redirect("highlights:list")


@require_POST
def highlight_delete(request: HttpRequest, highlight_id: int) -> HttpResponse:
    highlight = access_highlight(request.user, highlight_id, edit=True)
    services.highlight_delete(actor=_actor(request), highlight=highlight)
    messages.success(request, _("Highlight “%(t)s” deleted.") % {"t": highlight.title})
    return redirect("highlights:list")


@require_GET
def highlight_picture(request: HttpRequest, highlight_id: int) -> HttpResponse:
    """The picture, to signed-in readers only; never cached by shared caches."""
    highlight = access_highlight(request.user, highlight_id, picture=True)
    if not highlight.has_picture or not highlight.image:
        return HttpResponse(status=404)
    response = HttpResponse(bytes(highlight.image), content_type=highlight.image_type)
    extension = EXTENSIONS.get(highlight.image_type, "bin")
    response["Content-Disposition"] = f'inline; filename="highlight-{highlight.pk}.{extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _after_save(highlight: Highlight) -> str:
    if highlight.campaign_id and highlight.campaign is not None:
        return f"{reverse('highlights:list')}?campaign={highlight.campaign.slug}"
    return reverse("highlights:list")


# --- Stakeholders ----------------------------------------------------------------------------

STAKEHOLDER_SORTS = {
    "overdue": gettext_lazy("Longest overdue first"),
    "name": gettext_lazy("Name, A to Z"),
    "silent": gettext_lazy("Longest silence first"),
}


@require_GET
def stakeholder_list(request: HttpRequest) -> HttpResponse:
    access.require(can_read_highlights(request.user))
    sort = request.GET.get("sort", "overdue")
    sort = sort if sort in STAKEHOLDER_SORTS else "overdue"
    statuses = _sorted(stakeholder_statuses(timezone.now()), sort)
    context = {
        "page": Paginator(statuses, PAGE_SIZE).get_page(request.GET.get("page")),
        "overdue": [status for status in statuses if status.overdue],
        "sort": sort,
        "sorts": STAKEHOLDER_SORTS,
        "can_edit": can_edit_highlights(request.user),
        "query_string": query_without_page(request),
    }
    return render(request, "highlights/stakeholder_list.html", context)


def _sorted(statuses: list[StakeholderStatus], sort: str) -> list[StakeholderStatus]:
    def name(status: StakeholderStatus) -> str:
        return status.stakeholder.name.casefold()

    if sort == "name":
        return sorted(statuses, key=name)
    if sort == "silent":
        return sorted(statuses, key=lambda s: (-s.days_silent, name(s)))
    return sorted(statuses, key=lambda s: (not s.overdue, -s.overdue_by, name(s)))


@require_http_methods(["GET", "POST"])
def stakeholder_create(request: HttpRequest) -> HttpResponse:
    access.require(can_edit_highlights(request.user))
    form = StakeholderForm(request.POST or None, initial={"cadence_days": 30})
    if request.method == "POST" and form.is_valid():
        try:
            stakeholder = services.stakeholder_create(
                actor=_actor(request), **form.service_fields()
            )
        except services.HighlightError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Stakeholder “%(n)s” added.") % {"n": stakeholder.name})
            return redirect("highlights:stakeholder_detail", stakeholder_id=stakeholder.pk)
    context = {"form": form, "stakeholder": None}
    return render(request, "highlights/stakeholder_form.html", context)


@require_http_methods(["GET", "POST"])
def stakeholder_edit(request: HttpRequest, stakeholder_id: int) -> HttpResponse:
    stakeholder = access_stakeholder(request.user, stakeholder_id, edit=True)
    form = StakeholderForm(request.POST or None, instance=stakeholder)
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_update(
                actor=_actor(request), stakeholder=stakeholder, **form.service_fields()
            )
        except services.HighlightError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Stakeholder “%(n)s” saved.") % {"n": stakeholder.name})
            return redirect("highlights:stakeholder_detail", stakeholder_id=stakeholder.pk)
    context = {"form": form, "stakeholder": stakeholder}
    return render(request, "highlights/stakeholder_form.html", context)


@require_POST
def stakeholder_delete(request: HttpRequest, stakeholder_id: int) -> HttpResponse:
    stakeholder = access_stakeholder(request.user, stakeholder_id, edit=True)
    services.stakeholder_delete(actor=_actor(request), stakeholder=stakeholder)
    messages.success(request, _("Stakeholder “%(n)s” removed.") % {"n": stakeholder.name})
    return redirect("highlights:stakeholders")


@require_http_methods(["GET", "POST"])
def stakeholder_detail(request: HttpRequest, stakeholder_id: int) -> HttpResponse:
    """The stakeholder, when they last heard from the team, their digests and contacts;
    POST logs a contact (editors only)."""
    stakeholder = access_stakeholder(request.user, stakeholder_id)
    form = ContactForm(request.POST or None, initial={"contacted_on": timezone.localdate()})
    if request.method == "POST":
        access.require(can_edit_highlights(request.user))
        if form.is_valid():
            try:
                services.stakeholder_contact_log(
                    actor=_actor(request), stakeholder=stakeholder, **form.cleaned_data
                )
            except services.HighlightError as error:
                _refused(form, error)
            else:
                messages.success(request, _("Contact logged."))
                return redirect("highlights:stakeholder_detail", stakeholder_id=stakeholder.pk)
    context = {
        "stakeholder": stakeholder,
        "status": stakeholder_status(stakeholder.pk, timezone.now()),
        "receipts": stakeholder_receipts(stakeholder),
        "contacts": stakeholder.contacts.select_related("created_by")[:50],
        "form": form,
        "can_edit": can_edit_highlights(request.user),
    }
    return render(request, "highlights/stakeholder_detail.html", context)


# --- Digests ---------------------------------------------------------------------------------


@require_GET
def digest_list_view(request: HttpRequest) -> HttpResponse:
    access.require(can_read_highlights(request.user))
    page = Paginator(digest_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "can_edit": can_edit_highlights(request.user),
        "query_string": query_without_page(request),
    }
    return render(request, "highlights/digest_list.html", context)


@require_http_methods(["GET", "POST"])
def digest_create(request: HttpRequest) -> HttpResponse:
    access.require(can_edit_highlights(request.user))
    # "Compose a digest" links name the overdue stakeholders: ?stakeholder=3&stakeholder=7.
    initial = {
        "email_channel": email_channels().first(),
        "stakeholders": stakeholder_ids(request.GET.getlist("stakeholder")),
    }
    form = DigestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        digest = services.digest_create(actor=_actor(request), **form.cleaned_data)
        messages.success(request, _("Digest saved. Check the preview, then send it."))
        return redirect("highlights:digest_detail", digest_id=digest.pk)
    return render(request, "highlights/digest_form.html", {"form": form, "digest": None})


@require_http_methods(["GET", "POST"])
def digest_edit(request: HttpRequest, digest_id: int) -> HttpResponse:
    digest = access_digest(request.user, digest_id, edit=True)
    if digest.status != DigestStatus.DRAFT:
        messages.info(request, _("This digest has been sent and can no longer change."))
        return redirect("highlights:digest_detail", digest_id=digest.pk)
    chosen = list(digest.highlights.values_list("pk", flat=True))
    initial = {
        "title": digest.title,
        "intro": digest.intro,
        "highlights": chosen,
        "stakeholders": list(digest.stakeholders.values_list("pk", flat=True)),
        "email_channel": digest.email_channel,
        "slack_channel": digest.slack_channel,
    }
    form = DigestForm(request.POST or None, initial=initial, chosen=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            services.digest_update(actor=_actor(request), digest=digest, **form.cleaned_data)
        except services.HighlightError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Digest saved."))
            return redirect("highlights:digest_detail", digest_id=digest.pk)
    return render(request, "highlights/digest_form.html", {"form": form, "digest": digest})


@require_GET
def digest_detail(request: HttpRequest, digest_id: int) -> HttpResponse:
    """The preview (exactly the e-mail's HTML, pictures from the authorised view), the
    route each stakeholder's copy takes, and, once sending, each copy's outcome."""
    digest = access_digest(request.user, digest_id)
    highlights = digest_highlights(digest)
    content = digest_content(
        digest,
        highlights,
        picture_src=lambda each: (
            reverse("highlights:picture", args=[each.pk]) if each.has_picture else ""
        ),
    )
    context = {
        "digest": digest,
        "preview": content,
        "routes": services.digest_routes(digest) if digest.status == DigestStatus.DRAFT else [],
        "problems": services.digest_problems(digest),
        "can_edit": can_edit_highlights(request.user),
        **_progress(digest),
    }
    return render(request, "highlights/digest_detail.html", context)


@require_GET
def digest_progress(request: HttpRequest, digest_id: int) -> HttpResponse:
    """The copies' outcomes, for the page to refresh while the digest is sending (htmx)."""
    digest = access_digest(request.user, digest_id)
    context = {
        "digest": digest,
        "can_edit": can_edit_highlights(request.user),
        "refresh": True,  # the heading's status badge comes along
        **_progress(digest),
    }
    return render(request, "highlights/_digest_progress.html", context)


def _progress(digest: Any) -> dict[str, Any]:
    copies = list(digest.recipients.select_related("stakeholder"))
    return {
        "copies": copies,
        "failed_count": sum(copy.status == RecipientStatus.FAILED for copy in copies),
    }


@require_POST
def digest_send(request: HttpRequest, digest_id: int) -> HttpResponse:
    digest = access_digest(request.user, digest_id, edit=True)
    try:
        count = services.digest_send_start(actor=_actor(request), digest=digest)
    except services.HighlightError as error:
        messages.error(request, error.message)
    else:
        note = ngettext(
            "Sending to %(count)s stakeholder. The result appears below.",
            "Sending to %(count)s stakeholders. The results appear below.",
            count,
        )
        messages.success(request, note % {"count": count})
    return redirect("highlights:digest_detail", digest_id=digest.pk)


@require_POST
def digest_retry(request: HttpRequest, digest_id: int) -> HttpResponse:
    digest = access_digest(request.user, digest_id, edit=True)
    try:
        count = services.digest_retry_failed(actor=_actor(request), digest=digest)
    except services.HighlightError as error:
        messages.error(request, error.message)
    else:
        note = ngettext(
            "Trying %(count)s failed copy again.", "Trying %(count)s failed copies again.", count
        )
        messages.success(request, note % {"count": count})
    return redirect("highlights:digest_detail", digest_id=digest.pk)


@require_POST
def digest_delete(request: HttpRequest, digest_id: int) -> HttpResponse:
    digest = access_digest(request.user, digest_id, edit=True)
    try:
        services.digest_delete(actor=_actor(request), digest=digest)
    except services.HighlightError as error:
        messages.error(request, error.message)
        return redirect("highlights:digest_detail", digest_id=digest.pk)
    messages.success(request, _("Draft digest deleted."))
    return redirect("highlights:digests")


def _refused(form: forms.BaseForm, error: services.HighlightError) -> None:
    """The service's refusal on the field its ``code`` names, else above the form."""
    form.add_error(error.code if error.code in form.fields else None, error.message)
