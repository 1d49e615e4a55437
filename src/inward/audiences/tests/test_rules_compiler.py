"""Each operator and function against a small directory, on whichever database runs."""

from __future__ import annotations

from typing import Any

import pytest

from inward.audiences.models import Audience
from inward.audiences.rules import RuleError
from inward.audiences.rules.ast import Duration
from inward.audiences.rules.compiler import date_before
from inward.audiences.selectors import rule_count, rule_people
from inward.audiences.tests.conftest import TODAY, Directory, person

pytestmark = pytest.mark.django_db


def who(rule: str) -> set[str]:
    emails = rule_people(rule=rule, today=TODAY).values_list("email", flat=True)
    return {email.split("@")[0] for email in emails}


CASES = [
    # text fields, case-insensitive
    ('first_name = "ANNA"', {"anna"}),
    ('first_name != "anna"', {"bob", "carl"}),
    ('first_name in ("anna", "Carl")', {"anna", "carl"}),
    ('first_name not in ("anna", "Carl")', {"bob"}),
    ('job_title contains "ENGINEER"', {"bob"}),
    ('last_name startswith "ba"', {"bob"}),
    ("job_title is empty", {"anna", "carl"}),
    ("job_title is not empty", {"bob"}),
    ('external_id = "e-2"', {"bob"}),
    ("external_id is empty", {"anna", "carl"}),
    ('email = "Anna@Example.com"', {"anna"}),
    ('country = "nl"', {"anna", "bob"}),
    # custom attributes, compared as text
    ('attr.cost_center = "4100"', {"anna"}),
    ('attr.cost_center != "4100"', {"bob", "carl"}),
    ("attr.level = 7", {"anna"}),
    ('attr.cost_center startswith "42"', {"bob"}),
    ("attr.cost_center is empty", {"carl"}),
    ('attr.cost_center in ("4100", "4200")', {"anna", "bob"}),
    # departments: a name or a path, and everything below it
    ('department = "sales"', {"anna", "bob"}),
    ('department = "Sales/Inside Sales"', {"bob"}),
    ('department = "Inside Sales"', {"bob"}),
    ('department != "Sales"', {"carl"}),
    ('department in ("Inside Sales", "Support")', {"bob", "carl"}),
    ('department not in ("Support")', {"anna", "bob"}),
    ("department is empty", set()),
    ('department = "Sales_x"', set()),
    # sites and managers: people without one read as empty
    ('site = "leeuwarden"', {"anna"}),
    ('site != "Leeuwarden"', {"bob", "carl"}),
    ("site is empty", {"carl"}),
    ('site contains "dam"', {"bob"}),
    ('manager = "ANNA@example.com"', {"bob"}),
    ("manager is empty", {"anna"}),
    ('manager not in ("anna@example.com")', {"anna", "carl"}),
    # language: a BCP 47 prefix
    ('language = "nl"', {"bob"}),
    ('language = "NL-nl"', {"bob"}),
    ('language in ("fy", "en")', {"anna", "carl"}),
    ('language startswith "e"', {"carl"}),
    # status: only active people unless the rule names status
    ('status = "on_leave"', {"dora"}),
    ('status != "active"', {"dora", "eve"}),
    ('status in ("active", "left")', {"anna", "bob", "carl", "eve"}),
    ('language = "nl" or status = "left"', {"bob", "dora", "eve"}),
    # tags
    ('tags contains "REMOTE"', {"anna"}),
    ('tags contains "remote" or tags contains "new"', {"anna", "bob"}),
    ("tags is empty", {"carl"}),
    ("tags is not empty", {"anna", "bob"}),
    # dates and durations
    ("tenure < 90d", {"bob"}),
    ("tenure <= 90d", {"bob", "carl"}),
    ("tenure > 90d", {"anna"}),
    ("tenure >= 1m", {"anna", "carl"}),  # bob started a month ago less a day
    ("tenure = 90d", {"carl"}),
    ("tenure != 90d", {"anna", "bob"}),
    ("tenure > 1y", {"anna"}),
    ("tenure < 13w", {"bob", "carl"}),
    ('hire_date > "2025-05-01"', {"bob"}),
    ('hire_date = "2025-03-17"', {"carl"}),
    ("hire_date is empty", set()),
    ('hire_date is empty and status = "on_leave"', {"dora"}),
    # functions
    ('reports_to("anna@example.com")', {"bob", "carl"}),
    ('reports_to("ANNA@EXAMPLE.COM") and status = "on_leave"', {"dora"}),
    ('reports_directly_to("anna@example.com")', {"bob"}),
    ('not reports_to("anna@example.com")', {"anna"}),
    ('reports_to("nobody@example.com")', set()),
    # logic
    ('not (site = "Leeuwarden" or site = "Amsterdam")', {"carl"}),
    ('department = "Sales" and not tags contains "new"', {"anna"}),
]


@pytest.mark.parametrize(("rule", "expected"), CASES)
def test_it_picks_the_right_people(directory: Directory, rule: str, expected: set[str]) -> None:
    assert who(rule) == expected


def test_it_counts_tenure_in_calendar_months() -> None:
    assert date_before(TODAY, Duration(3, "m")) == TODAY.replace(month=3)
    assert date_before(TODAY.replace(month=5, day=31), Duration(3, "m")).isoformat() == "2025-02-28"
    assert date_before(TODAY.replace(month=2, day=29 - 1), Duration(1, "y")).isoformat() == (
        "2024-02-28"
    )
    assert date_before(TODAY, Duration(2, "w")).isoformat() == "2025-06-01"


def test_it_follows_saved_audiences(directory: Directory) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    Audience.objects.create(slug="leavers", name="Leavers", rule='status = "left"')
    assert who('in_audience("sales") and tags contains "new"') == {"bob"}
    assert who('in_audience("leavers")') == set()  # the outer rule keeps only active people
    assert who('in_audience("leavers") or status = "on_leave"') == {"eve", "dora"}


def test_it_refuses_an_unknown_audience(directory: Directory) -> None:
    with pytest.raises(RuleError, match='there is no saved audience "nope"'):
        who('in_audience("nope")')


def test_it_names_the_cycle_when_audiences_refer_to_each_other(directory: Directory) -> None:
    Audience.objects.create(slug="a", name="A", rule='in_audience("b")')
    Audience.objects.create(slug="b", name="B", rule='in_audience("c") and site = "x"')
    Audience.objects.create(slug="c", name="C", rule='in_audience("a")')
    with pytest.raises(RuleError, match="audience a refers to itself through b, c"):
        who('in_audience("a")')


def test_it_survives_a_loop_in_the_reporting_lines(directory: Directory) -> None:
    anna, carl = directory.people["anna"], directory.people["carl"]
    anna.manager = carl
    anna.save()
    assert who('reports_to("anna@example.com")') == {"anna", "bob", "carl"}


def test_it_escapes_like_wildcards(directory: Directory) -> None:
    person("x@example.com", first_name="50%_off")
    assert who('first_name contains "%"') == {"x"}
    assert who('first_name startswith "_"') == set()


def test_it_counts_in_one_query(directory: Directory, django_assert_num_queries: Any) -> None:
    rule = (
        'department in ("Sales", "Support") and site != "Utrecht" and tenure < 20y and '
        'not reports_to("bob@example.com") and language = "fy" and attr.cost_center = "4100" '
        "and manager is empty"
    )
    with django_assert_num_queries(1):
        assert rule_count(rule=rule) == 1


def test_it_adds_one_lookup_per_saved_audience_it_refers_to(
    directory: Directory, django_assert_num_queries: Any
) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    rule = 'in_audience("sales") and reports_to("anna@example.com") and attr.level = 7'
    with django_assert_num_queries(2):
        assert rule_count(rule=rule) == 0
