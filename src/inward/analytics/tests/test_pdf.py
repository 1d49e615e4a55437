"""The PDF report: a real PDF whose pages hold the campaign's name and numbers, whatever
characters the name has (Helvetica prints Latin-1 only)."""

from __future__ import annotations

import re
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inward.analytics.pdf import latin1, report_pdf
from inward.analytics.tests.sample_reports import sample_report
from inward.campaigns.tests.factories import make_campaign

pytestmark = pytest.mark.django_db

FRISIAN = "Lear mei ús: kêns, ûnderwiis en bôle 🚀"


def _page_text(pdf: bytes) -> bytes:
    """Every content stream, inflated when fpdf2 compressed it."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    texts = []
    for stream in streams:
        try:
            texts.append(zlib.decompress(stream))
        except zlib.error:
            texts.append(stream)
    return b"\n".join(texts)


def test_it_makes_a_pdf_with_the_campaign_name_in_latin_1() -> None:
    campaign = make_campaign(name=FRISIAN)
    pdf = report_pdf(campaign, sample_report(name=FRISIAN, slug=campaign.slug), compress=False)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert "Lear mei ús: kêns, ûnderwiis en bôle".encode("latin-1") in pdf


def test_the_compressed_pdf_holds_the_same_text() -> None:
    campaign = make_campaign(name="Leading at Acme")
    pdf = report_pdf(campaign, sample_report(slug=campaign.slug))
    text = _page_text(pdf)
    assert b"Leading at Acme" in text
    for expected in (
        b"Funnel",
        b"By department",
        b"By channel",
        b"Variant comparisons",
        b"Subject A",
    ):
        assert expected in text, expected
    assert b"< 5" in text, "hidden counts print as < 5"
    assert b"Groups of fewer than 5 people" in text


def test_the_pdf_draws_one_bar_per_shown_stage() -> None:
    campaign = make_campaign()
    text = _page_text(report_pdf(campaign, sample_report(slug=campaign.slug), compress=False))
    bars = [float(w) for w in re.findall(rb"127\.56 [\d.]+ ([\d.]+) -11\.34 re f", text)]
    # A grey track per stage, and a blue bar over each stage that is not hidden.
    tracks, fills = bars[0::2], bars[1::2]
    assert len(tracks) == 6 and len(fills) == 5
    assert [round(w / tracks[0], 3) for w in fills] == [1.0, 0.958, 0.629, 0.196, 0.121]


def test_an_empty_campaign_still_makes_a_report() -> None:
    campaign = make_campaign(name="Nobody yet")
    text = _page_text(report_pdf(campaign, sample_report(empty=True), compress=False))
    assert b"has not reached anyone yet" in text


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
