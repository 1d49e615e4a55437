"""The analytics pages: a campaign's results (charts, breakdowns, attributed learning, A/B
verdicts), its CSV export, the printable stakeholder report and its PDF, and person-level
data ("My data" for everyone, any person's for admins).

Every number comes from one ``FunnelReport`` (``selectors.funnel_report``) cut at the
viewer's minimum group size, so the page, the CSV, the report and the PDF agree.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.analytics import charts
from inward.analytics.access import access_campaign_analytics, analytics_minimum
from inward.analytics.export import report_csv
from inward.analytics.pdf import report_pdf
from inward.analytics.person_record import (
    person_deliveries,
    person_record,
    person_statements,
    statement_summary,
    statement_text,
)
from inward.analytics.report_types import FunnelReport
from inward.analytics.selectors import SECTIONS, funnel_report, person_events, person_funnels
from inward.campaigns.models import Campaign
from inward.directory.models import Person
from inward.directory.selectors import person_for_user
from inward.highlights.access import can_edit_highlights

EVENTS_PER_PAGE = 100
ROWS_PER_PAGE = 50


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _report(
    user: AnyUser,
    campaign: Campaign,
    *,
    model: str,
    breakdowns: tuple[str, ...],
    sections: tuple[str, ...] = SECTIONS,
) -> FunnelReport:
    return funnel_report(
        campaign,
        minimum=analytics_minimum(user),
        model=model,
        breakdowns=breakdowns,
        sections=sections,
    )


def _breakdown_context(report: FunnelReport, dimension: str) -> dict[str, Any]:
    breakdown = charts.breakdown_for(report, dimension)
    return {
        "dimension": dimension,
        "dimensions": _dimension_labels(),
        "breakdown": breakdown,
        "breakdown_rows": charts.table_rows(breakdown.rows, report.stages) if breakdown else [],
    }


def _learning_context(report: FunnelReport, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "models": [(key, charts.model_label(key)) for key in charts.MODELS],
        "learning": charts.learning_for(report, model),
    }


def _dimension_labels() -> list[tuple[str, str]]:
    return [
        ("touch", _("Touch")),
        ("stage", _("Journey stage")),
        ("channel", _("Channel")),
        ("language", _("Language")),
        ("persona", _("Persona")),
        ("department", _("Department")),
        ("site", _("Site")),
    ]


def results_context(
    campaign: Campaign, report: FunnelReport, *, dimension: str, model: str
) -> dict[str, Any]:
    """What the results page shows of ``report``: charts, tables, the two switchers."""
    departments = charts.breakdown_for(report, "department")
    return {
        "campaign": campaign,
        "report": report,
        "total_rows": charts.table_row(report.total, report.stages).cells,
        "hidden": charts.has_hidden(report),
        "funnel_chart": charts.funnel_chart(report),
        "time_chart": charts.over_time_chart(report),
        "departments": charts.table_rows(departments.rows, report.stages) if departments else [],
        "heatmap_chart": charts.heatmap_chart(departments, report.stages, hidden=_("hidden"))
        if departments
        else None,
        **_breakdown_context(report, dimension),
        **_learning_context(report, model),
    }


@require_GET
def campaign_results(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_analytics(request.user, slug)
    dimension = _choice(request.GET.get("dimension"), charts.DIMENSIONS, "touch")
    model = _choice(request.GET.get("model"), charts.MODELS, "last")
    wanted = tuple(dict.fromkeys((dimension, "department")))
    report = _report(request.user, campaign, model=model, breakdowns=wanted)
    context = results_context(campaign, report, dimension=dimension, model=model)
    context["can_pin"] = can_edit_highlights(request.user)
    return render(request, "analytics/campaign_results.html", context)


@require_GET
def campaign_breakdown(request: HttpRequest, slug: str) -> HttpResponse:
    """The breakdown table for one dimension (the switcher's htmx partial)."""
    campaign = access_campaign_analytics(request.user, slug)
    dimension = _choice(request.GET.get("dimension"), charts.DIMENSIONS, "touch")
    # The partial shows one table: no days, learning or A/B comparison to compute.
    report = _report(request.user, campaign, model="last", breakdowns=(dimension,), sections=())
    context = {"campaign": campaign, "report": report, **_breakdown_context(report, dimension)}
    return render(request, "analytics/campaign_results.html#breakdown", context)


@require_GET
def campaign_learning(request: HttpRequest, slug: str) -> HttpResponse:
    """Attributed learning under one attribution model (the switcher's htmx partial)."""
    campaign = access_campaign_analytics(request.user, slug)
    model = _choice(request.GET.get("model"), charts.MODELS, "last")
    report = _report(request.user, campaign, model=model, breakdowns=(), sections=("learning",))
    context = {"campaign": campaign, "report": report, **_learning_context(report, model)}
    return render(request, "analytics/campaign_results.html#learning", context)


@require_GET
def campaign_export(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = access_campaign_analytics(request.user, slug)
    report = _report(request.user, campaign, model="last", breakdowns=charts.DIMENSIONS)
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    name = f"{campaign.slug}-results-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def printable_context(campaign: Campaign, report: FunnelReport) -> dict[str, Any]:
    """What the printable report shows: every breakdown, learning under last touch."""
    return {
        "campaign": campaign,
        "report": report,
        "total_rows": charts.table_row(report.total, report.stages).cells,
        "lines": charts.report_lines(report),
        "scale": charts.report_scale(report),
        "breakdowns": [
            (breakdown, charts.table_rows(breakdown.rows, report.stages))
            for breakdown in report.breakdowns
            if breakdown.rows
        ],
        "learning": charts.learning_for(report, "last"),
        "facts": charts.campaign_facts(campaign, report),
        "minimum_setting": settings.INWARD_MIN_GROUP_SIZE,
    }


def _printable(request: HttpRequest, slug: str) -> tuple[Campaign, FunnelReport]:
    campaign = access_campaign_analytics(request.user, slug)
    report = _report(request.user, campaign, model="last", breakdowns=charts.DIMENSIONS)
    return campaign, report


@require_GET
def campaign_report(request: HttpRequest, slug: str) -> HttpResponse:
    """The stakeholder report: one page of HTML made to print (``report.css``)."""
    campaign, report = _printable(request, slug)
    return render(request, "analytics/report.html", printable_context(campaign, report))


@require_GET
def campaign_report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    campaign, report = _printable(request, slug)
    response = HttpResponse(report_pdf(campaign, report), content_type="application/pdf")
    name = f"{campaign.slug}-report-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _person_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    events = _page(request, "page", person_events(person), EVENTS_PER_PAGE)
    deliveries = _page(request, "messages", person_deliveries(person), ROWS_PER_PAGE)
    records = _page(request, "records", person_statements(person), ROWS_PER_PAGE)
    return {
        "person": person,
        "events": events,
        "deliveries": deliveries,
        "records": [
            (record, statement_summary(record), statement_text(record)) for record in records
        ],
        "records_page": records,
        "funnels": person_funnels(person),
        "retention_days": settings.INWARD_EVENT_RETENTION_DAYS,
        # Each list pages on its own; its links keep where the other lists are.
        "events_query": _query_without(request, "page"),
        "deliveries_query": _query_without(request, "messages"),
        "records_query": _query_without(request, "records"),
    }


def _page(request: HttpRequest, name: str, rows: QuerySet[Any], per_page: int) -> Page[Any]:
    return Paginator(rows, per_page).get_page(request.GET.get(name))


def _query_without(request: HttpRequest, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


def _record_download(person: Person) -> HttpResponse:
    response = JsonResponse(person_record(person), json_dumps_params={"ensure_ascii": False})
    name = f"inward-data-{person.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything recorded about the signed-in employee's engagement: theirs to see."""
    person = person_for_user(request.user) if request.user.is_active else None
    context = _person_context(request, person) if person else {"person": None}
    return render(request, "analytics/my_data.html", context)


def _person_for_admin_or_self(request: HttpRequest, person_id: int) -> Person:
    """Admins, or the person: anyone else gets 403 before the person is looked up, so the
    answer does not say whether the id exists."""
    own = person_for_user(request.user) if request.user.is_active else None
    access.require(access.is_admin(request.user) or (own is not None and own.pk == person_id))
    person = Person.objects.select_related("department", "site").filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


@require_GET
def person_data(request: HttpRequest, person_id: int) -> HttpResponse:
    """One person's engagement: admins only (and the person, who also has "My data")."""
    person = _person_for_admin_or_self(request, person_id)
    return render(request, "analytics/person_data.html", _person_context(request, person))


@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    """Everything on "My data", whole, as one JSON file."""
    person = person_for_user(request.user) if request.user.is_active else None
    if person is None:
        raise Http404
    return _record_download(person)


@require_GET
def person_data_download(request: HttpRequest, person_id: int) -> HttpResponse:
    return _record_download(_person_for_admin_or_self(request, person_id))
