from __future__ import annotations

import csv
import io

import pytest

from inward.directory.exporting import export_people_csv
from inward.directory.importing import DEFAULT_COLUMNS, import_people
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def _export(**options):
    out = io.StringIO()
    count = export_people_csv(out=out, **options)
    return count, list(csv.reader(io.StringIO(out.getvalue())))


def test_it_neutralises_formulas(run_import):
    run_import("email,first_name,last_name,job_title,note", "a@example.com,=1+1,+x,-x,@x")

    _, rows = _export()

    header = rows[0]
    cells = {name: rows[1][header.index(name)] for name in ("first_name", "last_name", "job_title")}
    assert cells == {"first_name": "'=1+1", "last_name": "'+x", "job_title": "'-x"}
    assert rows[1][-1] == "'@x"


def test_it_writes_the_default_columns_and_one_per_attribute(run_import):
    run_import("email,b_attr,a_attr", "a@example.com,1,", "b@example.com,,2")

    count, rows = _export()

    assert count == 2
    assert rows[0] == [*DEFAULT_COLUMNS, "a_attr", "b_attr"]


def test_an_export_reimports_unchanged(run_import):
    run_import(
        "external_id,email,first_name,last_name,department,site,country,time_zone,language,"
        "manager_email,hire_date,status,tags,cost_center",
        "E1,boss@example.com,Bo,=SUM(A1),Sales/Inside Sales,Leeuwarden,NL,Europe/Amsterdam,fy,,"
        "2020-01-02,active,a;b,-12",
        "E2,rep@example.com,Ré,Smith,Sales,Berlin,DE,Europe/Berlin,de,boss@example.com,,on_leave,,@cc",
    )
    out = io.StringIO()
    export_people_csv(out=out)

    report = import_people(source=io.BytesIO(out.getvalue().encode()), filename="export.csv")

    assert report.ok
    assert (report.unchanged, report.updated, report.created) == (2, 0, 0), report.changes
    assert Person.objects.get(external_id="E1").last_name == "=SUM(A1)"


def test_it_exports_a_queryset(run_import):
    run_import("email,language", "a@example.com,nl", "b@example.com,en")

    count, rows = _export(queryset=Person.objects.filter(language="nl"))

    assert count == 1 and rows[1][1] == "a@example.com"
