"""A funnel report as CSV for spreadsheets, and as the JSON the API and the console print.

The CSV starts with a UTF-8 byte order mark, so Excel reads accents and Frisian letters
right, and every text cell that a spreadsheet would take for a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a single quote:
a department called ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from inward.analytics.report_types import FunnelReport, FunnelRow

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as spreadsheet text that is never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_csv(report: FunnelReport) -> str:
    """One line per group and stage: the whole report, then each breakdown, then each
    day. A hidden count is an empty cell with a note saying why."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("breakdown"), _("group"), _("stage"), _("count"), _("note")])
    for line in _lines(report):
        writer.writerow([safe_cell(cell) for cell in line])
    return BOM + out.getvalue()


def _lines(report: FunnelReport) -> Iterator[list[object]]:
    note = _("hidden: fewer than %(n)d people, or it would give such a group away") % {
        "n": report.minimum_group_size
    }
    yield from _row_lines(report, _("Everyone"), report.total, note)
    for breakdown in report.breakdowns:
        for row in breakdown.rows:
            yield from _row_lines(report, breakdown.label, row, note)
    for point in report.over_time:
        for stage, count in zip(report.stages, point.counts, strict=True):
            if stage.value:
                yield [_("By day"), point.day.isoformat(), stage.label, count, _note(count, note)]


def _row_lines(
    report: FunnelReport, dimension: str, row: FunnelRow, note: str
) -> Iterator[list[object]]:
    for stage, count in zip(report.stages, row.counts, strict=True):
        yield [dimension, row.label, stage.label, count, _note(count, note)]


def _note(count: int | None, note: str) -> str:
    return note if count is None else ""


def report_data(report: FunnelReport) -> dict[str, Any]:
    """The report as plain JSON data: what ``GET /api/v1/campaigns/{slug}/funnel`` answers
    and ``inward campaign funnel SLUG --json`` prints. Dates are ISO 8601 text."""
    data: dict[str, Any] = _plain(dataclasses.asdict(report))
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
