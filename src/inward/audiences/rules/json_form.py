"""The JSON form of a rule, for the API and the rule builder.

{"and": [...]}  {"or": [...]}  {"not": {...}}
{"field": "department", "op": "in", "value": ["Sales", "Support"]}
{"field": "tags", "op": "is empty"}
{"field": "tenure", "op": "<", "value": "90d"}
{"call": "reports_to", "args": ["anna@example.com"]}
{"call": "opened", "args": ["onboarding", "30d"]}
"""

from __future__ import annotations

import re
from typing import Any

from inward.audiences.rules import limits
from inward.audiences.rules.ast import (
    OPERATORS,
    And,
    Call,
    Compare,
    Duration,
    DurationUnit,
    Node,
    Not,
    Or,
    Scalar,
    Value,
)
from inward.audiences.rules.errors import RuleError
from inward.audiences.rules.fields import Kind, field_kind
from inward.audiences.rules.functions import FUNCTIONS
from inward.audiences.rules.validate import rule_check

JsonRule = dict[str, Any]
DURATION = re.compile(r"^\s*(\d+)\s*([dwmyDWMY])\s*$")
SHAPES = (
    '{"and": [...]}, {"or": [...]}, {"not": {...}}, {"field", "op", "value"} or {"call", "args"}'
)


def node_to_json(node: Node) -> JsonRule:
    if isinstance(node, Compare):
        out: JsonRule = {"field": node.field, "op": node.op}
        if node.value is not None:
            out["value"] = _value_to_json(node.value)
        return out
    if isinstance(node, Call):
        return {"call": node.name, "args": [_scalar_to_json(arg) for arg in node.args]}
    if isinstance(node, Not):
        return {"not": node_to_json(node.item)}
    key = "and" if isinstance(node, And) else "or"
    return {key: [node_to_json(item) for item in node.items]}


def _value_to_json(value: Value) -> Any:
    if isinstance(value, tuple):
        return [_scalar_to_json(item) for item in value]
    assert value is not None
    return _scalar_to_json(value)


def _scalar_to_json(value: Scalar) -> str | int:
    return str(value) if isinstance(value, Duration) else value


def node_from_json(data: object) -> Node:
    """The tree of a rule in JSON form; RuleError names the part that is wrong."""
    limits.check_json_size(data)
    node = _node(data, "the rule")
    rule_check(node)
    return node


def _node(data: object, where: str) -> Node:
    if not isinstance(data, dict):
        raise RuleError(f"{where} must be an object such as {SHAPES}")
    if "and" in data or "or" in data:
        return _group(data, where)
    if "not" in data:
        _only(data, {"not"}, where)
        return Not(_node(data["not"], f'{where} → "not"'))
    if "call" in data:
        return _call(data, where)
    if "field" in data:
        return _compare(data, where)
    raise RuleError(f"{where} must be one of {SHAPES}")


def _only(data: dict[str, Any], keys: set[str], where: str) -> None:
    extra = sorted(set(data) - keys)
    if extra:
        raise RuleError(f"{where} has unexpected keys: {', '.join(extra)}")


def _group(data: dict[str, Any], where: str) -> Node:
    key = "and" if "and" in data else "or"
    _only(data, {key}, where)
    items = data[key]
    if not isinstance(items, list) or not items:
        raise RuleError(f'{where} → "{key}" must be a non-empty list of clauses')
    nodes = tuple(_node(item, f'{where} → "{key}" #{n}') for n, item in enumerate(items, 1))
    return And(nodes) if key == "and" else Or(nodes)


def _call(data: dict[str, Any], where: str) -> Call:
    _only(data, {"call", "args"}, where)
    name, args = data["call"], data.get("args", [])
    if not isinstance(name, str) or not isinstance(args, list):
        raise RuleError(f'{where}: "call" must be a name and "args" a list')
    name = name.lower()
    return Call(name, tuple(_call_arg(name, n, _scalar(arg, where)) for n, arg in enumerate(args)))


def _call_arg(name: str, index: int, value: str | int) -> Scalar:
    """A function's window travels as text ("30d"); it becomes a duration here."""
    function = FUNCTIONS.get(name)
    if function is None or not function.window or index != len(function.params):
        return value
    return _duration(value) or value


def _duration(value: str | int) -> Duration | None:
    match = DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    unit: DurationUnit = match.group(2).lower()  # type: ignore[assignment]
    return Duration(int(match.group(1)), unit)


def _compare(data: dict[str, Any], where: str) -> Compare:
    _only(data, {"field", "op", "value"}, where)
    field, op = data["field"], data.get("op")
    if not isinstance(field, str) or op not in OPERATORS:
        raise RuleError(f'{where}: "field" must be a name and "op" one of {", ".join(OPERATORS)}')
    field = field if field.startswith("attr.") else field.lower()
    value = _compare_value(data, field, where)
    return Compare(field, op, value)


def _compare_value(data: dict[str, Any], field: str, where: str) -> Value:
    if "value" not in data:
        return None
    raw = data["value"]
    if isinstance(raw, list):
        return tuple(_typed(_scalar(item, where), field) for item in raw)
    return _typed(_scalar(raw, where), field)


def _scalar(raw: object, where: str) -> str | int:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise RuleError(f"{where}: values must be text or whole numbers, not {raw!r}")
    return raw


def _typed(value: str | int, field: str) -> Scalar:
    """Durations travel as text ("90d"); they become durations for fields that take them."""
    duration = _duration(value) if field_kind(field) is Kind.TENURE else None
    return duration or value
