"""A funnel report as CSV for spreadsheets, and as the JSON the API and the console print.

The CSV starts with a UTF-8 byte order mark, so Excel reads accents and Frisian letters
right, and every text cell that a spreadsheet would take for a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a single quote:
a department called ``=HYPERLINK(...)`` stays text.

After the funnel's lines come two sections, each starting with a header line of its own
(no empty line before it: a script that reads each line's first cell keeps working): the
learning attributed to the campaign under each attribution model, and each A/B
comparison, one line per variant. Their numbers are rounded as the results page rounds
them (``charts.percent_text``), so a rate reads the same in the CSV, on the page and in the PDF.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from inward.analytics import charts
from inward.analytics.report_types import (
    AttributedLearning,
    FunnelReport,
    FunnelRow,
    VariantComparison,
)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as spreadsheet text that is never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def report_csv(report: FunnelReport) -> str:
    """One line per group and stage: the whole report, then each breakdown, then each
    day; then the attributed learning and the A/B comparisons, each a section with its
    own header line. A hidden number is an empty cell with a note saying why."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("breakdown"), _("group"), _("stage"), _("count"), _("note")])
    for line in _lines(report):
        writer.writerow([safe_cell(cell) for cell in line])
    for header, lines in _sections(report):
        writer.writerow([safe_cell(cell) for cell in header])
        for line in lines:
            writer.writerow([safe_cell(cell) for cell in line])
    return BOM + out.getvalue()


def _lines(report: FunnelReport) -> Iterator[list[object]]:
    note = _hidden_note(report)
    yield from _row_lines(report, _("Everyone"), report.total, note)
    for breakdown in report.breakdowns:
        for row in breakdown.rows:
            yield from _row_lines(report, breakdown.label, row, note)
    for point in report.over_time:
        for stage, count in zip(report.stages, point.counts, strict=True):
            if stage.value:
                yield [_("By day"), point.day.isoformat(), stage.label, count, _note(count, note)]


def _sections(report: FunnelReport) -> Iterator[tuple[list[object], list[list[object]]]]:
    note = _hidden_note(report)
    if report.learning:
        header: list[object] = [_("section"), _("model"), _("touch")]
        header += [_("enrolled"), _("completed"), _("note")]
        yield header, [line for item in report.learning for line in _learning_lines(item, note)]
    if report.variants:
        header = [_("section"), _("touch"), _("variant"), _("reached"), _("engaged")]
        header += [_("rate"), _("p-value"), _("verdict"), _("note")]
        yield header, [line for item in report.variants for line in _variant_lines(item, note)]


def _hidden_note(report: FunnelReport) -> str:
    return _("hidden: fewer than %(n)d people, or it would give such a group away") % {
        "n": report.minimum_group_size
    }


def _learning_lines(learning: AttributedLearning, note: str) -> Iterator[list[object]]:
    """The model's totals (touch "All touches"), then one line per credited touch."""
    section = _("Learning attributed to this campaign")
    model = charts.model_label(learning.model)
    rows = [(_("All touches"), learning.enrolled, learning.completed), *learning.by_touch]
    for touch, enrolled, completed in rows:
        hidden = enrolled is None or completed is None
        yield [
            section,
            model,
            touch,
            amount_text(enrolled),
            amount_text(completed),
            note if hidden else "",
        ]


def amount_text(value: float | None) -> str:
    """A credited amount as the page prints it ("12", "35.5"), with a point for decimals."""
    return "" if value is None else str(floatformat(value, "-1u"))


def _variant_lines(comparison: VariantComparison, note: str) -> Iterator[list[object]]:
    section = _("Variant comparisons")
    p_value = "" if comparison.p_value is None else floatformat(comparison.p_value, "3u")
    for variant in comparison.variants:
        rate = None if variant.rate is None else 100 * variant.rate
        hidden = variant.reached is None or variant.engaged is None
        yield [
            section,
            comparison.touch_name,
            variant.label,
            variant.reached,
            variant.engaged,
            charts.percent_text(rate, hidden=""),
            p_value,
            comparison.verdict,
            note if hidden else "",
        ]


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
