"""The canonical text of a rule: ``parse_rule(rule_to_text(node)) == node``."""

from __future__ import annotations

from inward.audiences.rules.ast import And, Call, Compare, Node, Not, Or, Scalar, Value


def node_text(node: Node) -> str:
    if isinstance(node, Compare):
        return _compare_text(node)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(scalar_text(arg) for arg in node.args)})"
    if isinstance(node, Not):
        return f"not {_wrapped(node.item)}"
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(_wrapped(item) for item in node.items)


def scalar_text(value: Scalar) -> str:
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return str(value)


def _compare_text(node: Compare) -> str:
    if node.value is None:
        return f"{node.field} {node.op}"
    return f"{node.field} {node.op} {_value_text(node.value)}"


def _value_text(value: Value) -> str:
    if isinstance(value, tuple):
        return f"({', '.join(scalar_text(item) for item in value)})"
    assert value is not None
    return scalar_text(value)


def _wrapped(node: Node) -> str:
    """Nested groups are always parenthesised: clearer to read, and the tree survives."""
    return f"({node_text(node)})" if isinstance(node, And | Or) else node_text(node)
