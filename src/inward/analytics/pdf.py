"""The stakeholder report as a PDF (fpdf2): title, campaign facts, the funnel as bars,
every breakdown the printable report has, attributed learning, A/B verdicts, the numbers
over time (a row a day, or a row a week when a day each would not fit on an A4 page),
when it was made and the minimum group size. Shares and rates are rounded as the results
page rounds them (``charts.percent_text``).

Text is set in DejaVu Sans (regular and bold), which ``make assets`` vendors from the npm
registry into ``static/vendor/dejavu/`` (``FONT_DIR``); fpdf2 embeds only the glyphs a
report uses, so a report is some 30 KB rather than the 1.4 MB of both files. Every character
DejaVu has prints as itself: Latin with any accent (Łódź, İstanbul, Žluťoučký), Greek,
Cyrillic, typographic quotes and dashes, "≥", "…". ``unicode_text()`` drops what it lacks
(emoji, most CJK) together with invisible format characters (joiners, variation
selectors), so "Launch 🚀" prints as "Launch".

When the font files are missing (assets not built), the report falls back to fpdf2's core
font Helvetica, logs one warning per PDF and sends every text through ``latin1()``:
Latin-1 letters stay, typographic quotes and dashes become their plain forms, other
accented letters lose the accent, and anything else is dropped or becomes "?".

Nothing raises on a campaign name.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Set
from contextlib import AbstractContextManager
from pathlib import Path

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from fpdf.table import Table

from inward.analytics import charts
from inward.analytics.report_types import (
    Breakdown,
    Count,
    FunnelReport,
    FunnelRow,
    StageInfo,
    TimePoint,
)
from inward.campaigns.models import Campaign

logger = logging.getLogger(__name__)

# Rebuilt by `make assets` (scripts/vendor-assets.sh); read when a PDF is made, so a test can
# point it at a directory without the font.
FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "dejavu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

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
# Never printed, even where DejaVu has a glyph for them: control and format characters
# (joiners, bidi marks, soft hyphens), unassigned, private-use and surrogate code points.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs"}

BAR_WIDTH = 110.0  # mm for the whole audience
INK = (33, 37, 41)
BAR = (47, 111, 179)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
HEADINGS = FontFace(emphasis="BOLD", color=INK, fill_color=(241, 243, 245))
# About as many table rows as one A4 page holds: a longer campaign gets a row a week.
MAX_DAY_ROWS = 40


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


def unicode_text(text: str, charset: Set[int]) -> str:
    """``text`` in the characters of ``charset`` (the code points DejaVu Sans has in both
    weights), composed (NFC); line breaks stay, other breaks and spaces the font lacks
    become a space, and what it cannot print is dropped (see the module docstring)."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char == "\n":
            out.append(char)
        elif char.isspace() and (ord(char) not in charset or unicodedata.category(char) != "Zs"):
            out.append(" ")
        elif ord(char) in charset and not _invisible(char):
            out.append(char)
    return _SPACES.sub(" ", "".join(out)).strip(" ")


def _invisible(char: str) -> bool:
    code = ord(char)
    variation_selector = 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
    return variation_selector or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def _fold(char: str) -> str:
    """A letter outside Latin-1 without its accents ("ő" → "o"), else "?"."""
    base = "".join(
        c
        for c in unicodedata.normalize("NFKD", char)
        if ord(c) < 256 and not unicodedata.combining(c)
    )
    return base or "?"


class _ReportPdf(FPDF):
    """An A4 report set in DejaVu Sans from ``font_dir``, or in Helvetica without it."""

    def __init__(self, font_dir: Path) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = ""
        self.charset = _add_dejavu(self, font_dir)
        self.family = "Helvetica" if self.charset is None else "DejaVu"

    def use_font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def printable(self, text: str) -> str:
        """``text`` as this PDF's font can print it."""
        return latin1(text) if self.charset is None else unicode_text(text, self.charset)

    def footer(self) -> None:
        self.set_y(-12)
        self.use_font(8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.printable(self.footer_text), align="L")
        self.cell(0, 5, str(self.page_no()), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _add_dejavu(pdf: _ReportPdf, font_dir: Path) -> frozenset[int] | None:
    """Registers DejaVu Sans with ``pdf`` and returns the code points both weights have;
    None, with a warning, when the font files are missing."""
    paths = {style: font_dir / name for style, name in _FONT_FILES.items()}
    if not all(path.is_file() for path in paths.values()):
        logger.warning(
            "DejaVu Sans not found in %s (run `make assets`): the PDF report prints Latin-1 only",
            font_dir,
        )
        return None
    charsets = []
    for style, path in paths.items():
        pdf.add_font("DejaVu", style, path)
        font = pdf.fonts[f"dejavu{style}"]
        assert isinstance(font, TTFFont)
        charsets.append(frozenset(font.cmap))
    return frozenset.intersection(*charsets)


def report_pdf(campaign: Campaign, report: FunnelReport, *, compress: bool = True) -> bytes:
    """The report as PDF bytes. ``compress=False`` leaves the page text readable (tests)."""
    pdf = _ReportPdf(FONT_DIR)
    pdf.set_compression(compress)
    pdf.set_title(pdf.printable(f"{report.campaign_name} - {_('Campaign results')}"))
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
    for breakdown in report.breakdowns:
        if breakdown.rows:
            _breakdown(pdf, breakdown, report)
    _learning(pdf, report)
    _variants(pdf, report)
    _over_time(pdf, report)
    return bytes(pdf.output())


def _heading(pdf: _ReportPdf, text: str) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(4)
    pdf.use_font(13, bold=True)
    pdf.set_text_color(*INK)
    pdf.cell(0, 8, pdf.printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _text(pdf: _ReportPdf, text: str, *, size: int = 10, color: tuple[int, int, int] = INK) -> None:
    pdf.use_font(size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, 5, pdf.printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _title(pdf: _ReportPdf, report: FunnelReport, generated: str) -> None:
    pdf.use_font(20, bold=True)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 9, pdf.printable(report.campaign_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _text(pdf, _("Campaign results · made %(when)s") % {"when": generated}, color=MUTED)
    pdf.ln(2)


def _facts(pdf: _ReportPdf, facts: list[tuple[str, str]]) -> None:
    for label, value in facts:
        pdf.use_font(10, bold=True)
        pdf.set_text_color(*MUTED)
        pdf.cell(45, 6, pdf.printable(label))
        pdf.use_font(10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 6, pdf.printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _count(count: Count, minimum: int) -> str:
    return f"< {minimum}" if count is None else number_format(count, force_grouping=True)


def _amount(value: float | None, minimum: int) -> str:
    """A credited amount (linear attribution gives fractions) rounded as the page rounds it:
    "12", "3.5" or "< 5"."""
    if value is None:
        return f"< {minimum}"
    return str(floatformat(value, "-1g"))


def _funnel(pdf: _ReportPdf, report: FunnelReport) -> None:
    """One bar per stage, its length the share of the audience; hidden stages get no bar."""
    _heading(pdf, _("Funnel"))
    cells = charts.table_row(report.total, report.stages).cells
    if not cells or not report.total.counts[0]:
        _text(pdf, _("This campaign has not reached anyone yet."))
        return
    for cell in cells:
        y = pdf.get_y()
        pdf.use_font(10)
        pdf.set_text_color(*INK)
        pdf.cell(35, 7, pdf.printable(cell.stage.label))
        pdf.set_fill_color(*RULE)
        pdf.rect(pdf.l_margin + 35, y + 1.5, BAR_WIDTH, 4, style="F")
        if cell.percent is not None:
            pdf.set_fill_color(*BAR)
            pdf.rect(
                pdf.l_margin + 35, y + 1.5, max(BAR_WIDTH * cell.percent / 100, 0.4), 4, style="F"
            )
        pdf.set_x(pdf.l_margin + 35 + BAR_WIDTH + 3)
        share = "" if cell.percent is None else f" ({charts.percent_text(cell.percent)})"
        pdf.cell(
            0,
            7,
            _count(cell.count, report.minimum_group_size) + share,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _table(pdf: _ReportPdf, widths: tuple[float, ...]) -> AbstractContextManager[Table]:
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


def _breakdown(pdf: _ReportPdf, breakdown: Breakdown, report: FunnelReport) -> None:
    """A breakdown as the printable report shows it: each group's count at each stage and,
    after the audience, its share of the group's audience."""
    _heading(pdf, _("By %(dimension)s") % {"dimension": breakdown.label.lower()})
    if breakdown.note:
        _text(pdf, breakdown.note, size=8, color=MUTED)
    _stage_table(pdf, breakdown.rows, report)


def _stage_table(pdf: _ReportPdf, rows: list[FunnelRow], report: FunnelReport) -> None:
    stages: list[StageInfo] = report.stages
    label_width = 190 - 23 * len(stages)
    pdf.use_font(8)
    pdf.set_text_color(*INK)
    with _table(pdf, (label_width, *(23,) * len(stages))) as table:
        header = table.row()
        header.cell("")
        for stage in stages:
            header.cell(pdf.printable(stage.label))
        for row in charts.table_rows(rows, stages):
            line = table.row()
            line.cell(pdf.printable(row.label or _("Everyone")))
            for index, cell in enumerate(row.cells):
                text = _count(cell.count, report.minimum_group_size)
                if index and cell.percent is not None:
                    text += f" ({charts.percent_text(cell.percent)})"
                line.cell(text)


def _learning(pdf: _ReportPdf, report: FunnelReport) -> None:
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
        pdf.use_font(9)
        with _table(pdf, (110, 40, 40)) as table:
            header = table.row()
            for text in (_("Touch"), _("Enrolled"), _("Completed")):
                header.cell(pdf.printable(text))
            for name, enrolled, completed in learning.by_touch:
                line = table.row()
                line.cell(pdf.printable(name))
                line.cell(_amount(enrolled, report.minimum_group_size))
                line.cell(_amount(completed, report.minimum_group_size))


def _variants(pdf: _ReportPdf, report: FunnelReport) -> None:
    if not report.variants:
        return
    _heading(pdf, _("Variant comparisons"))
    for comparison in report.variants:
        pdf.use_font(10, bold=True)
        pdf.set_text_color(*INK)
        pdf.multi_cell(
            0, 6, pdf.printable(comparison.touch_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        _text(pdf, comparison.verdict)
        pdf.use_font(9)
        with _table(pdf, (85, 35, 35, 35)) as table:
            header = table.row()
            for text in (_("Variant"), _("Reached"), _("Engaged"), _("Rate")):
                header.cell(pdf.printable(text))
            for variant in comparison.variants:
                line = table.row()
                line.cell(pdf.printable(variant.label))
                line.cell(_count(variant.reached, report.minimum_group_size))
                line.cell(_count(variant.engaged, report.minimum_group_size))
                line.cell(charts.percent_text(None if variant.rate is None else 100 * variant.rate))
        if comparison.p_value is not None:
            _text(pdf, _p_value(comparison.p_value), size=8, color=MUTED)
        pdf.ln(2)


def _p_value(p_value: float) -> str:
    return _(
        "p = %(p)s (the chance of a difference at least this large if the variants were "
        "really equal)"
    ) % {"p": floatformat(p_value, 3)}


def _over_time(pdf: _ReportPdf, report: FunnelReport) -> None:
    """People at each stage (the audience left out) by the end of each day, or of each
    week when the campaign has more days than a page holds; the sentence under the
    heading says which."""
    if not report.over_time:
        return
    _heading(pdf, _("Over time"))
    weekly = len(report.over_time) > MAX_DAY_ROWS
    if weekly:
        intro = _(
            "People at each stage by the end of each week (Monday to Sunday), one row a "
            "week (a row a day would not fit on the page), dated with the last day it "
            "covers."
        )
    else:
        intro = _("People at each stage by the end of each day, one row a day.")
    _text(pdf, intro, size=8, color=MUTED)
    stages = report.stages[1:]
    points = list(_week_ends(report.over_time)) if weekly else report.over_time
    pdf.use_font(8)
    pdf.set_text_color(*INK)
    with _table(pdf, (190 - 27 * len(stages), *(27,) * len(stages))) as table:
        header = table.row()
        header.cell(pdf.printable(_("Week ending") if weekly else _("Day")))
        for stage in stages:
            header.cell(pdf.printable(stage.label))
        for point in points:
            line = table.row()
            line.cell(pdf.printable(date_format(point.day, "D j M Y")))
            for stage in stages:
                line.cell(pdf.printable(_time_count(point, stage.value, report)))


def _time_count(point: TimePoint, stage: int, report: FunnelReport) -> str:
    """A day's count; a hidden one as "at least N" (the last number shown), or as a hidden
    count before any was shown, as the page's table does."""
    count, floor = point.cells[stage] if stage < len(point.counts) else (None, None)
    if count is None and floor:
        return _("at least %(n)s") % {"n": number_format(floor, force_grouping=True)}
    return _count(count, report.minimum_group_size)


def _week_ends(points: list[TimePoint]) -> Iterator[TimePoint]:
    """The last point of each ISO week: the counts are cumulative, so a week's numbers are
    those at the end of its last day."""
    for index, point in enumerate(points):
        following = points[index + 1] if index + 1 < len(points) else None
        if following is None or following.day.isocalendar()[:2] != point.day.isocalendar()[:2]:
            yield point


def _privacy_note(pdf: _ReportPdf, report: FunnelReport) -> None:
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
