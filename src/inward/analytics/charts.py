"""What the analytics pages draw from a ``FunnelReport``: chart data for
``static/inward/charts.js`` (passed with ``json_script``), table rows with rates, and the
bar widths and lines of the printable report's static SVG.

Pure functions of the report: a hidden count (``None``) stays hidden in every shape made
here (no rate, no bar, no point), so no page can give it away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inward.analytics.report_types import (
    AttributedLearning,
    Breakdown,
    Count,
    FunnelReport,
    FunnelRow,
    StageInfo,
    TimePoint,
)
from inward.campaigns.models import Campaign
from inward.delivery.timing import zone_for

DIMENSIONS = ("touch", "stage", "channel", "language", "persona", "department", "site")
MODELS = ("first", "last", "linear")


@dataclass(frozen=True)
class StageCell:
    stage: StageInfo
    count: Count
    percent: float | None  # of this group's audience; None when either count is hidden
    step: float | None  # of the stage before; None for the audience or when hidden


@dataclass(frozen=True)
class TableRow:
    key: str
    label: str
    cells: list[StageCell]


@dataclass(frozen=True)
class Line:
    stage: StageInfo
    points: str  # an SVG polyline's points in a 600 by 200 box


def percent_text(percent: float | None, *, hidden: str = "\u2014") -> str:
    """``percent`` (0 to 100) as the results page and the printable report print a share
    or a rate: a whole number, halves rounded up (the templates' ``floatformat:0``), and
    "%"; ``hidden`` when there is none.

    Used by the CSV and the PDF; the templates round the same way with ``floatformat:0``."""
    if percent is None:
        return hidden
    return f"{floatformat(percent, '0u')}%"


def share(part: Count, whole: Count) -> float | None:
    """``part`` as a percentage of ``whole``, or None when either is hidden or ``whole`` is 0."""
    if part is None or whole is None or whole == 0:
        return None
    return 100.0 * part / whole


def table_row(row: FunnelRow, stages: list[StageInfo]) -> TableRow:
    audience = row.counts[0] if row.counts else None
    cells = []
    for index, stage in enumerate(stages):
        count = row.counts[index] if index < len(row.counts) else None
        before = row.counts[index - 1] if index > 0 else None
        step = share(count, before) if index > 0 else None
        cells.append(StageCell(stage, count, share(count, audience), step))
    return TableRow(row.key, row.label, cells)


def table_rows(rows: list[FunnelRow], stages: list[StageInfo]) -> list[TableRow]:
    return [table_row(row, stages) for row in rows]


def has_hidden(report: FunnelReport) -> bool:
    """Whether any number on the report is hidden (so the page explains why)."""
    rows = [report.total, *(row for b in report.breakdowns for row in b.rows)]
    if any(n is None for row in rows for n in row.counts):
        return True
    if any(n is None for point in report.over_time for n in point.counts[1:]):
        return True
    return any(v.reached is None or v.engaged is None for c in report.variants for v in c.variants)


def breakdown_for(report: FunnelReport, dimension: str) -> Breakdown | None:
    return next((b for b in report.breakdowns if b.dimension == dimension), None)


def learning_for(report: FunnelReport, model: str) -> AttributedLearning | None:
    return next((item for item in report.learning if item.model == model), None)


def count_label(count: Count, *, minimum: int) -> str:
    if count is None:
        return _("fewer than %(minimum)s") % {"minimum": minimum}
    return number_format(count, force_grouping=True)


def funnel_chart(report: FunnelReport) -> dict[str, Any]:
    """Horizontal bars, one per stage, labelled with the count and the share of the audience."""
    audience = report.total.counts[0] if report.total.counts else None
    labels = []
    for count in report.total.counts:
        label = count_label(count, minimum=report.minimum_group_size)
        percent = share(count, audience)
        labels.append(label if percent is None else f"{label} ({percent:.0f}%)")
    return {
        "kind": "funnel",
        "categories": [stage.label for stage in report.stages],
        "values": list(report.total.counts),
        "labels": labels,
    }


def over_time_chart(report: FunnelReport) -> dict[str, Any]:
    """Cumulative people per stage by the end of each day (the audience left out). A
    hidden day carries the last shown count forward (counts only grow, so it is what the
    day is at least), flagged in ``hidden``, so a line has no gaps after its first shown
    day; ``note`` says so in a sentence when any day is hidden."""
    stages = report.stages[1:]
    series = []
    for stage in stages:
        cells = [_time_cell(point, stage.value) for point in report.over_time]
        series.append(
            {
                "name": stage.label,
                "values": [floor for _count, floor in cells],
                "hidden": [count is None for count, _floor in cells],
            }
        )
    hidden = any(any(s["hidden"]) for s in series)
    return {
        "kind": "lines",
        "days": [date_format(point.day, "j M") for point in report.over_time],
        "series": series,
        "note": over_time_note(report) if hidden else "",
    }


def _time_cell(point: TimePoint, stage: int) -> tuple[Count, Count]:
    if stage >= len(point.counts):
        return None, None
    floor = point.at_least[stage] if stage < len(point.at_least) else point.counts[stage]
    return point.counts[stage], floor


def over_time_note(report: FunnelReport) -> str:
    """What a hidden day means, for the chart and the per-day table."""
    return _(
        "A day whose change would point at fewer than %(minimum)s people, or give such a "
        "group away, is hidden: the line stays level at the last number shown and the "
        "table says “at least” that number, as these totals only grow."
    ) % {"minimum": report.minimum_group_size}


def heatmap_chart(breakdown: Breakdown, stages: list[StageInfo], *, hidden: str) -> dict[str, Any]:
    """Each group's share of its audience at each stage after the audience. A hidden cell
    has the value -1 and the label ``hidden``."""
    shown_stages = stages[1:]
    cells = []
    for y, row in enumerate(table_rows(breakdown.rows, stages)):
        for x, cell in enumerate(row.cells[1:]):
            if cell.percent is None:
                cells.append([x, y, -1, hidden])
            else:
                cells.append([x, y, round(cell.percent, 1), f"{cell.percent:.0f}%"])
    return {
        "kind": "heatmap",
        "columns": [stage.label for stage in shown_stages],
        "rows": [row.label for row in breakdown.rows],
        "cells": cells,
    }


def report_scale(report: FunnelReport) -> int:
    """The top of the printable report's time chart: the largest count shown on it."""
    shown = (n for point in report.over_time for n in point.counts[1:] if n is not None)
    return max(shown, default=0) or 1


def report_lines(report: FunnelReport) -> list[Line]:
    """The time series as SVG polylines for the printable report (no script needed); a
    hidden day stays level at the last count shown, as on the page."""
    points = report.over_time
    if len(points) < 2:
        return []
    top = report_scale(report)
    width, height = 600.0, 200.0
    lines = []
    for stage in report.stages[1:]:
        coords = []
        for i, point in enumerate(points):
            _count, n = _time_cell(point, stage.value)  # hidden days: level at the last shown
            if n is not None:
                x = width * i / (len(points) - 1)
                coords.append(f"{x:.1f},{height - 2 - (height - 8) * n / top:.1f}")
        lines.append(Line(stage, " ".join(coords)))
    return lines


def model_label(model: str) -> str:
    labels = {"first": _("First touch"), "last": _("Last touch"), "linear": _("Linear")}
    return labels.get(model, model)


def campaign_facts(campaign: Campaign, report: FunnelReport) -> list[tuple[str, str]]:
    """The campaign's facts at the top of the report and the PDF, as (label, value)."""
    zone = zone_for(campaign.time_zone, fallback=settings.TIME_ZONE)

    def when(value: dt.datetime | None) -> str:
        return date_format(timezone.localtime(value, zone), "j M Y") if value else "—"

    facts = [
        (_("Status"), str(campaign.get_status_display())),
        (_("Team"), str(campaign.get_owner_team_display())),
        (_("Audience"), campaign.audience.name if campaign.audience else "—"),
        (_("Runs"), _runs(campaign, when)),
    ]
    if campaign.offering_id:
        facts.append((_("Learning offering"), str(campaign.offering)))
    if campaign.goal_metric:
        goal = campaign.goal_metric
        facts.append(
            (_("Goal"), f"{goal} · {campaign.goal_target}" if campaign.goal_target else goal)
        )
    days = report.attribution_window_days
    facts.append((_("Attribution window"), ngettext("%d day", "%d days", days) % days))
    return facts


def _runs(campaign: Campaign, when: Callable[[dt.datetime | None], str]) -> str:
    if not campaign.starts_at and not campaign.ends_at:
        return _("Not set")
    return f"{when(campaign.starts_at)} \u2013 {when(campaign.ends_at)}"
