"""When two statements are "the same" (xAPI 1.0.3, Data 2.3, Statement Comparison).

Used for a re-sent statement id (same statement: accepted again; different: 409) and for
a signed statement's JWS payload. Ignored: the properties the LRS sets (``authority``,
``stored``, ``version``), ``timestamp``, ``attachments``, the order of Group members,
and the definitions of referenced activities.
"""

from __future__ import annotations

from typing import Any

_IGNORED = ("authority", "stored", "version", "timestamp", "attachments")


def statements_equivalent(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(_normal(a) == _normal(b))


def _normal(statement: dict[str, Any]) -> Any:
    copy = {k: v for k, v in statement.items() if k not in _IGNORED}
    if "id" in copy:
        copy["id"] = str(copy["id"]).lower()
    if isinstance(copy.get("object"), dict) and copy["object"].get("objectType") == "SubStatement":
        copy["object"] = _normal(copy["object"])
    return _members_sorted(copy)


def _members_sorted(value: Any) -> Any:
    if isinstance(value, dict):
        result = {k: _members_sorted(v) for k, v in value.items()}
        if "id" in value and value.get("objectType", "Activity") == "Activity":
            result.pop("definition", None)
        if value.get("objectType") == "Group" and isinstance(value.get("member"), list):
            result["member"] = sorted(result["member"], key=repr)
        return result
    if isinstance(value, list):
        return [_members_sorted(v) for v in value]
    return value
