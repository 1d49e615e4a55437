from __future__ import annotations

from typing import Any

import pytest

from inward.audiences.rules.explain import Explanation
from inward.audiences.selectors import rule_breakdown, rule_explain, rule_people, rule_sample
from inward.audiences.tests.conftest import Directory

pytestmark = pytest.mark.django_db


def flat(explanation: Explanation) -> list[tuple[str, bool]]:
    rows = [(explanation.text, explanation.matched)]
    for child in explanation.children:
        rows += flat(child)
    return rows


def test_it_marks_each_clause_for_one_person(directory: Directory) -> None:
    rule = 'site = "Amsterdam" and (tags contains "new" or not reports_to("anna@example.com"))'
    explanation = rule_explain(rule=rule, person=directory.people["bob"])
    assert flat(explanation) == [
        (rule, True),
        ('site = "Amsterdam"', True),
        ('tags contains "new" or not reports_to("anna@example.com")', True),
        ('tags contains "new"', True),
        ('not reports_to("anna@example.com")', False),
        ('reports_to("anna@example.com")', True),
    ]
    assert explanation.note == ""


def test_it_shows_the_clause_that_kept_someone_out(directory: Directory) -> None:
    explanation = rule_explain(
        rule='department = "Sales" and language = "nl"', person=directory.people["anna"]
    )
    assert not explanation.matched
    assert [(c.text, c.matched) for c in explanation.children] == [
        ('department = "Sales"', True),
        ('language = "nl"', False),
    ]


def test_it_notes_when_someone_is_out_only_for_not_being_active(directory: Directory) -> None:
    explanation = rule_explain(rule='site = "Leeuwarden"', person=directory.people["dora"])
    assert not explanation.matched
    assert "dora@example.com is on leave" in explanation.note


def test_it_needs_no_note_when_the_rule_names_status(directory: Directory) -> None:
    explanation = rule_explain(rule='status = "on_leave"', person=directory.people["dora"])
    assert explanation.matched
    assert explanation.note == ""


def test_it_explains_in_a_single_query(
    directory: Directory, django_assert_num_queries: Any
) -> None:
    rule = 'site = "x" or attr.level = 7 or reports_to("bob@example.com") or tenure > 1d'
    with django_assert_num_queries(1):
        rule_explain(rule=rule, person=directory.people["carl"])


def test_it_breaks_an_audience_down_largest_first(directory: Directory) -> None:
    breakdown = rule_breakdown(rule="tags is not empty or site is empty")
    assert breakdown == {
        "department": [("Sales", 1), ("Sales/Inside Sales", 1), ("Support", 1)],
        "site": [("Amsterdam", 1), ("Leeuwarden", 1), ("—", 1)],
        "language": [("en-GB", 1), ("fy", 1), ("nl-NL", 1)],
    }
    assert rule_breakdown(rule='status = "on_leave" or language startswith "nl"')["site"] == [
        ("Amsterdam", 1),
        ("Leeuwarden", 1),
        ("—", 1),
    ]


def test_it_samples_people_from_the_audience(directory: Directory) -> None:
    sample = rule_sample(rule='department = "Sales"', size=1)
    assert len(sample) == 1
    assert sample[0].email in {"anna@example.com", "bob@example.com"}
    assert len(rule_sample(rule='department = "Sales"')) == 2


def test_it_returns_a_queryset_that_can_be_refined(directory: Directory) -> None:
    people = rule_people(rule='department = "Sales"').filter(first_name="Bob")
    assert [p.email for p in people] == ["bob@example.com"]
