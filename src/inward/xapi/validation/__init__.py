"""Checking xAPI 1.0.3 statements the way the specification's Data part says an LRS must.

Pure functions: no database, no Django. The LRS views read the request body with
:func:`parse_json` (which refuses repeated keys, NaN, NUL characters and other JSON that
cannot be stored), then call :func:`validate_statements_payload` (POST) or
:func:`validate_statement` (PUT); anything the
specification says an LRS MUST reject raises :class:`XapiValidationError`, whose message
names the JSON path of the first problem (``statement.actor.mbox: must start with
'mailto:'``), and the view answers ``400 Bad Request`` with it.

What is checked, in short: only the properties the specification defines, with the exact
case (unknown properties, ``null`` outside extension values and wrong JSON types are
rejected); ``objectType`` values exactly; Agents with exactly one inverse functional
identifier, Groups identified by one or anonymous with members (Agents only); IRIs with a
scheme; RFC 5646 language tags as language-map keys; UUIDs in standard form; ISO 8601
timestamps (not the "unknown" ``-00:00`` offset) and durations; interaction components
only with an ``interactionType`` that uses them; scores within their bounds; context
``revision``/``platform`` only about an Activity; SubStatement and StatementRef rules;
voiding statements about a StatementRef; authority an Agent or a two-Agent Group (3-legged
OAuth); statement ``version`` 1.0.x. Extension values are never inspected (the
specification forbids rejecting a statement for them), only that their keys are IRIs.

The checks are plain dictionary lookups and precompiled regular expressions, with the
paths of error messages built only on failure and IRIs and language tags already seen
remembered: about 15 µs of CPU for a typical statement (a course completion with score,
context activities and extensions), so validation is a small part of ingest. The
statement is never copied or changed.

``formats`` holds the value formats and JSON reading, ``statements`` the structure.
"""

from inward.xapi.validation.formats import (
    MAX_JSON_DEPTH,
    MEDIA_TYPE_RE,
    VOIDED_VERB,
    XapiValidationError,
    is_iri,
    is_language_tag,
    is_uuid,
    parse_json,
    parse_timestamp,
    reject_duplicate_keys,
    validate_duration,
    validate_timestamp,
)
from inward.xapi.validation.statements import (
    INTERACTION_TYPES,
    agent_ifi,
    validate_activity,
    validate_actor,
    validate_agent_parameter,
    validate_extensions,
    validate_language_map,
    validate_statement,
    validate_statements_payload,
)

__all__ = [
    "INTERACTION_TYPES",
    "MAX_JSON_DEPTH",
    "MEDIA_TYPE_RE",
    "VOIDED_VERB",
    "XapiValidationError",
    "agent_ifi",
    "is_iri",
    "is_language_tag",
    "is_uuid",
    "parse_json",
    "parse_timestamp",
    "reject_duplicate_keys",
    "validate_activity",
    "validate_actor",
    "validate_agent_parameter",
    "validate_duration",
    "validate_extensions",
    "validate_language_map",
    "validate_statement",
    "validate_statements_payload",
    "validate_timestamp",
]
