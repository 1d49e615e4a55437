"""The Dutch and West Frisian catalogues are complete and compiled."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["nl", "fy"]


Key = tuple[str | None, str]  # (msgctxt, msgid)


def _parse_po(path: Path) -> dict[Key, tuple[str, bool]]:
    """(context, msgid) -> (first msgstr, fuzzy). Plural entries count by their singular
    msgid; the month names Django's date formats use come with a context."""
    entries: dict[Key, tuple[str, bool]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith("msg"):
                current, _, value = line.partition(" ")
                fields[current] = _unquote(value)
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
        msgid = fields.get("msgid")
        if msgid:  # the header has an empty msgid
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            key = (fields.get("msgctxt"), msgid)
            entries[key] = (msgstr, "fuzzy" in block.split("msgid")[0])
    return entries


def _unquote(text: str) -> str:
    return str(eval(text))  # noqa: S307 - a quoted string literal from our own .po file


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    entries = _parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50
    missing = [msgid for msgid, (msgstr, fuzzy) in entries.items() if not msgstr or fuzzy]
    assert missing == [], f"{language}: untranslated or fuzzy: {missing[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    entries = _parse_po(folder / "django.po")
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        (context, msgid)
        for (context, msgid), (msgstr, _) in entries.items()
        if (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], f"{language}: django.mo is stale; run `make messages`: {stale[:10]}"


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2]
    copy = tmp_path / "inward"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "inward", "makemessages", "-l", "nl", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    found = set(_parse_po(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po"))
    for language in LANGUAGES:
        known = set(_parse_po(LOCALE / language / "LC_MESSAGES" / "django.po"))
        assert found - known == set(), f"{language}: run `make messages` and translate"
