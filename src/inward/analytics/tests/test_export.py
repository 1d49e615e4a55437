from __future__ import annotations

import csv
import io

import pytest

from inward.analytics.export import BOM, report_csv, safe_cell
from inward.analytics.selectors import funnel_report
from inward.analytics.tests.funnel_fixtures import sales_and_support
from inward.directory.models import Department

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+31 58 123", "'+31 58 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Sales", "Sales"),
        ("Ljouwert, Fryslân", "Ljouwert, Fryslân"),
        (12, "12"),
        (None, ""),
    ],
)
def test_it_keeps_formulas_out_of_cells(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_it_writes_one_line_per_group_and_stage_with_a_bom() -> None:
    built = sales_and_support([1] * 6, [2] * 6)
    Department.objects.filter(path="Support").update(path="=cmd|' /C calc'!A0")
    text = report_csv(funnel_report(built.campaign, minimum=5, breakdowns=("department",)))
    assert text.startswith(BOM)
    lines = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert lines[0] == ["breakdown", "group", "stage", "count", "note"]
    assert ["Everyone", "Everyone", "Engaged", "6", ""] in lines
    assert ["Department", "Sales", "Reached", "6", ""] in lines
    assert ["Department", "'=cmd|' /C calc'!A0", "Engaged", "6", ""] in lines
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)
    by_day = [line for line in lines if line[0] == "By day"]
    assert by_day and all(line[2] != "Audience" for line in by_day)


def test_it_leaves_hidden_counts_empty_and_says_why() -> None:
    built = sales_and_support([1] * 3 + [2] * 10, [])
    text = report_csv(funnel_report(built.campaign, minimum=5, breakdowns=()))
    lines = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    engaged = next(line for line in lines if line[:3] == ["Everyone", "Everyone", "Engaged"])
    assert engaged[3] == ""
    assert engaged[4].startswith("hidden: fewer than 5 people")
