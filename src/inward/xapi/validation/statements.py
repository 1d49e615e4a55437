"""The structure of xAPI 1.0.3 statements: which properties, of which types, where."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from inward.xapi.validation.formats import (
    DURATION_RE,
    MAILTO_RE,
    MEDIA_TYPE_RE,
    SHA1_RE,
    SHA2_RE,
    UUID_RE,
    VERSION_RE,
    VOIDED_VERB,
    XapiValidationError,
    iri_ok,
    json_kind,
    parse_json,
    tag_ok,
    validate_duration,
    validate_timestamp,
)

# --- small helpers -----------------------------------------------------------------------
# The checks take the parent object, the key and the parent's path, and build the
# "statement.x.y" string only when they raise: most statements are valid, and building
# every path would cost more than checking.


def _fail(path: str, key: str, detail: str) -> XapiValidationError:
    return XapiValidationError(f"{path}.{key}", detail)


def _object(value: object, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise XapiValidationError(path, f"must be an object, not {json_kind(value)}")
    return value


def _child(obj: dict[str, Any], key: str, path: str) -> tuple[dict[str, Any], str]:
    """``obj[key]``, which must be an object, and its path."""
    child_path = f"{path}.{key}"
    return _object(obj[key], child_path), child_path


def _only(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    if not obj.keys() <= allowed:
        unknown = sorted(obj.keys() - allowed)
        raise _fail(path, unknown[0], "is not a property allowed here")


def _required(obj: dict[str, Any], keys: tuple[str, ...], path: str) -> None:
    for key in keys:
        if key not in obj:
            raise _fail(path, key, "is required")


def _string(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj[key]
    if type(value) is not str:
        raise _fail(path, key, f"must be a string, not {json_kind(value)}")
    return value


def _iri(obj: dict[str, Any], key: str, path: str, what: str = "an IRI") -> str:
    value = obj[key]
    if type(value) is not str:
        raise _fail(path, key, f"must be {what} (a string), not {json_kind(value)}")
    if not iri_ok(value):
        raise _fail(path, key, f"must be {what} with a scheme, e.g. https://…")
    return value


def _uuid(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj[key]
    if type(value) is not str:
        raise _fail(path, key, f"must be a UUID string, not {json_kind(value)}")
    if UUID_RE.fullmatch(value) is None:
        raise _fail(path, key, "must be a UUID in standard form (8-4-4-4-12 hex digits)")
    return value


def _number(obj: dict[str, Any], key: str, path: str) -> float:
    value = obj[key]
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return value
    raise _fail(path, key, f"must be a number, not {json_kind(value)}")


def _boolean(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj[key]
    if type(value) is not bool:
        raise _fail(path, key, f"must be true or false, not {json_kind(value)}")


def _object_type(obj: dict[str, Any], path: str, default: str) -> str:
    if "objectType" not in obj:
        return default
    value = obj["objectType"]
    if type(value) is not str:
        raise _fail(path, "objectType", f"must be a string, not {json_kind(value)}")
    return value


def validate_language_map(value: object, path: str) -> None:
    """An object whose keys are RFC 5646 language tags and whose values are strings."""
    for tag, text in _object(value, path).items():
        if not tag_ok(tag):
            raise _fail(path, tag, "is not an RFC 5646 language tag")
        if type(text) is not str:
            raise _fail(path, tag, f"must be a string, not {json_kind(text)}")


def _language_map(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj[key]
    if type(value) is not dict:
        raise _fail(path, key, f"must be a language map (an object), not {json_kind(value)}")
    for tag, text in value.items():
        if type(text) is not str or not tag_ok(tag):
            validate_language_map(value, f"{path}.{key}")  # raises, naming the entry


def validate_extensions(value: object, path: str) -> None:
    """An object whose keys are IRIs; the values may be anything, ``null`` included."""
    for key in _object(value, path):
        if not iri_ok(key):
            raise _fail(path, key, "extension keys must be IRIs")


def _extensions(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj[key]
    if type(value) is not dict:
        raise _fail(path, key, f"must be an object, not {json_kind(value)}")
    for iri in value:
        if not iri_ok(iri):
            raise _fail(f"{path}.{key}", iri, "extension keys must be IRIs")


# --- actors ------------------------------------------------------------------------------

_IFIS: Final = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS: Final = frozenset({"objectType", "name", *_IFIS})
_GROUP_KEYS: Final = frozenset({"objectType", "name", "member", *_IFIS})
_ACCOUNT_KEYS: Final = frozenset({"homePage", "name"})


def _ifi(obj: dict[str, Any], path: str) -> str | None:
    """Check the inverse functional identifiers; return the one used, None if none."""
    found: str | None = None
    for name in _IFIS:
        if name in obj:
            if found is not None:
                raise XapiValidationError(
                    path, f"must have exactly one identifier; has both {found} and {name}"
                )
            found = name
    if found is not None:
        _IFI_CHECKS[found](obj, found, path)
    return found


def _mbox(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj[key]
    if type(value) is not str:
        raise _fail(path, key, f"must be a mailto: IRI string, not {json_kind(value)}")
    if MAILTO_RE.fullmatch(value) is None:
        if not value.startswith("mailto:"):
            raise _fail(path, key, "must start with 'mailto:'")
        raise _fail(path, key, "must be 'mailto:' followed by one e-mail address")


def _mbox_sha1sum(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj[key]
    if type(value) is not str or SHA1_RE.fullmatch(value) is None:
        raise _fail(path, key, "must be the SHA-1 of a mailto: IRI as 40 hex digits")


def _openid(obj: dict[str, Any], key: str, path: str) -> None:
    _iri(obj, key, path, "a URI")


def _account(obj: dict[str, Any], key: str, path: str) -> None:
    account, account_path = _child(obj, key, path)
    _only(account, _ACCOUNT_KEYS, account_path)
    _required(account, ("homePage", "name"), account_path)
    _iri(account, "homePage", account_path, "an IRL")
    _string(account, "name", account_path)


_IFI_CHECKS: Final = {
    "mbox": _mbox,
    "mbox_sha1sum": _mbox_sha1sum,
    "openid": _openid,
    "account": _account,
}


def _agent(obj: dict[str, Any], path: str) -> None:
    _only(obj, _AGENT_KEYS, path)
    if "name" in obj:
        _string(obj, "name", path)
    if _ifi(obj, path) is None:
        raise XapiValidationError(
            path, "an Agent must have one of mbox, mbox_sha1sum, openid or account"
        )


def _group(obj: dict[str, Any], path: str, *, members: int | None = None) -> None:
    """A Group: identified (one IFI, ``member`` optional) or anonymous (``member``
    required). ``members`` demands an anonymous Group of exactly that many Agents."""
    _only(obj, _GROUP_KEYS, path)
    if "name" in obj:
        _string(obj, "name", path)
    identified = _ifi(obj, path) is not None
    if identified and members is not None:
        raise XapiValidationError(path, "must be an anonymous Group (no identifier)")
    if "member" not in obj:
        if not identified:
            raise _fail(path, "member", "is required for a Group without an identifier")
        return
    member_list = obj["member"]
    if type(member_list) is not list:
        raise _fail(path, "member", f"must be an array, not {json_kind(member_list)}")
    if not identified and not member_list:
        raise _fail(path, "member", "must list at least one Agent")
    if members is not None and len(member_list) != members:
        raise _fail(path, "member", f"must list exactly {members} Agents")
    for index, member in enumerate(member_list):
        member_path = f"{path}.member[{index}]"
        agent = _object(member, member_path)
        if _object_type(agent, member_path, "Agent") != "Agent":
            raise _fail(member_path, "objectType", "members must be Agents")
        _agent(agent, member_path)


def validate_actor(value: object, path: str) -> None:
    """An Agent (``objectType`` absent or ``Agent``) or a Group."""
    obj = _object(value, path)
    object_type = _object_type(obj, path, "Agent")
    if object_type == "Agent":
        _agent(obj, path)
    elif object_type == "Group":
        _group(obj, path)
    else:
        raise _fail(path, "objectType", "must be 'Agent' or 'Group'")


def _authority(value: object, path: str) -> None:
    """An Agent, or (3-legged OAuth) an anonymous Group of exactly two Agents."""
    obj = _object(value, path)
    object_type = _object_type(obj, path, "Agent")
    if object_type == "Agent":
        _agent(obj, path)
    elif object_type == "Group":
        _group(obj, path, members=2)
    else:
        raise _fail(path, "objectType", "must be 'Agent' or 'Group'")


def agent_ifi(agent: dict[str, Any]) -> str | None:
    """The canonical identifier string of a (validated) Agent or identified Group, for
    indexing and queries: ``mbox:mailto:a@b.c``, ``mbox_sha1sum:<lower hex>``,
    ``openid:<uri>``, ``account:<homePage>|<name>``. None for an anonymous Group.

    ``|`` cannot occur in a valid homePage IRI, so the account form is unambiguous.
    """
    if "mbox" in agent:
        return f"mbox:{agent['mbox']}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    if "account" in agent:
        account = agent["account"]
        return f"account:{account['homePage']}|{account['name']}"
    return None


def validate_agent_parameter(text: str) -> dict[str, Any]:
    """The ``agent`` query parameter of GET /statements: JSON for an Agent or an
    identified Group, with exactly one identifier. Returns the parsed object."""
    obj = _object(parse_json(text, path="agent"), "agent")
    object_type = _object_type(obj, "agent", "Agent")
    if object_type == "Agent":
        _agent(obj, "agent")
    elif object_type == "Group":
        _group(obj, "agent")
        if agent_ifi(obj) is None:
            raise XapiValidationError("agent", "a Group used as a filter must have an identifier")
    else:
        raise _fail("agent", "objectType", "must be 'Agent' or 'Group'")
    return obj


# --- verb, activities --------------------------------------------------------------------

_VERB_KEYS: Final = frozenset({"id", "display"})
_ACTIVITY_KEYS: Final = frozenset({"objectType", "id", "definition"})
_COMPONENT_LISTS: Final = ("choices", "scale", "source", "target", "steps")
_DEFINITION_KEYS: Final = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)
_INTERACTION_KEYS: Final = ("interactionType", "correctResponsesPattern", *_COMPONENT_LISTS)
# Which interaction component lists each interactionType may use (Data 2.4.4.1).
INTERACTION_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}
_COMPONENT_KEYS: Final = frozenset({"id", "description"})


def _verb(statement: dict[str, Any], path: str) -> str:
    verb, verb_path = _child(statement, "verb", path)
    _only(verb, _VERB_KEYS, verb_path)
    _required(verb, ("id",), verb_path)
    verb_id = _iri(verb, "id", verb_path)
    if "display" in verb:
        _language_map(verb, "display", verb_path)
    return verb_id


def validate_activity(value: object, path: str) -> None:
    """An Activity object (``objectType`` absent or ``Activity``) with an IRI ``id``."""
    _activity(_object(value, path), path)


def _activity(activity: dict[str, Any], path: str) -> None:
    if "objectType" in activity and activity["objectType"] != "Activity":
        raise _fail(path, "objectType", "must be 'Activity'")
    _only(activity, _ACTIVITY_KEYS, path)
    _required(activity, ("id",), path)
    _iri(activity, "id", path)
    if "definition" in activity:
        _definition(*_child(activity, "definition", path))


def _definition(definition: dict[str, Any], path: str) -> None:
    _only(definition, _DEFINITION_KEYS, path)
    if "name" in definition:
        _language_map(definition, "name", path)
    if "description" in definition:
        _language_map(definition, "description", path)
    if "type" in definition:
        _iri(definition, "type", path)
    if "moreInfo" in definition:
        _iri(definition, "moreInfo", path, "an IRL")
    if "extensions" in definition:
        _extensions(definition, "extensions", path)
    if "interactionType" in definition:
        _interaction(definition, path)
    else:
        for key in _INTERACTION_KEYS:
            if key in definition:
                raise _fail(path, key, "needs an interactionType")


def _interaction(definition: dict[str, Any], path: str) -> None:
    interaction_type = definition["interactionType"]
    if type(interaction_type) is not str or interaction_type not in INTERACTION_TYPES:
        raise _fail(path, "interactionType", f"must be one of {', '.join(INTERACTION_TYPES)}")
    if "correctResponsesPattern" in definition:
        pattern = definition["correctResponsesPattern"]
        if type(pattern) is not list:
            kind = json_kind(pattern)
            raise _fail(path, "correctResponsesPattern", f"must be an array, not {kind}")
        for index, response in enumerate(pattern):
            if type(response) is not str:
                raise _fail(
                    path,
                    f"correctResponsesPattern[{index}]",
                    f"must be a string, not {json_kind(response)}",
                )
    allowed = INTERACTION_TYPES[interaction_type]
    for key in _COMPONENT_LISTS:
        if key in definition:
            if key not in allowed:
                raise _fail(path, key, f"is not used with interactionType {interaction_type!r}")
            _components(definition[key], f"{path}.{key}")


def _components(value: object, path: str) -> None:
    if type(value) is not list:
        raise XapiValidationError(path, f"must be an array, not {json_kind(value)}")
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        component = _object(item, item_path)
        _only(component, _COMPONENT_KEYS, item_path)
        _required(component, ("id",), item_path)
        component_id = _string(component, "id", item_path)
        if component_id in seen:
            raise _fail(item_path, "id", f"{component_id!r} is used twice")
        seen.add(component_id)
        if "description" in component:
            _language_map(component, "description", item_path)


# --- the statement's object --------------------------------------------------------------

_STATEMENT_REF_KEYS: Final = frozenset({"objectType", "id"})
_OBJECT_TYPES: Final = "'Activity', 'Agent', 'Group', 'StatementRef' or 'SubStatement'"


def _statement_ref(obj: dict[str, Any], path: str) -> None:
    _only(obj, _STATEMENT_REF_KEYS, path)
    if obj.get("objectType") != "StatementRef":
        raise _fail(path, "objectType", "must be 'StatementRef'")
    _required(obj, ("id",), path)
    _uuid(obj, "id", path)


def _statement_object(statement: dict[str, Any], path: str, *, in_substatement: bool) -> str:
    """Check the ``object`` of a statement; return its objectType."""
    obj, obj_path = _child(statement, "object", path)
    object_type = _object_type(obj, obj_path, "Activity")
    if object_type == "Activity":
        _activity(obj, obj_path)
    elif object_type == "Agent":
        _agent(obj, obj_path)
    elif object_type == "Group":
        _group(obj, obj_path)
    elif object_type == "StatementRef":
        _statement_ref(obj, obj_path)
    elif object_type == "SubStatement":
        if in_substatement:
            raise _fail(obj_path, "objectType", "a SubStatement cannot contain a SubStatement")
        _statement(obj, obj_path, substatement=True)
    else:
        raise _fail(obj_path, "objectType", f"must be {_OBJECT_TYPES}")
    return object_type


# --- result, context, attachments --------------------------------------------------------

_RESULT_KEYS: Final = frozenset(
    {"score", "success", "completion", "response", "duration", "extensions"}
)
_SCORE_KEYS: Final = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS: Final = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_ACTIVITY_KEYS: Final = frozenset({"parent", "grouping", "category", "other"})
_ATTACHMENT_KEYS: Final = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
_ATTACHMENT_REQUIRED: Final = ("usageType", "display", "contentType", "length", "sha2")


def _result(result: dict[str, Any], path: str) -> None:
    _only(result, _RESULT_KEYS, path)
    if "score" in result:
        _score(*_child(result, "score", path))
    if "success" in result:
        _boolean(result, "success", path)
    if "completion" in result:
        _boolean(result, "completion", path)
    if "response" in result:
        _string(result, "response", path)
    if "duration" in result:
        duration = result["duration"]
        if type(duration) is not str or DURATION_RE.fullmatch(duration) is None:
            validate_duration(duration, f"{path}.duration")  # raises with the reason
    if "extensions" in result:
        _extensions(result, "extensions", path)


def _score(score: dict[str, Any], path: str) -> None:
    _only(score, _SCORE_KEYS, path)
    if "scaled" in score and not -1 <= _number(score, "scaled", path) <= 1:
        raise _fail(path, "scaled", "must be between -1 and 1")
    low = _number(score, "min", path) if "min" in score else None
    high = _number(score, "max", path) if "max" in score else None
    if low is not None and high is not None and not low < high:
        raise _fail(path, "min", "must be less than max")
    if "raw" in score:
        raw = _number(score, "raw", path)
        if low is not None and raw < low:
            raise _fail(path, "raw", "must not be less than min")
        if high is not None and raw > high:
            raise _fail(path, "raw", "must not be more than max")


def _context(context: dict[str, Any], path: str, object_type: str) -> None:
    _only(context, _CONTEXT_KEYS, path)
    if "registration" in context:
        _uuid(context, "registration", path)
    if "instructor" in context:
        validate_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        team, team_path = _child(context, "team", path)
        if _object_type(team, team_path, "Agent") != "Group":
            raise _fail(team_path, "objectType", "must be 'Group'")
        _group(team, team_path)
    if "contextActivities" in context:
        _context_activities(*_child(context, "contextActivities", path))
    for key in ("revision", "platform"):
        if key in context:
            _string(context, key, path)
            if object_type != "Activity":
                raise _fail(path, key, "may only be used when the object is an Activity")
    if "language" in context and not tag_ok(_string(context, "language", path)):
        raise _fail(path, "language", "is not an RFC 5646 language tag")
    if "statement" in context:
        _statement_ref(*_child(context, "statement", path))
    if "extensions" in context:
        _extensions(context, "extensions", path)


def _context_activities(activities: dict[str, Any], path: str) -> None:
    _only(activities, _CONTEXT_ACTIVITY_KEYS, path)
    for key, entry in activities.items():
        if type(entry) is list:
            for index, activity in enumerate(entry):
                if type(activity) is not dict:
                    raise _fail(
                        path,
                        f"{key}[{index}]",
                        f"must be an Activity object, not {json_kind(activity)}",
                    )
                _activity(activity, f"{path}.{key}[{index}]")
        else:
            _activity(*_child(activities, key, path))


def _attachments(value: object, path: str) -> None:
    if type(value) is not list:
        raise XapiValidationError(path, f"must be an array, not {json_kind(value)}")
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        _attachment(_object(item, item_path), item_path)


def _attachment(attachment: dict[str, Any], path: str) -> None:
    _only(attachment, _ATTACHMENT_KEYS, path)
    _required(attachment, _ATTACHMENT_REQUIRED, path)
    _iri(attachment, "usageType", path)
    _language_map(attachment, "display", path)
    if "description" in attachment:
        _language_map(attachment, "description", path)
    if MEDIA_TYPE_RE.fullmatch(_string(attachment, "contentType", path)) is None:
        raise _fail(path, "contentType", "must be a media type, e.g. text/plain")
    length = attachment["length"]
    if type(length) is not int or length < 0:
        raise _fail(path, "length", f"must be a whole number of octets, not {json_kind(length)}")
    if SHA2_RE.fullmatch(_string(attachment, "sha2", path)) is None:
        raise _fail(path, "sha2", "must be a SHA-2 hash in hex")
    if "fileUrl" in attachment:
        _iri(attachment, "fileUrl", path, "an IRL")


# --- statements --------------------------------------------------------------------------

_STATEMENT_KEYS: Final = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_SUBSTATEMENT_KEYS: Final = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_SUBSTATEMENT_FORBIDDEN: Final = ("id", "stored", "version", "authority")
_STATEMENT_REQUIRED: Final = ("actor", "verb", "object")


def validate_statement(statement: object, *, path: str = "statement") -> None:
    """Raise :class:`XapiValidationError` unless ``statement`` is a valid xAPI 1.0.3
    statement as a client sends it (``id``, ``stored``, ``authority`` and ``version``
    optional). The statement is not changed."""
    _statement(_object(statement, path), path, substatement=False)


def _statement(statement: dict[str, Any], path: str, *, substatement: bool) -> None:
    if substatement:
        for key in _SUBSTATEMENT_FORBIDDEN:
            if key in statement:
                raise _fail(path, key, "is not allowed in a SubStatement")
        _only(statement, _SUBSTATEMENT_KEYS, path)
    else:
        _only(statement, _STATEMENT_KEYS, path)
    _required(statement, _STATEMENT_REQUIRED, path)
    if "id" in statement:
        _uuid(statement, "id", path)
    validate_actor(statement["actor"], f"{path}.actor")
    verb_id = _verb(statement, path)
    object_type = _statement_object(statement, path, in_substatement=substatement)
    if verb_id == VOIDED_VERB and object_type != "StatementRef" and not substatement:
        raise _fail(path, "object", "a voiding statement's object must be a StatementRef")
    if "result" in statement:
        _result(*_child(statement, "result", path))
    if "context" in statement:
        context, context_path = _child(statement, "context", path)
        _context(context, context_path, object_type)
    if "timestamp" in statement:
        validate_timestamp(statement["timestamp"], f"{path}.timestamp")
    if "attachments" in statement:
        _attachments(statement["attachments"], f"{path}.attachments")
    if not substatement:
        _statement_extras(statement, path)


def _statement_extras(statement: dict[str, Any], path: str) -> None:
    if "stored" in statement:
        validate_timestamp(statement["stored"], f"{path}.stored")
    if "authority" in statement:
        _authority(statement["authority"], f"{path}.authority")
    if "version" in statement and VERSION_RE.fullmatch(_string(statement, "version", path)) is None:
        raise _fail(path, "version", "must be 1.0 or 1.0.x")


def validate_statements_payload(payload: object) -> list[dict[str, Any]]:
    """The body of POST /statements: one statement object, or an array of them (an empty
    array is accepted and stores nothing). Returns the statements as a list; errors in
    an array name the position, ``statements[3].verb.id: ...``."""
    if type(payload) is dict:
        validate_statement(payload)
        return [payload]
    if type(payload) is not list:
        kind = json_kind(payload)
        raise XapiValidationError(
            "statements", f"must be a statement object or an array of them, not {kind}"
        )
    for index, statement in enumerate(payload):
        validate_statement(statement, path=f"statements[{index}]")
    return payload
