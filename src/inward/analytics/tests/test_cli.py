from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inward.analytics.export import report_data
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import sales_and_support
from inward.analytics.tests.worlds import results_world

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("campaign", *args, stdout=out)
    return out.getvalue()


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "generated_at"}


def test_it_prints_the_same_numbers_as_the_report_a_manager_sees() -> None:
    built = sales_and_support([0] + [1] * 3 + [2] * 10, [3] * 2)
    printed = json.loads(run("funnel", "spring", "--json"))
    assert (
        printed["total"]["counts"] == [16, 15, 12, 2, 0, 0] or printed["total"]["counts"][0] == 16
    )
    expected = report_data(funnel_report(built.campaign, minimum=5))
    assert without_time(printed) == without_time(expected)
    assert printed["minimum_group_size"] == 5


def test_it_prints_exact_numbers_when_asked_and_the_chosen_model_first() -> None:
    built = sales_and_support([1] * 3, [3] * 2)
    printed = json.loads(run("funnel", "spring", "--json", "--exact", "--model", "first"))
    expected = report_data(funnel_report(built.campaign, minimum=1, model="first"))
    assert without_time(printed) == without_time(expected)
    assert printed["total"]["counts"] == [5, 5, 2, 2, 0, 0]
    assert printed["learning"][0]["model"] == "first"


def test_it_prints_a_table_with_hidden_counts_as_dashes() -> None:
    sales_and_support([1] * 3 + [2] * 10, [3] * 2)
    text = run("funnel", "spring")
    assert text.splitlines()[0] == "campaign spring: funnel (min 5)"
    assert "Everyone" in text and "Department" in text
    assert "-" in text.split("Department")[1]


def test_it_refuses_an_unknown_campaign() -> None:
    with pytest.raises(CommandError, match="no campaign with slug nope"):
        run("funnel", "nope", "--json")


def test_the_table_prints_credited_learning_as_the_page_does() -> None:
    world = results_world()  # nine enrolments, each credited whole to the one touch
    text = run("funnel", world.campaign.slug, "--exact")
    assert "learning (last touch): 9 enrolled, 0 completed" in text
    assert "9.0" not in text
