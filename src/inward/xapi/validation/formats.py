"""The value formats of xAPI 1.0.3 and reading JSON the way the LRS must.

IRIs, UUIDs, RFC 5646 language tags, ISO 8601 timestamps and durations, and
:func:`parse_json`, which reads a request body or parameter and refuses what the
specification or the database cannot take: a key used twice in one object, NaN and
infinities, numbers too large to store, the NUL character and unpaired surrogates, and
nesting deeper than Python's parser goes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

VOIDED_VERB: Final = "http://adlnet.gov/expapi/verbs/voided"


class XapiValidationError(ValueError):
    """A statement (or parameter) the specification says the LRS must reject.

    ``str(err)`` is ``"<json path>: <what is wrong>"``; ``path`` and ``detail`` hold the
    two parts.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail


# --- formats -----------------------------------------------------------------------------

# RFC 3987 (IRI) checked "best effort", as the specification allows: a scheme (RFC 3986
# section 3.1), then no whitespace, control characters or characters IRIs exclude, and
# percent signs only as %XX escapes.
_IRI_CHARS: Final = r"[^\x00-\x20\x7f-\x9f<>\"{}|\\^`%]*"
_IRI_RE: Final = re.compile(
    rf"[A-Za-z][A-Za-z0-9+.\-]*:{_IRI_CHARS}(?:%[0-9A-Fa-f]{{2}}{_IRI_CHARS})*"
)
UUID_RE: Final = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)
SHA1_RE: Final = re.compile(r"[0-9A-Fa-f]{40}")
# The SHA-2 family in hex: SHA-224, SHA-256, SHA-384, SHA-512.
SHA2_RE: Final = re.compile(r"[0-9A-Fa-f]{56}(?:[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{32}){0,2})?")
# An addr-spec after "mailto:", checked loosely: something, one "@", a domain; no spaces,
# no second address.
MAILTO_RE: Final = re.compile(r"mailto:[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+")
_MEDIA_NAME: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110 token
MEDIA_TYPE_RE: Final = re.compile(rf"{_MEDIA_NAME}/{_MEDIA_NAME}(?:\s*;.*)?", re.S)
# "1.0" or "1.0.x" with x a semantic-versioning patch number (pre-release and build
# labels allowed: the LRS must accept every version that starts with "1.0.").
VERSION_RE: Final = re.compile(r"1\.0(?:\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?")

# RFC 5646 section 2.1: langtag / privateuse / grandfathered, case-insensitive.
_LANGTAG: Final = (
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})"  # language (+extlang)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"  # private use
)
_PRIVATEUSE: Final = r"[Xx](?:-[A-Za-z0-9]{1,8})+"
_GRANDFATHERED: Final = (
    r"en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo"
    r"|i-pwn|i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE"
    r"|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_LANGUAGE_TAG_RE: Final = re.compile(
    rf"(?:{_GRANDFATHERED})|(?:{_LANGTAG})|(?:{_PRIVATEUSE})", re.IGNORECASE
)

# ISO 8601 date and time: calendar date, "T", time with optional seconds and fraction,
# optional offset; extended (2015-01-02T03:04:05Z) or basic (20150102T030405Z) format.
_TIMESTAMP_RE: Final = re.compile(
    r"(?P<year>\d{4})(?P<dash>-?)(?P<month>\d{2})(?P=dash)(?P<day>\d{2})"
    r"[Tt](?P<hour>\d{2})(?P<colon>:?)(?P<minute>\d{2})"
    r"(?:(?P=colon)(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?"
)
# ISO 8601:2004 4.4.3.2 durations: PnYnMnDTnHnMnS (any part optional but not all, a
# fraction allowed) or PnW on its own. The alternative format (P0003-01-02T...) is not.
_NUM: Final = r"\d+(?:[.,]\d+)?"
DURATION_RE: Final = re.compile(
    rf"P(?:{_NUM}W|(?=[\dT])(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)


# Verb ids, activity ids, extension keys and language tags repeat from statement to
# statement; remembering the ones already seen valid makes a set lookup of most checks.
# Bounded in number and length so a stream of unique or huge values cannot grow memory.
_KNOWN_LIMIT: Final = 4096
_KNOWN_LENGTH: Final = 512
_known_iris: set[str] = set()
_known_tags: set[str] = set()


def _remember(known: set[str], text: str) -> None:
    if len(text) <= _KNOWN_LENGTH:
        if len(known) >= _KNOWN_LIMIT:
            known.clear()
        known.add(text)


def iri_ok(text: str) -> bool:
    """:func:`is_iri` for a value already known to be a string."""
    if text in _known_iris:
        return True
    if _IRI_RE.fullmatch(text) is None:
        return False
    _remember(_known_iris, text)
    return True


def tag_ok(text: str) -> bool:
    """:func:`is_language_tag` for a value already known to be a string."""
    if text in _known_tags:
        return True
    if _LANGUAGE_TAG_RE.fullmatch(text) is None:
        return False
    _remember(_known_tags, text)
    return True


def is_iri(text: object) -> bool:
    """Whether ``text`` is a string that looks like an absolute IRI (has a scheme)."""
    return type(text) is str and iri_ok(text)


def is_uuid(text: object) -> bool:
    """Whether ``text`` is a UUID in the standard 8-4-4-4-12 hex form (either case)."""
    return type(text) is str and UUID_RE.fullmatch(text) is not None


def is_language_tag(text: object) -> bool:
    """Whether ``text`` is a well-formed RFC 5646 language tag (``en``, ``en-US``, ``tlh``,
    ``zh-Hant-TW``, ``x-private``...). The registry is not consulted."""
    return type(text) is str and tag_ok(text)


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 combined date and time as an aware datetime.

    A timestamp without an offset is taken as UTC (the specification only recommends the
    offset). The "unknown local offset" ``-00:00`` (also ``-0000``, ``-00``) is refused, as
    the conformance suite requires. Fractions beyond microseconds are truncated. Raises
    ``ValueError`` for anything else.
    """
    match = _TIMESTAMP_RE.fullmatch(text) if type(text) is str else None
    if match is None:
        raise ValueError("must be an ISO 8601 date and time, e.g. 2015-01-02T03:04:05.678Z")
    if match["sign"] == "-" and match["oh"] == "00" and match["om"] in (None, "00"):
        raise ValueError("must not use the offset -00:00; use Z or +00:00")
    try:
        # The C parser takes every form the pattern lets through but lower-case t/z,
        # leap seconds and out-of-range values, which the slow path below explains.
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return _timestamp_from_parts(match)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _timestamp_from_parts(match: re.Match[str]) -> dt.datetime:
    microsecond = int(((match["fraction"] or "") + "000000")[:6])
    tz = _offset(match)
    second = int(match["second"] or 0)
    if second == 60:  # a leap second is kept as :59
        second = 59
    try:
        return dt.datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            second,
            microsecond,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"is not a real date and time ({exc})") from None


def _offset(match: re.Match[str]) -> dt.tzinfo:
    if match["sign"] is None:
        return dt.UTC
    hours, minutes = int(match["oh"]), int(match["om"] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("has an impossible time zone offset")
    if hours == 0 and minutes == 0:
        return dt.UTC
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if match["sign"] == "-" else delta)


def validate_timestamp(value: object, path: str) -> dt.datetime:
    """``value`` as an aware datetime, or :class:`XapiValidationError` naming ``path``."""
    if type(value) is not str:
        kind = json_kind(value)
        raise XapiValidationError(path, f"must be an ISO 8601 timestamp string, not {kind}")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise XapiValidationError(path, str(exc)) from None


def validate_duration(value: object, path: str) -> None:
    """An ISO 8601 duration such as ``PT1H0M0.1S``, ``P3Y`` or ``P4W``."""
    if type(value) is not str:
        kind = json_kind(value)
        raise XapiValidationError(path, f"must be an ISO 8601 duration string, not {kind}")
    if DURATION_RE.fullmatch(value) is None:
        raise XapiValidationError(path, "must be an ISO 8601 duration, e.g. PT1H30M or P4W")


def json_kind(value: object) -> str:
    """The JSON type of ``value`` for error messages: "null", "a number", "an object"..."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads` that refuses an object using a key twice
    (the specification: a statement MUST use each property no more than one time)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise XapiValidationError(key, "is given more than once")
            seen.add(key)
    return result


_NUL_ESCAPE_RE: Final = re.compile(r"(?:^|[^\\])(?:\\\\)*\\u0000")
_SURROGATE_ESCAPE_RE: Final = re.compile(r"\\u[dD][89a-fA-F]")
# Only text with a three-digit exponent or a run of 309 digits can hold a number beyond a
# double; the (slower) float hook that refuses infinities runs only then.
# The look-behind makes each run of digits one attempt: without it, text made of runs of
# 308 digits costs 308 steps per character (13 s for 10 MB).
_HUGE_NUMBER_RE: Final = re.compile(r"[eE]\+?0*[1-9]\d{2}|(?<!\d)\d{309}")
# Deeper nesting is refused: statements need about ten levels, and every recursive walk of
# a statement (comparison, formats, json.dumps when it is stored) must stay far from
# Python's recursion limit.
MAX_JSON_DEPTH: Final = 100


def _refuse_constant(name: str) -> Any:
    raise XapiValidationError("json", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise XapiValidationError("json", f"the number {text[:20]} is too large")
    return value


def parse_json(text: str | bytes, *, path: str = "body") -> Any:
    """``text`` parsed as JSON for the LRS, or :class:`XapiValidationError` naming
    ``path``: invalid JSON, a key repeated in an object, NaN/Infinity or a number too large
    for a double, a string holding NUL or an unpaired surrogate (PostgreSQL cannot store
    either), or nesting deeper than the parser allows."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise XapiValidationError(path, "must be UTF-8") from None
    if "\\u0000" in text and _NUL_ESCAPE_RE.search(text) is not None:
        raise XapiValidationError(path, "must not contain the NUL character (\\u0000)")
    try:
        value = json.loads(
            text,
            object_pairs_hook=reject_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_float=_finite_float if _HUGE_NUMBER_RE.search(text) else None,
        )
    except XapiValidationError as exc:
        raise XapiValidationError(path, f"{exc.path}: {exc.detail}") from None
    except RecursionError:
        raise XapiValidationError(path, "is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and integers beyond the digit limit
        raise XapiValidationError(path, f"is not valid JSON ({exc})") from None
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _too_deep(value):
        raise XapiValidationError(path, f"is nested more than {MAX_JSON_DEPTH} levels deep")
    if _SURROGATE_ESCAPE_RE.search(text) is not None:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise XapiValidationError(path, "must not contain unpaired surrogates") from None
    return value


def _too_deep(value: Any) -> bool:
    """Whether arrays and objects in ``value`` nest more than ``MAX_JSON_DEPTH`` levels
    (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else ()
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= MAX_JSON_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False
