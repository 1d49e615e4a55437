"""Meaning checks shared by the text and JSON forms: fields, operators, values, functions."""

from __future__ import annotations

import difflib
from datetime import date

from inward.audiences.rules.ast import (
    LIST_OPERATORS,
    NO_VALUE_OPERATORS,
    And,
    Call,
    Compare,
    Duration,
    Node,
    Not,
    Or,
    Scalar,
)
from inward.audiences.rules.errors import RuleError
from inward.audiences.rules.fields import (
    ATTR_PREFIX,
    FIELDS,
    OPERATORS_BY_KIND,
    STATUSES,
    Kind,
    field_kind,
)
from inward.audiences.rules.functions import FUNCTIONS
from inward.audiences.rules.printer import scalar_text


def rule_check(node: Node) -> None:
    """Raise RuleError for the first clause that cannot be compiled."""
    if isinstance(node, Compare):
        compare_check(node)
    elif isinstance(node, Call):
        call_check(node)
    elif isinstance(node, Not):
        rule_check(node.item)
    elif isinstance(node, And | Or):
        if not node.items:
            raise RuleError('"and" and "or" need at least one clause')
        for item in node.items:
            rule_check(item)


def field_check(field: str) -> Kind:
    kind = field_kind(field)
    if kind is None:
        raise RuleError(_unknown("field", field, [*FIELDS, ATTR_PREFIX + "NAME"]))
    return kind


def compare_check(node: Compare) -> None:
    kind = field_check(node.field)
    allowed = OPERATORS_BY_KIND[kind]
    if node.op not in allowed:
        raise RuleError(f'{node.field} cannot be compared with "{node.op}"; use {_either(allowed)}')
    _check_value_shape(node)
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    for value in values:
        if value is not None:
            _check_value(node.field, kind, value)


def call_check(node: Call) -> None:
    function = FUNCTIONS.get(node.name)
    if function is None:
        raise RuleError(_unknown("function", node.name, list(FUNCTIONS)))
    required = len(function.params)
    if not required <= len(node.args) <= required + function.window:
        wanted = ", ".join(function.params)
        if function.window:
            raise RuleError(
                f"{node.name} needs {required} value(s) ({wanted}) and optionally a window "
                f"such as 30d: {function.signature}"
            )
        raise RuleError(f"{node.name} needs {required} value(s) ({wanted})")
    for arg in node.args[:required]:
        if not isinstance(arg, str):
            raise RuleError(f"{node.name} needs text in double quotes, not {arg}")
    for arg in node.args[required:]:
        if not isinstance(arg, Duration):
            raise RuleError(
                f"the window of {node.name} is a duration such as 30d, 6w, 3m or 1y, "
                f"not {scalar_text(arg)}"
            )


def _check_value_shape(node: Compare) -> None:
    if node.op in NO_VALUE_OPERATORS:
        if node.value is not None:
            raise RuleError(f'"{node.op}" takes no value')
    elif node.op in LIST_OPERATORS:
        if not isinstance(node.value, tuple) or not node.value:
            raise RuleError(f'"{node.op}" needs a list of values such as ("a", "b")')
    elif node.value is None or isinstance(node.value, tuple):
        raise RuleError(f'"{node.op}" needs one value')


def _check_value(field: str, kind: Kind, value: Scalar) -> None:
    if kind is Kind.TENURE:
        if not isinstance(value, Duration):
            raise RuleError(
                f"{field} needs a duration such as 90d, 6w, 3m or 1y, not {scalar_text(value)}"
            )
        return
    if isinstance(value, Duration):
        raise RuleError(f"{field} cannot be compared with a duration ({value})")
    if kind is Kind.DATE:
        _check_date(field, value)
    elif kind is Kind.STATUS and str(value).lower() not in STATUSES:
        raise RuleError(f"{field} is one of {_either(STATUSES)}, not {scalar_text(value)}")
    elif kind is Kind.TAGS and ";" in str(value):
        raise RuleError(f'a tag cannot contain ";" ("{value}")')


def _check_date(field: str, value: str | int) -> None:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        message = f'{field} needs a date such as "2024-01-31", not {scalar_text(value)}'
        raise RuleError(message) from None


def _unknown(what: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else f"; known {what}s: {', '.join(known)}"
    return f'unknown {what} "{name}"{hint}'


def _either(options: tuple[str, ...]) -> str:
    quoted = [f'"{option}"' for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
