from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from inward.directory.importing import DEFAULT_COLUMNS, ImportFileError, import_people
from inward.directory.models import Department, Person, Site
from inward.directory.tests.conftest import HEADER, csv_bytes

pytestmark = pytest.mark.django_db

ADA = "E1,Ada@Example.com,Ada,Lovelace,Countess,Engineer,Engineering/Platform,Leeuwarden,nl,Europe/Amsterdam,fy,,2020-02-03,on_leave,b;A"  # noqa: E501


def test_it_imports_every_default_column(run_import):
    report = run_import(HEADER, ADA)

    assert report.ok and report.created == 1
    ada = Person.objects.select_related("department", "site").get()
    assert (ada.external_id, ada.email, ada.first_name, ada.last_name) == (
        "E1",
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert (ada.preferred_name, ada.job_title) == ("Countess", "Engineer")
    assert ada.department.path == "Engineering/Platform"
    assert ada.site.name == "Leeuwarden"
    assert (ada.country, ada.time_zone, ada.language) == ("NL", "Europe/Amsterdam", "fy")
    assert ada.hire_date == dt.date(2020, 2, 3)
    assert ada.status == "on_leave"
    assert ada.tags == ";a;b;"


def test_it_creates_the_department_tree_from_paths(run_import):
    run_import("email,department", "a@example.com,Sales/Inside Sales/North")

    nodes = {d.path: d for d in Department.objects.select_related("parent")}
    assert set(nodes) == {"Sales", "Sales/Inside Sales", "Sales/Inside Sales/North"}
    assert nodes["Sales/Inside Sales/North"].parent == nodes["Sales/Inside Sales"]
    assert nodes["Sales/Inside Sales"].name == "Inside Sales"
    assert nodes["Sales"].parent is None


def test_it_keeps_other_columns_as_custom_attributes(run_import):
    run_import("email,Cost Center,shirt", "a@example.com,CC-1,")

    assert Person.objects.get().attributes == {"Cost Center": "CC-1"}


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("latin-1", b""), ("utf-8", b"")],
)
def test_it_reads_each_encoding(db, encoding, prefix):
    text = "email,first_name\nrene@example.com,René\n"
    source = io.BytesIO(prefix + text.encode(encoding))

    report = import_people(source=source, filename="people.csv")

    assert report.ok
    assert Person.objects.get().first_name == "René"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_sniffs_the_delimiter(run_import, delimiter):
    run_import(
        f"email{delimiter}first_name{delimiter}tags", f"a@example.com{delimiter}Ann{delimiter}x"
    )

    assert Person.objects.get().first_name == "Ann"


def test_it_reads_xlsx(db):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["email", "first_name", "hire_date", "external_id"])
    sheet.append(["x@example.com", "Xia", dt.datetime(2021, 5, 6), 123])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    report = import_people(source=buffer, filename="people.xlsx")

    assert report.ok
    person = Person.objects.get()
    assert (person.first_name, person.hire_date, person.external_id) == (
        "Xia",
        dt.date(2021, 5, 6),
        "123",
    )


def test_it_follows_a_column_mapping(run_import):
    run_import(
        "Mail,Dept,Kostenplaats",
        "a@example.com,Sales,K1",
        mapping={"Mail": "email", "Dept": "department", "Kostenplaats": "attr:cost_center"},
    )

    person = Person.objects.select_related("department").get()
    assert person.department.path == "Sales"
    assert person.attributes == {"cost_center": "K1"}


def test_it_refuses_a_file_without_an_email_column(run_import):
    with pytest.raises(ImportFileError, match="email column"):
        run_import("name", "Ann")


def test_it_refuses_a_file_that_is_not_csv_or_xlsx(db):
    with pytest.raises(ImportFileError):
        import_people(source=io.BytesIO(b"\x00\x01\x02\x03binary" * 50), filename="a.pdf")


def test_a_dry_run_reports_changes_and_writes_nothing(run_import):
    run_import("external_id,email,job_title", "E1,a@example.com,Engineer")

    report = run_import(
        "external_id,email,job_title,department",
        "E1,a@example.com,Architect,Sales",
        "E2,b@example.com,Designer,Sales",
        dry_run=True,
    )

    assert (report.created, report.updated, report.dry_run) == (1, 1, True)
    update = next(change for change in report.changes if change.action == "update")
    assert update.fields["job_title"] == ("Engineer", "Architect")
    assert Person.objects.get().job_title == "Engineer"
    assert not Department.objects.exists()


def test_it_updates_by_external_id_even_when_the_email_changes(run_import):
    run_import("external_id,email", "E1,old@example.com")

    report = run_import("external_id,email", "E1,New@Example.com")

    assert (report.created, report.updated) == (0, 1)
    assert Person.objects.get().email == "new@example.com"


def test_it_updates_by_email_case_insensitively(run_import):
    run_import("email,job_title", "ann@example.com,Engineer")

    report = run_import("email,job_title", "ANN@example.COM,Lead")

    assert (report.created, report.updated) == (0, 1)
    assert Person.objects.get().job_title == "Lead"


def test_it_counts_unchanged_rows_and_leaves_absent_columns_alone(run_import):
    run_import("email,job_title,site", "ann@example.com,Engineer,Berlin")

    report = run_import("email,site", "ann@example.com,Berlin")

    assert (report.updated, report.unchanged) == (0, 1)
    assert Person.objects.get().job_title == "Engineer"


def test_a_full_sync_marks_absent_people_left_and_deletes_nobody(run_import):
    run_import("email", "a@example.com", "b@example.com", "c@example.com")

    report = run_import(
        "email,hire_date", "a@example.com,", "c@example.com,not-a-date", full_sync=True
    )

    assert report.marked_left == 1
    statuses = dict(Person.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.com": "active",
        "b@example.com": "left",
        "c@example.com": "active",
    }


def test_without_full_sync_absent_people_stay(run_import):
    run_import("email", "a@example.com", "b@example.com")

    run_import("email", "a@example.com")

    assert not Person.objects.filter(status="left").exists()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("X1,,2020-01-01,active,", "missing email"),
        ("X1,not-an-email,2020-01-01,active,", "invalid email 'not-an-email'"),
        ("X1,a@example.com,2024-13-01,active,", "bad date '2024-13-01' in hire_date"),
        ("X1,a@example.com,2020-01-01,retired,", "unknown status 'retired' in status"),
        (
            "X1,a@example.com,2020-01-01,active,nobody@example.com",
            "unknown manager 'nobody@example.com'",
        ),
    ],
)
def test_it_reports_each_row_error_with_its_line_and_skips_the_row(run_import, row, reason):
    report = run_import(
        "external_id,email,hire_date,status,manager_email",
        "X0,good@example.com,2020-01-01,active,",
        row,
    )

    assert [(error.line, error.reason) for error in report.errors] == [(3, reason)]
    assert list(Person.objects.values_list("email", flat=True)) == ["good@example.com"]
    assert report.created == 1 and not report.ok


def test_it_rejects_duplicate_emails_and_external_ids_in_the_file(run_import):
    report = run_import(
        "external_id,email",
        "E1,a@example.com",
        "E2,A@example.com",
        "E1,b@example.com",
        "E3,c@example.com",
    )

    assert [(error.line, error.column) for error in report.errors] == [
        (3, "email"),
        (4, "external_id"),
    ]
    assert sorted(Person.objects.values_list("email", flat=True)) == [
        "a@example.com",
        "c@example.com",
    ]


def test_managers_may_come_after_their_reports(run_import):
    report = run_import(
        "email,manager_email",
        "report@example.com,boss@example.com",
        "boss@example.com,ceo@example.com",
        "ceo@example.com,",
    )

    assert report.ok
    people = {p.email: p for p in Person.objects.select_related("manager")}
    assert people["report@example.com"].manager == people["boss@example.com"]
    assert people["boss@example.com"].manager == people["ceo@example.com"]


def test_managers_may_be_people_already_in_the_directory(run_import):
    run_import("email", "boss@example.com")

    report = run_import("email,manager_email", "new@example.com,Boss@example.com")

    assert report.ok
    assert Person.objects.get(email="new@example.com").manager.email == "boss@example.com"


def test_a_rejected_manager_takes_their_new_reports_with_them(run_import):
    report = run_import(
        "email,hire_date,manager_email",
        "lead@example.com,2020-01-01,boss@example.com",
        "member@example.com,2020-01-01,lead@example.com",
        "boss@example.com,yesterday,",
    )

    assert [(error.line, error.reason) for error in report.errors] == [
        (2, "unknown manager 'boss@example.com'"),
        (3, "unknown manager 'lead@example.com'"),
        (4, "bad date 'yesterday' in hire_date"),
    ]
    assert not Person.objects.exists()


def test_a_rejected_row_of_an_existing_manager_keeps_their_reports(run_import):
    run_import("email", "boss@example.com")

    report = run_import(
        "email,hire_date,manager_email",
        "boss@example.com,never,",
        "new@example.com,,boss@example.com",
    )

    assert [error.line for error in report.errors] == [2]
    assert Person.objects.get(email="new@example.com").manager.email == "boss@example.com"


def test_it_refuses_an_email_that_belongs_to_someone_else(run_import):
    run_import("external_id,email", "E1,a@example.com", "E2,b@example.com")

    report = run_import("external_id,email", "E1,b@example.com")

    assert report.errors[0].reason == "email 'b@example.com' belongs to another person"
    assert Person.objects.get(external_id="E1").email == "a@example.com"


def test_it_merges_and_removes_custom_attributes(run_import):
    run_import("email,team,floor", "a@example.com,Blue,2")

    run_import("email,floor", "a@example.com,")

    assert Person.objects.get().attributes == {"team": "Blue"}


def test_it_reports_progress_in_both_passes(run_import):
    seen = []
    run_import("email", "a@example.com", "b@example.com", progress=seen.append)

    assert sum(seen) == 4


def test_a_batch_costs_the_same_queries_whatever_its_size(db):
    Department.objects.create(name="Sales", path="Sales")
    Site.objects.create(name="Berlin")

    def queries(rows: int) -> int:
        lines = [f"E{i},p{i}@example.com,Sales,Berlin,p{i - 1}@example.com" for i in range(rows)]
        lines[0] = "E0,p0@example.com,Sales,Berlin,"
        source = csv_bytes("external_id,email,department,site,manager_email", *lines)
        with CaptureQueriesContext(connection) as captured:
            import_people(source=source, filename="p.csv", batch_size=rows, full_sync=True)
        Person.objects.all().delete()
        return len(captured)

    assert queries(10) == queries(200)


def test_default_columns_are_the_documented_ones():
    assert tuple(HEADER.split(",")) == DEFAULT_COLUMNS
