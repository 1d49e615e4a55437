# ruff: noqa: RUF001 - the quotes, dashes and Turkish dotless i are what these tests print
"""The PDF report: a real PDF whose pages hold the campaign's name and numbers in DejaVu Sans,
whatever script the names are in, and still a PDF (in Helvetica, Latin-1 only) when the
font has not been vendored. Text is read back the way a reader's viewer does: pypdf maps
the embedded subset font's glyphs to characters through its ToUnicode table."""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
import re
import unicodedata
import zlib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from inward.analytics import pdf as pdf_module
from inward.analytics.pdf import latin1, report_pdf, unicode_text
from inward.analytics.report_types import (
    AttributedLearning,
    Breakdown,
    FunnelReport,
)
from inward.analytics.tests.sample_reports import row, sample_report
from inward.campaigns.tests.factories import make_campaign
from inward.learning.models import Offering, OfferingKind

pytestmark = pytest.mark.django_db

FRISIAN = "Lear mei ús: kêns, ûnderwiis en bôle 🚀"
POLISH = "Zażółć gęślą jaźń"
TURKISH = "Şirket içi Ağ Iğdır"
GREEK = "Ηλεκτρονικό ταχυδρομείο"
CYRILLIC = "Привет, коллеги"


def _text(pdf: bytes) -> str:
    """The text of every page, each run of white space made one space (pypdf breaks lines
    where the PDF wraps them and spaces words by their position)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _page_streams(pdf: bytes) -> bytes:
    """Every content stream, inflated when fpdf2 compressed it."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    texts = []
    for stream in streams:
        try:
            texts.append(zlib.decompress(stream))
        except zlib.error:
            texts.append(stream)
    return b"\n".join(texts)


@functools.cache
def _dejavu_charset() -> frozenset[int]:
    """The code points both vendored DejaVu Sans files have (`make assets` puts them there)."""
    charsets = [
        frozenset(TTFont(pdf_module.FONT_DIR / name).getBestCmap())
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
    ]
    return frozenset.intersection(*charsets)


def _report_in_many_scripts(name: str, slug: str) -> FunnelReport:
    """The sample report with its department, channel and touch names in Polish, Turkish,
    Greek and Cyrillic."""
    report = sample_report(name=name, slug=slug)
    counts = (240, 230, 140, 45, 28, None)
    verdict = dataclasses.replace(report.variants[0], touch_name=CYRILLIC)
    return dataclasses.replace(
        report,
        breakdowns=[
            Breakdown("department", "Department", [row("7", POLISH, *counts)]),
            Breakdown("channel", "Channel", [row("1", GREEK, *counts)]),
            Breakdown(
                "touch", "Touch", [row("11", CYRILLIC, *counts), row("12", TURKISH, *counts)]
            ),
        ],
        learning=[AttributedLearning("last", 47.0, 29.0, [(TURKISH, 30.0, 20.0)])],
        variants=[verdict],
    )


def test_it_makes_a_pdf_with_the_campaign_name_in_latin_1() -> None:
    campaign = make_campaign(name=FRISIAN)
    pdf = report_pdf(campaign, sample_report(name=FRISIAN, slug=campaign.slug), compress=False)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert "Lear mei ús: kêns, ûnderwiis en bôle" in _text(pdf)


def test_the_compressed_pdf_holds_the_same_text() -> None:
    campaign = make_campaign(name="Leading at Acme")
    text = _text(report_pdf(campaign, sample_report(slug=campaign.slug)))
    assert "Leading at Acme" in text
    for expected in ("Funnel", "By department", "By channel", "Variant comparisons", "Subject A"):
        assert expected in text, expected
    assert "< 5" in text, "hidden counts print as < 5"
    assert "Groups of fewer than 5 people" in text


def test_the_pdf_draws_one_bar_per_shown_stage() -> None:
    campaign = make_campaign()
    streams = _page_streams(report_pdf(campaign, sample_report(slug=campaign.slug), compress=False))
    bars = [float(w) for w in re.findall(rb"127\.56 [\d.]+ ([\d.]+) -11\.34 re f", streams)]
    # A grey track per stage, and a blue bar over each stage that is not hidden.
    tracks, fills = bars[0::2], bars[1::2]
    assert len(tracks) == 6 and len(fills) == 5
    assert [round(w / tracks[0], 3) for w in fills] == [1.0, 0.958, 0.629, 0.196, 0.121]


def test_an_empty_campaign_still_makes_a_report() -> None:
    campaign = make_campaign(name="Nobody yet")
    text = _text(report_pdf(campaign, sample_report(empty=True), compress=False))
    assert "has not reached anyone yet" in text


def test_it_prints_polish_turkish_greek_and_cyrillic_names_as_they_are() -> None:
    name = "Łódź İstanbul Ελλάδα Москва"
    offering = Offering.objects.create(
        slug="kun",
        title="Žluťoučký kůň",
        kind=OfferingKind.COURSE,
        activity_id="https://learn.example.com/activities/kun",
    )
    campaign = make_campaign(name=name, offering=offering)
    text = _text(report_pdf(campaign, _report_in_many_scripts(name, campaign.slug)))
    assert f"Inward · {name} · made" in text, "the footer holds the name as it is"
    for expected in (POLISH, TURKISH, GREEK, CYRILLIC, "Žluťoučký kůň"):
        assert expected in text, expected
    assert "?" not in text


def test_typographic_punctuation_survives() -> None:
    name = "„Lead” – ‘now’ ≥ 5…"
    campaign = make_campaign(name=name)
    text = _text(report_pdf(campaign, sample_report(name=name, slug=campaign.slug)))
    assert f"Inward · {name} · made" in text
    assert "Runs" in text and " – " in text, "the campaign's dates keep their en dash"


def test_emoji_do_not_crash_and_leave_nothing_behind() -> None:
    name = "Launch 🚀 👩‍💻 now 🇳🇱 ❤️ 👍🏽"
    campaign = make_campaign(name=name)
    text = _text(report_pdf(campaign, sample_report(name=name, slug=campaign.slug)))
    assert "Inward · Launch now ❤ · made" in text, "DejaVu has ❤ (without its emoji selector)"
    assert not [char for char in text if ord(char) > 0xFFFF or char in "\ufffd\u200d\ufe0f"]


def test_unicode_text_drops_what_dejavu_cannot_print() -> None:
    charset = _dejavu_charset()
    assert unicode_text("Łódź – „ok” ≥ 5…", charset) == "Łódź – „ok” ≥ 5…"
    assert unicode_text("Launch 🚀 now", charset) == "Launch now"
    assert unicode_text("👩‍💻", charset) == ""
    assert unicode_text("a\tb\u2028c\nd\u00a0e", charset) == "a b c\nd\u00a0e"
    assert unicode_text("Lo\u0301dz\u0301", charset) == "Lódź", "composed, as typed on a Mac"
    assert unicode_text("日本 Tokyo", charset) == "Tokyo"


def test_without_the_font_it_falls_back_to_helvetica_and_latin_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pdf_module, "FONT_DIR", tmp_path / "not-built")
    name = "Łódź – Привет ê"
    campaign = make_campaign(name=name)
    with caplog.at_level(logging.WARNING, logger="inward.analytics.pdf"):
        pdf = report_pdf(campaign, sample_report(name=name, slug=campaign.slug))
    assert pdf.startswith(b"%PDF-")
    assert b"/Helvetica" in pdf and b"DejaVu" not in pdf
    assert "Inward · Lódz - ?????? ê · made" in _text(pdf)
    assert [r.getMessage() for r in caplog.records if r.name == "inward.analytics.pdf"] == [
        f"DejaVu Sans not found in {tmp_path / 'not-built'} (run `make assets`): "
        "the PDF report prints Latin-1 only"
    ]


def test_latin1_keeps_frisian_and_drops_what_helvetica_cannot_print() -> None:
    assert latin1("ê û ô ú â") == "ê û ô ú â"
    assert latin1("Launch 🚀 now") == "Launch now"
    assert latin1("\u201cQuoted\u201d \u2013 done\u2026") == '"Quoted" - done...'
    assert latin1("Łódź ő") == "Lódz o"
    assert latin1("👩‍💻") == ""
    assert latin1("日本") == "??"


@given(st.text(max_size=60))
def test_latin1_always_gives_text_helvetica_can_print(text: str) -> None:
    latin1(text).encode("latin-1")


def _left_to_right(char: str) -> bool:
    # pypdf reads right-to-left runs back in display order; the PDF keeps typing order.
    return unicodedata.bidirectional(char) not in {"R", "AL", "RLE", "RLO", "RLI"}


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(codec="utf-8").filter(_left_to_right), max_size=60))
def test_any_campaign_name_makes_a_pdf_with_what_the_font_can_print(name: str) -> None:
    campaign = make_campaign()  # PostgreSQL stores no NUL: the report carries the name
    pdf = report_pdf(campaign, sample_report(name=name, slug=campaign.slug))
    printable = unicode_text(name, _dejavu_charset())
    assert "".join(printable.split()) in "".join(_text(pdf).split())
