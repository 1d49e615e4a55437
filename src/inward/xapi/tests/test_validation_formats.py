"""The value formats of xAPI 1.0.3 on their own, and reading JSON bodies and parameters."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inward.xapi.validation import (
    XapiValidationError,
    is_iri,
    is_language_tag,
    is_uuid,
    parse_json,
    parse_timestamp,
    validate_duration,
    validate_statement,
)

# --- the format checks on their own ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://adlnet.gov/expapi/verbs/completed", True),
        ("urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0", True),
        ("mailto:a@example.com", True),
        ("tag:example.com,2026:x", True),
        ("https://example.com/é?q=1#f", True),
        ("https://example.com/a%20b", True),
        ("example.com/path", False),
        ("ab=c://should.fail.com", False),
        ("1http://example.com", False),
        ("http://example.com/a b", False),
        ("http://example.com/<a>", False),
        ("http://example.com/%2", False),
        ("", False),
        (None, False),
        (12, False),
    ],
)
def test_is_iri(text: object, expected: bool) -> None:
    assert is_iri(text) is expected
    assert is_iri(text) is expected  # and again, now that a valid one is remembered


def test_is_iri_checks_long_values_every_time() -> None:
    long_iri = "https://example.com/" + "a" * 5000
    assert is_iri(long_iri)
    assert not is_iri(long_iri + " ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fd41c918-b88b-4b20-a0a5-a4c32391aaa0", True),
        ("AA97B177-9383-4934-8543-0F91A7A02836", True),
        ("AA97B177-9383-4934-8543-0F91A7A028368", False),
        ("MA97B177-9383-4934-8543-0F91A7A02836", False),
        ("fd41c918b88b4b20a0a5a4c32391aaa0", False),
        (" fd41c918-b88b-4b20-a0a5-a4c32391aaa0", False),
        (12345, False),
    ],
)
def test_is_uuid(text: object, expected: bool) -> None:
    assert is_uuid(text) is expected


def test_parse_timestamp_reads_offsets_and_assumes_utc_without_one() -> None:
    assert parse_timestamp("2015-01-02T03:04:05.678+01:00") == dt.datetime(
        2015, 1, 2, 2, 4, 5, 678000, tzinfo=dt.UTC
    )
    assert parse_timestamp("2015-01-02T03:04:05").tzinfo is dt.UTC
    assert parse_timestamp("2015-01-02t03:04:05z") == dt.datetime(
        2015, 1, 2, 3, 4, 5, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "text", ["2015-01-02", "2015-13-02T03:04:05Z", "2015-01-02T03:04:05-00:00", ""]
)
def test_parse_timestamp_refuses_what_is_not_a_point_in_time(text: str) -> None:
    with pytest.raises(ValueError, match=r"must|not"):
        parse_timestamp(text)


@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [
                dt.UTC,
                dt.timezone(dt.timedelta(hours=5, minutes=30)),
                dt.timezone(dt.timedelta(hours=-8)),
            ]
        ),
    )
)
def test_any_rfc_3339_timestamp_parses_back_to_the_same_instant(moment: dt.datetime) -> None:
    assert parse_timestamp(moment.isoformat()) == moment
    assert parse_timestamp(moment.isoformat(timespec="milliseconds")) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


_number = st.integers(min_value=0, max_value=9999).map(str)


@given(
    st.lists(st.one_of(st.none(), _number), min_size=6, max_size=6).filter(lambda p: any(p)),
    st.booleans(),
)
def test_any_duration_made_of_designated_parts_is_accepted(
    parts: list[str | None], fraction: bool
) -> None:
    years, months, days, hours, minutes, seconds = parts
    date = "".join(f"{n}{d}" for n, d in ((years, "Y"), (months, "M"), (days, "D")) if n)
    time = "".join(f"{n}{d}" for n, d in ((hours, "H"), (minutes, "M")) if n)
    if seconds:
        time += f"{seconds}{'.25' if fraction else ''}S"
    validate_duration(f"P{date}{'T' + time if time else ''}", "duration")


def _alpha(size: int, most: int | None = None) -> st.SearchStrategy[str]:
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return st.text(alphabet=letters, min_size=size, max_size=most or size)


def _alnum(size: int, most: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=size, max_size=most)


# Each part is drawn at the sizes the grammar allows (not filtered down to them: a filter
# that rejects most draws can fail hypothesis's health check on an unlucky run).
@given(
    st.one_of(_alpha(2, 3), _alpha(5, 8)),
    st.one_of(st.none(), _alpha(4)),
    st.one_of(st.none(), _alpha(2), st.from_regex(r"\A[0-9]{3}\Z")),
    st.lists(_alnum(5, 8), max_size=2),
    st.one_of(st.none(), _alnum(1, 8)),
)
def test_any_tag_built_by_the_rfc_5646_grammar_is_a_language_tag(
    language: str, script: str | None, region: str | None, variants: list[str], private: str | None
) -> None:
    parts = [language, script, region, *variants, f"x-{private}" if private else None]
    assert is_language_tag("-".join(part for part in parts if part))


@given(
    st.text(min_size=1, max_size=12).filter(
        lambda s: any(not (c.isascii() and (c.isalnum() or c == "-")) for c in s)
    )
)
def test_a_tag_with_anything_but_ascii_letters_digits_and_hyphens_is_not_a_language_tag(
    text: str,
) -> None:
    assert not is_language_tag(text)


# --- reading JSON ------------------------------------------------------------------------


def test_parse_json_reads_a_statement_body() -> None:
    body = '{"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": "http://a.b/v"}, "object": {"id": "http://a.b/o"}}'
    statement = parse_json(body.encode())
    validate_statement(statement)
    assert statement["verb"] == {"id": "http://a.b/v"}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"a": 1, "a": 2}', "more than once"),
        ('{"a": {"b": 1, "b": 1}}', "more than once"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": 1e400}', "too large"),
        ('{"a": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"a": "\\u0000"}', "NUL"),
        ('{"a\\u0000": 1}', "NUL"),
        ('{"a": "\\\\\\u0000"}', "NUL"),
        ('{"a": "\\ud800"}', "surrogate"),
        ('["\\udfff x"]', "surrogate"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": 1', "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_parse_json_refuses_what_cannot_be_stored_or_is_ambiguous(body: str, detail: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        parse_json(body)
    assert caught.value.path == "body"
    assert detail in caught.value.detail


def test_parse_json_refuses_bytes_that_are_not_utf_8() -> None:
    with pytest.raises(XapiValidationError, match="UTF-8"):
        parse_json(b'{"a": "\xff"}')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"a": "\\\\u0000"}', {"a": "\\u0000"}),
        ('{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}),
        ('{"a": 1.5e300, "b": -0.0}', {"a": 1.5e300, "b": -0.0}),
        ('{"a": [' * 50 + "]}" * 50, json.loads('{"a": [' * 50 + "]}" * 50)),
    ],
)
def test_parse_json_keeps_what_only_looks_suspicious(body: str, expected: object) -> None:
    assert parse_json(body) == expected


_storable_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8
)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _storable_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_storable_text, inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_parse_json_reads_back_any_storable_json(value: object) -> None:
    assert parse_json(json.dumps(value)) == value
    assert parse_json(json.dumps(value, ensure_ascii=False)) == value
