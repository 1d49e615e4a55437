from __future__ import annotations

import pytest

from inward.audiences.rules import (
    RuleError,
    RuleSyntaxError,
    parse_rule,
    rule_from_json,
    rule_to_json,
    rule_to_text,
)
from inward.audiences.rules.ast import And, Call, Compare, Duration, Not, Or

SPEC_RULE = (
    'department in ("Sales", "Support") and site = "Leeuwarden" and tenure < 90d and '
    'not reports_to("anna@example.com") and language = "fy" and attr.cost_center = "4100"'
)


def test_it_parses_the_example_from_the_spec() -> None:
    node = parse_rule(SPEC_RULE)
    assert node == And(
        (
            Compare("department", "in", ("Sales", "Support")),
            Compare("site", "=", "Leeuwarden"),
            Compare("tenure", "<", Duration(90, "d")),
            Not(Call("reports_to", ("anna@example.com",))),
            Compare("language", "=", "fy"),
            Compare("attr.cost_center", "=", "4100"),
        )
    )


def test_it_reads_every_operator() -> None:
    cases = {
        'email = "a"': Compare("email", "=", "a"),
        'email != "a"': Compare("email", "!=", "a"),
        'site in ("a", "b")': Compare("site", "in", ("a", "b")),
        'site not in ("a")': Compare("site", "not in", ("a",)),
        "tenure < 2w": Compare("tenure", "<", Duration(2, "w")),
        "tenure <= 3m": Compare("tenure", "<=", Duration(3, "m")),
        "tenure > 1y": Compare("tenure", ">", Duration(1, "y")),
        'hire_date >= "2024-01-31"': Compare("hire_date", ">=", "2024-01-31"),
        'job_title contains "eng"': Compare("job_title", "contains", "eng"),
        'job_title startswith "Sa"': Compare("job_title", "startswith", "Sa"),
        "tags is empty": Compare("tags", "is empty", None),
        "tags is not empty": Compare("tags", "is not empty", None),
        "attr.level = 3": Compare("attr.level", "=", 3),
    }
    for text, expected in cases.items():
        assert parse_rule(text) == expected, text


def test_it_ignores_case_in_keywords_and_field_names() -> None:
    assert parse_rule('SITE = "x" AND NOT Tags IS EMPTY') == And(
        (Compare("site", "=", "x"), Not(Compare("tags", "is empty", None)))
    )


def test_it_binds_and_tighter_than_or_and_honours_parentheses() -> None:
    a, b, c = (Compare("email", "=", x) for x in "abc")
    assert parse_rule('email = "a" or email = "b" and email = "c"') == Or((a, And((b, c))))
    assert parse_rule('(email = "a" or email = "b") and email = "c"') == And((Or((a, b)), c))


def test_it_reads_escapes_in_text_and_spans_lines() -> None:
    node = parse_rule('job_title = "say \\"hi\\" \\\\o/"\n  and\n  country = "NL"')
    assert node == And((Compare("job_title", "=", 'say "hi" \\o/'), Compare("country", "=", "NL")))


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ('department = "Sales" and site =', 1, 32, "a value"),
        ("department =", 1, 13, "a value"),
        ('site = "a" site', 1, 12, '"and", "or" or end of rule'),
        ('(site = "a"', 1, 12, '"and", "or" or ")"'),
        ('site = "abc', 1, 12, '" to close the text that starts at line 1, column 8'),
        ("tenure < 90x", 1, 10, "a number or a duration such as 90d, 6w, 3m or 1y"),
        ('site = "a" and\n  site ~ "b"', 2, 8, "a field, a value or an operator"),
        ("site in 3", 1, 9, 'a list such as ("a", "b")'),
        ("site is", 1, 8, '"empty"'),
        ("", 1, 1, 'a field, a function or "("'),
        ('reports_to("a" "b")', 1, 16, '"," or ")"'),
        ('job_title = "\\n"', 1, 14, '\\" or \\\\'),
    ],
)
def test_it_says_where_a_syntax_error_is_and_what_was_expected(
    text: str, line: int, column: int, expected: str
) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(text)
    assert (caught.value.line, caught.value.column, caught.value.expected) == (
        line,
        column,
        expected,
    )
    assert str(caught.value).startswith(f"line {line}, column {column}: expected {expected}")


def test_it_words_a_missing_value_like_the_spec() -> None:
    with pytest.raises(RuleSyntaxError, match=r'expected a value after "=", found end of rule'):
        parse_rule('site = "x" and language =')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('departmnt = "Sales"', 'unknown field "departmnt"; did you mean "department"?'),
        ('reportsto("a@b.c")', 'unknown function "reportsto"; did you mean "reports_to"?'),
        ('tags = "x"', 'tags cannot be compared with "="'),
        ('tenure < "90d"', "tenure needs a duration"),
        ('hire_date > "2024-02-30"', 'hire_date needs a date such as "2024-01-31"'),
        ('status = "gone"', 'status is one of "active", "on_leave" or "left"'),
        ("site = 90d", "site cannot be compared with a duration"),
        ("reports_to()", "reports_to needs 1 value"),
        ("in_audience(3)", "in_audience needs text in double quotes"),
        ('tags contains "a;b"', 'a tag cannot contain ";"'),
        ('site < "b"', 'site cannot be compared with "<"'),
    ],
)
def test_it_rejects_rules_that_mean_nothing(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message) as caught:
        parse_rule(text)
    assert not isinstance(caught.value, RuleSyntaxError)
    assert caught.value.line == 1


def test_it_prints_canonical_text_that_parses_back() -> None:
    text = 'NOT (Site = "a" OR Tags IS EMPTY) and Tenure>=3M and attr.Cost = 5'
    canonical = rule_to_text(text)
    assert canonical == 'not (site = "a" or tags is empty) and tenure >= 3m and attr.Cost = 5'
    assert rule_to_text(canonical) == canonical


def test_it_keeps_nested_groups_through_a_round_trip() -> None:
    node = parse_rule('(email = "a" and email = "b") and email = "c"')
    assert parse_rule(rule_to_text(node)) == node
    assert rule_from_json(rule_to_json(node)) == node


def test_it_round_trips_the_spec_rule_through_json() -> None:
    data = rule_to_json(SPEC_RULE)
    assert data["and"][2] == {"field": "tenure", "op": "<", "value": "90d"}
    assert data["and"][3] == {"not": {"call": "reports_to", "args": ["anna@example.com"]}}
    assert rule_from_json(data) == parse_rule(SPEC_RULE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "the rule must be an object"),
        ({"and": []}, '"and" must be a non-empty list'),
        ({"field": "site", "op": "~", "value": "a"}, '"op" one of'),
        ({"field": "site", "op": "in", "value": "a"}, '"in" needs a list'),
        ({"field": "site", "op": "=", "value": True}, "values must be text or whole numbers"),
        ({"field": "tags", "op": "is empty", "value": "x"}, '"is empty" takes no value'),
        ({"field": "sight", "op": "=", "value": "a"}, 'did you mean "site"'),
        ({"or": [{"field": "site", "op": "="}]}, '"=" needs one value'),
        ({"not": {"field": "site"}, "extra": 1}, "unexpected keys: extra"),
        ({"call": "nope", "args": []}, 'unknown function "nope"'),
    ],
)
def test_it_explains_what_is_wrong_with_json(data: object, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        rule_from_json(data)
