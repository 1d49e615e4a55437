"""The audience rule language: ``department = "Sales" and tenure < 90d``.

    parse_rule(text) -> Node            text form -> tree (RuleSyntaxError, RuleError)
    rule_from_json(data) -> Node        JSON form -> tree (RuleError)
    rule_to_text(rule) -> str           tree or text -> canonical text
    rule_to_json(rule) -> dict          tree or text -> JSON form

Compiling to SQL lives in ``compiler.py``; reading people in ``inward.audiences.selectors``.
docs/rules.md is the reference for people who write rules.
"""

from __future__ import annotations

from typing import Any

from inward.audiences.rules.ast import And, Call, Compare, Duration, Node, Not, Or
from inward.audiences.rules.errors import RuleError, RuleSyntaxError

__all__ = [
    "And",
    "Call",
    "Compare",
    "Duration",
    "Node",
    "Not",
    "Or",
    "RuleError",
    "RuleSyntaxError",
    "parse_rule",
    "rule_from_json",
    "rule_to_json",
    "rule_to_text",
]


def parse_rule(text: str) -> Node:
    """The tree of a rule's text form. Raises RuleSyntaxError or RuleError with line/column."""
    from inward.audiences.rules.parser import parse

    return parse(text)


def rule_from_json(data: object) -> Node:
    """The tree of a rule's JSON form. Raises RuleError naming the part that is wrong."""
    from inward.audiences.rules.json_form import node_from_json

    return node_from_json(data)


def rule_to_text(rule: Node | str) -> str:
    """The canonical text of a rule (a tree, or text to normalise)."""
    from inward.audiences.rules.printer import node_text

    return node_text(parse_rule(rule) if isinstance(rule, str) else rule)


def rule_to_json(rule: Node | str) -> dict[str, Any]:
    """The JSON form of a rule (a tree, or text)."""
    from inward.audiences.rules.json_form import node_to_json

    return node_to_json(parse_rule(rule) if isinstance(rule, str) else rule)
