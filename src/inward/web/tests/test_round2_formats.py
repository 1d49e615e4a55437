"""West Frisian pages write numbers and dates the Frisian way: Inward's own format module
(``inward/formats/fy``) and month and weekday names carried in Inward's catalogues."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.template import Context, Template
from django.utils import dates, translation
from django.utils.formats import date_format, get_format, number_format, reset_format_cache

import inward.web.django_messages

# The keywords ``makemessages`` hands xgettext for Python files.
KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]
DAY = dt.date(2026, 10, 28)  # a Wednesday


@pytest.fixture(autouse=True)
def _fresh_formats() -> Iterator[None]:
    """Django caches each language's format modules and resets the cache when a format
    setting changes, but not when ``FORMAT_MODULE_PATH`` does."""
    reset_format_cache()
    yield
    reset_format_cache()


@pytest.fixture
def frisian(settings: Any) -> Iterator[None]:
    settings.FORMAT_MODULE_PATH = ["inward.formats"]
    with translation.override("fy"):
        yield


def test_it_writes_frisian_numbers_with_a_decimal_comma(frisian: None) -> None:
    assert number_format(0.107, 3) == "0,107"
    assert number_format(1234567, force_grouping=True) == "1.234.567"
    assert Template("{{ p|floatformat:3 }}").render(Context({"p": 0.10666})) == "0,107"


def test_it_writes_frisian_dates_day_first(frisian: None) -> None:
    october = str(dates.MONTHS[10])  # whatever the catalogue calls it
    assert date_format(DAY, "SHORT_DATE_FORMAT") == "28-10-2026"
    assert date_format(DAY) == f"28 {october} 2026"
    moment = dt.datetime(2026, 10, 28, 7, 5)
    assert date_format(moment, "DATETIME_FORMAT") == f"28 {october} 2026 07:05"
    assert date_format(moment, "SHORT_DATETIME_FORMAT") == "28-10-2026 07:05"
    assert get_format("FIRST_DAY_OF_WEEK") == 1


def test_the_date_filter_takes_frisian_names_from_the_catalogue(frisian: None) -> None:
    rendered = Template('{{ day|date:"l j M Y" }}').render(Context({"day": DAY}))
    expected = f"{dates.WEEKDAYS[2]} 28 {str(dates.MONTHS_3[10]).title()} 2026"
    assert rendered == expected
    assert translation.get_language() == "fy"


def test_dutch_keeps_djangos_formats(settings: Any) -> None:
    settings.FORMAT_MODULE_PATH = ["inward.formats"]
    with translation.override("nl"):
        assert number_format(0.107, 3) == "0,107"
        assert date_format(DAY, "SHORT_DATE_FORMAT") == "28-10-2026"
        assert date_format(DAY) == "28 oktober 2026"


def test_without_the_setting_frisian_falls_back_to_english_formats(settings: Any) -> None:
    """What the setting fixes: proof that these tests exercise Inward's module."""
    settings.FORMAT_MODULE_PATH = None
    with translation.override("fy"):
        assert number_format(0.107, 3) == "0.107"


def _extracted(path: Path) -> set[tuple[str, str]]:
    """(context, msgid) pairs xgettext finds in a Python file, as makemessages runs it."""
    out = subprocess.run(
        ["xgettext", "--language=Python", "--from-code=UTF-8", "-o", "-", *KEYWORDS, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    entries = re.findall(r'(?:msgctxt "([^"]*)"\n)?msgid "([^"]*)"\n', out)
    return {(context, msgid) for context, msgid in entries if msgid}


def test_our_catalogues_carry_every_month_and_weekday_name_django_asks_for() -> None:
    django_dates = Path(django.__file__).parent / "utils" / "dates.py"
    asked = _extracted(django_dates)
    assert len(asked) == 7 * 2 + 12 * 4  # weekdays, abbreviated; four sets of months
    assert ("abbrev. month", "Sept.") in asked and ("alt. month", "May") in asked
    ours = _extracted(Path(inward.web.django_messages.__file__))
    assert asked - ours == set()
