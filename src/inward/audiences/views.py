"""Audience and persona pages, the live count and the visual rule builder.

Views parse, check access, call one service or selector, and render. The builder and the
count are htmx endpoints that return fragments; the editor also handles the builder's
buttons itself, so the page works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from inward.accounts import access
from inward.accounts.models import User
from inward.audiences import services
from inward.audiences.forms import AudienceForm, Builder, PersonaForm
from inward.audiences.models import Audience, Persona
from inward.audiences.privacy import RuleView, rule_view
from inward.audiences.rules import RuleError
from inward.audiences.selectors import (
    rule_breakdown,
    rule_count,
    rule_explain,
    rule_sample,
    rules_count,
    saved_audience_rules,
)
from inward.directory.models import Department
from inward.directory.selectors import person_by_email
from inward.lib.privacy import fold_small_groups

PAGE_SIZE = 25
AUDIENCE_SORTS = {
    "name": ("name", gettext_lazy("Name, A to Z")),
    "-name": ("-name", gettext_lazy("Name, Z to A")),
    "slug": ("slug", gettext_lazy("Slug")),
    "-updated": ("-updated_at", gettext_lazy("Recently changed")),
}
PERSONA_SORTS = {
    "name": ("name", gettext_lazy("Name, A to Z")),
    "-name": ("-name", gettext_lazy("Name, Z to A")),
    "audience": ("audience__name", gettext_lazy("Audience")),
    "-updated": ("-updated_at", gettext_lazy("Recently changed")),
}
BREAKDOWNS = {
    "department": gettext_lazy("By department"),
    "site": gettext_lazy("By site"),
    "language": gettext_lazy("By language"),
}


# --- Audiences ------------------------------------------------------------------------------


@require_http_methods(["GET"])
def audience_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_audiences(request.user))
    query = request.GET.get("q", "").strip()
    audiences = Audience.objects.all()
    if query:
        audiences = audiences.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(description__icontains=query)
        )
    sort, page = _sorted_page(request, audiences, AUDIENCE_SORTS)
    counts = rules_count(rules=[audience.rule for audience in page])
    known = saved_audience_rules()
    rows = [
        (audience, _viewed_count(request, audience.rule, count, known))
        for audience, count in zip(page, counts, strict=True)
    ]
    context = {
        "page": page,
        "rows": rows,
        "q": query,
        "sort": sort,
        "sorts": AUDIENCE_SORTS,
        "can_edit": access.can_edit_audiences(request.user),
        "starter": None if query or rows else _starter_department(),
        "min_group_size": settings.INWARD_MIN_GROUP_SIZE,
    }
    return render(request, "audiences/audience_list.html", context)


@require_http_methods(["GET", "POST"])
def audience_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    return _editor(request, audience=None)


@require_http_methods(["GET", "POST"])
def audience_edit(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    return _editor(request, audience=get_object_or_404(Audience, slug=slug))


@require_http_methods(["GET"])
def audience_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_read_audiences(request.user))
    audience = get_object_or_404(Audience, slug=slug)
    view = rule_view(request.user, audience.rule)
    context: dict[str, Any] = {
        "audience": audience,
        "can_edit": access.can_edit_audiences(request.user),
        "min_group_size": view.minimum,
        "private": view.private,
    }
    try:
        context.update(_members(audience.rule, view))
    except RuleError as error:
        context["rule_error"] = str(error)
    if not view.private:  # why someone is in a behaviour audience is their engagement
        context.update(_explain(audience, request.GET.get("email", "").strip()))
    return render(request, "audiences/audience_detail.html", context)


@require_http_methods(["GET", "POST"])
def audience_delete(request: HttpRequest, slug: str) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    audience = get_object_or_404(Audience, slug=slug)
    if request.method == "POST":
        try:
            services.audience_delete(audience=audience, actor=_actor(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("audiences:detail", slug=audience.slug)
        messages.success(request, _("Audience “%(name)s” deleted.") % {"name": audience.name})
        return redirect("audiences:list")
    personas = audience.personas.all()
    return render(
        request,
        "audiences/audience_confirm_delete.html",
        {"audience": audience, "personas": personas},
    )


@require_POST
def rule_count_fragment(request: HttpRequest) -> HttpResponse:
    """The live count for the text rule being edited (htmx)."""
    access.require(access.can_edit_audiences(request.user))
    context = _count_context(request, request.POST.get("rule", ""))
    return render(request, "audiences/_count.html", context)


@require_POST
def rule_builder(request: HttpRequest) -> HttpResponse:
    """The builder after a change: its rows, plus the text rule and count out of band (htmx)."""
    access.require(access.can_edit_audiences(request.user))
    builder = Builder.from_data(request.POST)
    text = _apply_builder(builder, request.POST.get("builder_action", ""), request.POST)
    context = {
        "builder": builder,
        "rule_text": text,
        "rewrote": text != request.POST.get("rule", ""),
        **_count_context(request, text),
    }
    return render(request, "audiences/_builder_response.html", context)


# --- Personas -------------------------------------------------------------------------------


@require_http_methods(["GET"])
def persona_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_audiences(request.user))
    query = request.GET.get("q", "").strip()
    personas = Persona.objects.select_related("audience")
    if query:
        personas = personas.filter(
            Q(name__icontains=query) | Q(wiifm__icontains=query) | Q(needs__icontains=query)
        )
    sort, page = _sorted_page(request, personas, PERSONA_SORTS)
    context = {
        "page": page,
        "q": query,
        "sort": sort,
        "sorts": PERSONA_SORTS,
        "can_edit": access.can_edit_audiences(request.user),
    }
    return render(request, "audiences/persona_list.html", context)


@require_http_methods(["GET", "POST"])
def persona_create(request: HttpRequest) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    form = PersonaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        persona = services.persona_create(**form.cleaned_data, actor=_actor(request))
        messages.success(request, _("Persona “%(name)s” created.") % {"name": persona.name})
        return redirect("audiences:personas")
    return render(request, "audiences/persona_form.html", {"form": form, "persona": None})


@require_http_methods(["GET", "POST"])
def persona_edit(request: HttpRequest, persona_id: int) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    persona = get_object_or_404(Persona, pk=persona_id)
    form = PersonaForm(request.POST or None, instance=persona)
    if request.method == "POST" and form.is_valid():
        services.persona_update(persona=persona, **form.cleaned_data, actor=_actor(request))
        messages.success(request, _("Persona “%(name)s” saved.") % {"name": persona.name})
        return redirect("audiences:personas")
    return render(request, "audiences/persona_form.html", {"form": form, "persona": persona})


@require_http_methods(["GET", "POST"])
def persona_delete(request: HttpRequest, persona_id: int) -> HttpResponse:
    access.require(access.can_edit_audiences(request.user))
    persona = get_object_or_404(Persona, pk=persona_id)
    if request.method == "POST":
        services.persona_delete(persona=persona, actor=_actor(request))
        messages.success(request, _("Persona “%(name)s” deleted.") % {"name": persona.name})
        return redirect("audiences:personas")
    return render(request, "audiences/persona_confirm_delete.html", {"persona": persona})


# --- Helpers --------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _sorted_page[M: Audience | Persona](
    request: HttpRequest, queryset: QuerySet[M], sorts: dict[str, tuple[str, Any]]
) -> tuple[str, Page[M]]:
    sort = request.GET.get("sort", "name")
    sort = sort if sort in sorts else "name"
    ordered = queryset.order_by(sorts[sort][0], "pk")
    return sort, Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))


def _starter_department() -> Department | None:
    """The biggest department: the empty audience list offers it as a first rule."""
    return Department.objects.annotate(size=Count("people")).order_by("-size", "path").first()


def _editor(request: HttpRequest, *, audience: Audience | None) -> HttpResponse:
    if request.method != "POST":
        form, builder = _fresh_editor(request, audience)
    elif action := request.POST.get("builder_action"):
        # The builder's buttons without JavaScript: update the rows, keep everything else.
        builder = Builder.from_data(request.POST)
        data = {**request.POST.dict(), "rule": _apply_builder(builder, action, request.POST)}
        form = AudienceForm(initial=data, audience=audience)
    else:
        form = AudienceForm(request.POST, audience=audience)
        builder = Builder.from_data(request.POST)
        if form.is_valid() and (saved := _save(request, form, audience)):
            messages.success(request, _("Audience “%(name)s” saved.") % {"name": saved.name})
            return redirect("audiences:detail", slug=saved.slug)
    rule = form["rule"].value() or ""
    context = {
        "form": form,
        "audience": audience,
        "builder": builder,
        **_count_context(request, rule),
    }
    return render(request, "audiences/audience_form.html", context)


def _fresh_editor(request: HttpRequest, audience: Audience | None) -> tuple[AudienceForm, Builder]:
    if audience is not None:
        builder = Builder()
        builder.load(audience.rule)
        builder.note = "" if builder.rows else builder.note
        initial = {f: getattr(audience, f) for f in ("name", "slug", "description", "rule")}
        return AudienceForm(initial=initial, audience=audience), builder
    department = request.GET.get("department", "").strip()
    builder = Builder.starting_with("department", department)
    initial = {"rule": builder.to_text()}
    if department:
        initial["name"] = department
    return AudienceForm(initial=initial), builder


def _save(request: HttpRequest, form: AudienceForm, audience: Audience | None) -> Audience | None:
    data = form.cleaned_data
    try:
        if audience is None:
            audience = services.audience_create(**data, actor=_actor(request))
        else:
            services.audience_update(
                audience=audience,
                name=data["name"],
                rule=data["rule"],
                description=data["description"],
                actor=_actor(request),
            )
    except RuleError as error:
        form.add_error("rule", str(error))
    except ValidationError as error:  # the slug was taken between the check and the write
        form.add_error("slug", error)
    else:
        return audience
    return None


def _apply_builder(builder: Builder, action: str, data: Any) -> str:
    """Carry out a builder button and return the text rule that results."""
    text: str = data.get("rule", "")
    if action == "load":
        builder.load(text)
        return text
    if action == "add":
        builder.add_row()
    elif action.startswith("remove-") and action[7:].isdigit():
        builder.remove_row(int(action[7:]))
    return builder.to_text() or text


def _count_context(request: HttpRequest, rule: str) -> dict[str, Any]:
    """The live count of the rule being edited; ``count_hidden`` when it is a behaviour
    rule's count too small for this viewer (shown as "fewer than ``min_group_size``")."""
    if not rule.strip():
        return {"count": None, "rule_error": None}
    try:
        count = rule_count(rule=rule)
    except RuleError as error:
        return {"count": None, "rule_error": error}
    view = rule_view(request.user, rule)
    shown = view.count(count)
    return {
        "count": shown,
        "count_hidden": shown is None,
        "min_group_size": view.minimum,
        "rule_error": None,
    }


def _viewed_count(
    request: HttpRequest, rule: str, count: int | None, known: Mapping[str, str]
) -> int | str | None:
    """A list row's count: the number, None for a rule error, or "hidden" for a behaviour
    rule's count too small for this viewer."""
    if count is None:
        return None
    shown = rule_view(request.user, rule, audience_rules=known).count(count)
    return "hidden" if shown is None else shown


def _members(rule: str, view: RuleView) -> dict[str, Any]:
    """Count, breakdowns and sample of a saved rule, as much as ``view`` allows: a count
    too small is None (and then no breakdown), and a private rule has no sample."""
    count = rule_count(rule=rule)
    shown = view.count(count)
    if shown is None:
        return {"count": None, "breakdowns": [], "sample": []}
    return {
        "count": shown,
        "breakdowns": _breakdowns(rule_breakdown(rule=rule), count),
        "sample": [] if view.private else rule_sample(rule=rule, size=10),
    }


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    other: bool = False


def _breakdowns(raw: dict[str, list[tuple[str, int]]], total: int) -> list[dict[str, Any]]:
    minimum: int = settings.INWARD_MIN_GROUP_SIZE
    result = []
    for key, caption in BREAKDOWNS.items():
        visible, hidden = fold_small_groups(raw.get(key, []), minimum=minimum)
        shown = [Bar(label or _("(not set)"), n) for label, n in visible]
        if hidden:
            label = _("Other (groups under %(size)s)") % {"size": minimum}
            shown.append(Bar(label, hidden, other=True))
        result.append({"key": key, "caption": caption, "bars": shown, "total": max(total, 1)})
    return result


def _explain(audience: Audience, email: str) -> dict[str, Any]:
    if not email:
        return {"email": ""}
    person = person_by_email(email=email)
    if person is None:
        return {"email": email, "explain_missing": True}
    try:
        return {
            "email": email,
            "person": person,
            "explanation": rule_explain(rule=audience.rule, person=person),
        }
    except RuleError as error:
        return {"email": email, "person": person, "explain_error": str(error)}
