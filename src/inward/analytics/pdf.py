"""The stakeholder report as a PDF (fpdf2): title, campaign facts, the funnel as bars, the
key breakdowns, attributed learning, A/B verdicts, when it was made and the minimum group
size.

fpdf2's core fonts (Helvetica) cover Latin-1 only, so every text goes through
``latin1()``: Frisian and Dutch letters (ê, û, ô, ij) stay, typographic quotes and dashes
become their plain forms, accented letters outside Latin-1 lose the accent, and anything
else (emoji, other scripts) is dropped or becomes "?". Nothing raises on a campaign name.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import AbstractContextManager

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.table import Table

from inward.analytics import charts
from inward.analytics.report_types import Count, FunnelReport, FunnelRow, StageInfo
from inward.campaigns.models import Campaign

_PLAIN = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u20ac": "EUR",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0132": "IJ",
    "\u0133": "ij",
}
# Dropped without a trace: joiners, variation selectors, combining marks and symbols such
# as emoji ("Launch 🚀" prints as "Launch").
_DROPPED_CATEGORIES = {"Mn", "Me", "Cf", "So", "Sk", "Cs", "Co"}
_SPACES = re.compile(r" {2,}")

BAR_WIDTH = 110.0  # mm for the whole audience
INK = (33, 37, 41)
BAR = (47, 111, 179)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
HEADINGS = FontFace(emphasis="BOLD", color=INK, fill_color=(241, 243, 245))


def latin1(text: str) -> str:
    """``text`` in characters Helvetica can print (see the module docstring)."""
    out = []
    for char in text:
        code = ord(char)
        if char in "\n\t":
            out.append(char)
        elif code < 32 or 127 <= code < 160:
            continue  # control characters
        elif code < 256:
            out.append(char)
        elif char in _PLAIN:
            out.append(_PLAIN[char])
        elif unicodedata.category(char) in _DROPPED_CATEGORIES:
            continue
        else:
            out.append(_fold(char))
    return _SPACES.sub(" ", "".join(out)).strip(" ")


def _fold(char: str) -> str:
    """A letter outside Latin-1 without its accents ("ő" → "o"), else "?"."""
    base = "".join(
        c
        for c in unicodedata.normalize("NFKD", char)
        if ord(c) < 256 and not unicodedata.combining(c)
    )
    return base or "?"


class _ReportPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, latin1(self.footer_text), align="L")
        self.cell(0, 5, str(self.page_no()), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def report_pdf(campaign: Campaign, report: FunnelReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes. ``compress=False`` leaves the page text readable (tests)."""
    pdf = _ReportPdf(orientation="P", unit="mm", format="A4")
    pdf.set_compression(compress)
    pdf.set_title(latin1(f"{report.campaign_name} - {_('Campaign results')}"))
    pdf.set_creator("Inward")
    generated = date_format(timezone.localtime(report.generated_at), "j M Y H:i")
    pdf.footer_text = _("Inward · %(name)s · made %(when)s") % {
        "name": report.campaign_name,
        "when": generated,
    }
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    _title(pdf, report, generated)
    _facts(pdf, charts.campaign_facts(campaign, report))
    _privacy_note(pdf, report)
    _funnel(pdf, report)
    for dimension in ("department", "channel", "touch"):
        breakdown = charts.breakdown_for(report, dimension)
        if breakdown and breakdown.rows:
            _heading(pdf, _("By %(dimension)s") % {"dimension": breakdown.label.lower()})
            _stage_table(pdf, breakdown.rows, report)
    _learning(pdf, report)
    _variants(pdf, report)
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_text_color(*INK)
    pdf.cell(0, 8, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _text(pdf: FPDF, text: str, *, size: int = 10, color: tuple[int, int, int] = INK) -> None:
    pdf.set_font("Helvetica", "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _title(pdf: FPDF, report: FunnelReport, generated: str) -> None:
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, latin1(report.campaign_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, _("Campaign results · made %(when)s") % {"when": generated}, color=MUTED)
    pdf.ln(2)


def _facts(pdf: FPDF, facts: list[tuple[str, str]]) -> None:
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(45, 6, latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 6, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _count(count: Count, minimum: int) -> str:
    return f"< {minimum}" if count is None else number_format(count, force_grouping=True)


def _amount(value: float | None, minimum: int) -> str:
    """A credited amount (linear attribution gives fractions): "12", "3.5" or "< 5"."""
    if value is None:
        return f"< {minimum}"
    return number_format(value, 1 if value % 1 else 0, force_grouping=True)


def _funnel(pdf: FPDF, report: FunnelReport) -> None:
    """One bar per stage, its length the share of the audience; hidden stages get no bar."""
    _heading(pdf, _("Funnel"))
    cells = charts.table_row(report.total, report.stages).cells
    if not cells or not report.total.counts[0]:
        _text(pdf, _("This campaign has not reached anyone yet."))
        return
    for cell in cells:
        y = pdf.get_y()
        pdf.set_font("Helvetica", "", 10)
        pdf.set_text_color(*INK)
        pdf.cell(35, 7, latin1(cell.stage.label))
        pdf.set_fill_color(*RULE)
        pdf.rect(pdf.l_margin + 35, y + 1.5, BAR_WIDTH, 4, style="F")
        if cell.percent is not None:
            pdf.set_fill_color(*BAR)
            pdf.rect(
                pdf.l_margin + 35, y + 1.5, max(BAR_WIDTH * cell.percent / 100, 0.4), 4, style="F"
            )
        pdf.set_x(pdf.l_margin + 35 + BAR_WIDTH + 3)
        share = "" if cell.percent is None else f" ({cell.percent:.0f}%)"
        pdf.cell(
            0,
            7,
            _count(cell.count, report.minimum_group_size) + share,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _table(pdf: FPDF, widths: tuple[float, ...]) -> AbstractContextManager[Table]:
    """A table in the report's style: a shaded bold header row, thin lines between rows,
    the first column left-aligned and the numbers right-aligned."""
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)
    return pdf.table(
        cell_fill_mode=TableCellFillMode.NONE,
        col_widths=widths,
        text_align=("LEFT", *("RIGHT",) * (len(widths) - 1)),
        line_height=5.5,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=HEADINGS,
    )


def _stage_table(pdf: FPDF, rows: list[FunnelRow], report: FunnelReport) -> None:
    stages: list[StageInfo] = report.stages
    label_width = 190 - 22 * len(stages)
    pdf.set_font("Helvetica", "", 9)
    pdf.set_text_color(*INK)
    with _table(pdf, (label_width, *(22,) * len(stages))) as table:
        header = table.row()
        header.cell("")
        for stage in stages:
            header.cell(latin1(stage.label))
        for row in rows:
            line = table.row()
            line.cell(latin1(row.label or _("Everyone")))
            for count in row.counts:
                line.cell(_count(count, report.minimum_group_size))


def _learning(pdf: FPDF, report: FunnelReport) -> None:
    learning = charts.learning_for(report, "last") or (
        report.learning[0] if report.learning else None
    )
    _heading(pdf, _("Learning attributed to this campaign"))
    if learning is None:
        _text(pdf, _("No enrolments or completions attributed yet."))
        return
    _text(
        pdf,
        _("%(model)s model, %(days)s-day window: %(enrolled)s enrolled, %(completed)s completed.")
        % {
            "model": charts.model_label(learning.model),
            "days": report.attribution_window_days,
            "enrolled": _amount(learning.enrolled, report.minimum_group_size),
            "completed": _amount(learning.completed, report.minimum_group_size),
        },
    )
    if learning.by_touch:
        pdf.set_font("Helvetica", "", 9)
        with _table(pdf, (110, 40, 40)) as table:
            header = table.row()
            for text in (_("Touch"), _("Enrolled"), _("Completed")):
                header.cell(latin1(text))
            for name, enrolled, completed in learning.by_touch:
                line = table.row()
                line.cell(latin1(name))
                line.cell(_amount(enrolled, report.minimum_group_size))
                line.cell(_amount(completed, report.minimum_group_size))


def _variants(pdf: FPDF, report: FunnelReport) -> None:
    if not report.variants:
        return
    _heading(pdf, _("Variant comparisons"))
    for comparison in report.variants:
        pdf.set_font("Helvetica", "B", 10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 6, latin1(comparison.touch_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _text(pdf, comparison.verdict)
        pdf.set_font("Helvetica", "", 9)
        with _table(pdf, (85, 35, 35, 35)) as table:
            header = table.row()
            for text in (_("Variant"), _("Reached"), _("Engaged"), _("Rate")):
                header.cell(latin1(text))
            for variant in comparison.variants:
                line = table.row()
                line.cell(latin1(variant.label))
                line.cell(_count(variant.reached, report.minimum_group_size))
                line.cell(_count(variant.engaged, report.minimum_group_size))
                line.cell("-" if variant.rate is None else f"{100 * variant.rate:.1f}%")
        pdf.ln(2)


def _privacy_note(pdf: FPDF, report: FunnelReport) -> None:
    pdf.ln(1)
    if report.minimum_group_size > 1:
        note = _(
            'Groups of fewer than %(minimum)s people are shown as "< %(minimum)s" or folded '
            'into "Other", so no number points at a person.'
        ) % {"minimum": report.minimum_group_size}
    else:
        note = _("Exact numbers, for administrators: do not pass on counts under %(minimum)s.") % {
            "minimum": _minimum_setting()
        }
    _text(pdf, note, size=8, color=MUTED)


def _minimum_setting() -> int:
    from django.conf import settings

    return int(settings.INWARD_MIN_GROUP_SIZE)
