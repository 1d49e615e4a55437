"""The offerings catalogue pages: list, detail, create, edit, delete, and the
what's-in-it-for-me lines per persona.

Reading needs ``can_read_campaigns``, changing ``can_edit_campaigns``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from inward.accounts import access
from inward.accounts.models import User
from inward.audiences.models import Persona
from inward.audit.selectors import audit_trail
from inward.learning import services
from inward.learning.errors import OfferingError
from inward.learning.forms import KIND_CHOICES, OfferingForm, OfferingPersonasForm
from inward.learning.models import Offering
from inward.learning.selectors import (
    offering_by_slug,
    offering_campaigns,
    offering_learner_counts,
    offering_list,
    offering_personas,
)

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _offering(slug: str) -> Offering:
    offering = offering_by_slug(slug=slug)
    if offering is None:
        raise Http404("no such offering")
    return offering


def _refused(form: OfferingForm, error: OfferingError) -> None:
    """Put each problem the service found on the field it is about, or on the form."""
    for problem in error.all():
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)


@require_http_methods(["GET"])
def offering_list_view(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    query = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    kind = kind if kind in dict(KIND_CHOICES) else ""
    page = Paginator(offering_list(query=query, kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "q": query,
        "kind": kind,
        "query_string": urlencode({"q": query, "kind": kind}),
        "kinds": KIND_CHOICES,
        "filtered": bool(query or kind),
        "can_edit": access.can_edit_campaigns(request.user),
    }
    return render(request, "learning/offering_list.html", context)


@require_http_methods(["GET"])
def offering_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_read_campaigns(request.user))
    offering = _offering(slug)
    context = {
        "offering": offering,
        "personas": offering_personas(offering=offering),
        "campaigns": offering_campaigns(offering=offering),
        "counts": offering_learner_counts(offering=offering, user=request.user),
        "can_edit": access.can_edit_campaigns(request.user),
        "trail": audit_trail(target=offering, limit=20),
    }
    return render(request, "learning/offering_detail.html", context)


@require_http_methods(["GET", "POST"])
def offering_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    form = OfferingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            offering = services.offering_create(
                actor=_actor(request), slug=form.cleaned_data["slug"], **form.fields_data()
            )
        except OfferingError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("Offering “%(title)s” created.") % {"title": offering.title}
            )
            return redirect("learning:detail", slug=offering.slug)
    return render(request, "learning/offering_form.html", {"form": form, "offering": None})


@require_http_methods(["GET", "POST"])
def offering_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    offering = _offering(slug)
    form = OfferingForm(
        request.POST or None, initial=OfferingForm.initial_for(offering), offering=offering
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.offering_update(actor=_actor(request), offering=offering, **form.fields_data())
        except OfferingError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Offering “%(title)s” saved.") % {"title": offering.title})
            return redirect("learning:detail", slug=offering.slug)
    return render(request, "learning/offering_form.html", {"form": form, "offering": offering})


@require_http_methods(["GET", "POST"])
def offering_personas_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    offering = _offering(slug)
    personas = list(Persona.objects.order_by("name", "id"))
    wiifm = dict(offering.persona_lines.values_list("persona_id", "wiifm"))
    form = OfferingPersonasForm(request.POST or None, personas=personas, wiifm=wiifm)
    if request.method == "POST" and form.is_valid():
        try:
            services.offering_personas_set(
                actor=_actor(request), offering=offering, wiifm=form.wiifm()
            )
        except OfferingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("What's in it for me saved."))
            return redirect("learning:detail", slug=offering.slug)
    context: dict[str, Any] = {"form": form, "offering": offering}
    return render(request, "learning/offering_personas.html", context)


@require_http_methods(["GET", "POST"])
def offering_delete(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_edit_campaigns(request.user))
    offering = _offering(slug)
    if request.method == "POST":
        try:
            services.offering_delete(actor=_actor(request), offering=offering)
        except OfferingError as error:
            messages.error(request, error.message)
            return redirect("learning:detail", slug=offering.slug)
        messages.success(request, _("Offering “%(title)s” deleted.") % {"title": offering.title})
        return redirect("learning:list")
    context = {"offering": offering, "problems": services.offering_delete_problems(offering)}
    return render(request, "learning/offering_confirm_delete.html", context)
