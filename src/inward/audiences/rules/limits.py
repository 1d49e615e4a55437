"""How big a rule may be: enough for any real audience, small enough that no rule can
exhaust the parser's stack or the database's expression limits."""

from __future__ import annotations

from inward.audiences.rules.errors import RuleError

MAX_LENGTH = 20_000  # characters of the text form
MAX_DEPTH = 40  # nested "not" and parentheses (JSON: nested objects and lists)
MAX_CLAUSES = 300  # comparisons and function calls


def check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise RuleError(f"the rule is longer than {MAX_LENGTH:,} characters")


def depth_error() -> RuleError:
    return RuleError(f"the rule nests deeper than {MAX_DEPTH} levels; split it into audiences")


def clauses_error() -> RuleError:
    return RuleError(
        f"the rule has more than {MAX_CLAUSES} conditions; split it into audiences "
        'and combine them with in_audience("slug")'
    )


def check_json_size(data: object) -> None:
    """Walk JSON without recursion: too deep or too many conditions is a RuleError."""
    stack: list[tuple[object, int]] = [(data, 1)]
    clauses = 0
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH * 2:  # every level of the rule is an object and a list
            raise depth_error()
        if isinstance(item, dict):
            clauses += "field" in item or "call" in item
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
        if clauses > MAX_CLAUSES:
            raise clauses_error()
