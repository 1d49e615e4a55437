"""Rules too big to be real are refused with a clear message, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from inward.audiences.rules import RuleError, parse_rule, rule_from_json
from inward.audiences.rules.limits import MAX_CLAUSES, MAX_DEPTH, MAX_LENGTH


@pytest.mark.parametrize(
    "text",
    [
        "(" * 1200 + 'site = "x"' + ")" * 1200,
        "not " * 2000 + 'site = "x"',
    ],
)
def test_it_refuses_a_rule_nested_too_deep(text: str) -> None:
    with pytest.raises(RuleError, match="nests deeper than"):
        parse_rule(text)


def test_it_accepts_nesting_up_to_the_limit() -> None:
    depth = MAX_DEPTH - 1
    parse_rule("(" * depth + 'site = "x"' + ")" * depth)


def test_it_refuses_too_many_conditions() -> None:
    text = " or ".join(f'site = "s{i}"' for i in range(MAX_CLAUSES + 1))
    with pytest.raises(RuleError, match="more than 300 conditions"):
        parse_rule(text)


def test_it_refuses_a_rule_that_is_too_long() -> None:
    with pytest.raises(RuleError, match="longer than"):
        parse_rule('site = "' + "x" * MAX_LENGTH + '"')


def test_it_refuses_deep_json() -> None:
    data: dict[str, Any] = {"field": "site", "op": "=", "value": "x"}
    for _ in range(1500):
        data = {"not": data}
    with pytest.raises(RuleError, match="nests deeper than"):
        rule_from_json(data)


@pytest.mark.django_db
def test_the_live_count_answers_a_huge_rule_with_its_error(client_as: Any, admin_user: Any) -> None:
    rule = "(" * 1200 + 'site = "x"' + ")" * 1200
    response = client_as(admin_user).post("/audiences/count/", {"rule": rule})
    assert response.status_code == 200
    assert "nests deeper than" in response.content.decode()
