"""The importer's fast paths: batches, ids given ahead, managers across batches, reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from inward.directory.importing import import_people
from inward.directory.models import Person
from inward.directory.tests.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def _people(count: int) -> list[str]:
    """``count`` rows; every report's manager is three rows further down the file."""
    lines = []
    for i in range(count):
        manager = f"p{i + 3}@example.com" if i + 3 < count else ""
        lines.append(f"E{i},p{i}@example.com,Name{i},2020-01-0{1 + i % 9},{manager},CC{i % 4}")
    return lines


HEADER = "external_id,email,first_name,hire_date,manager_email,cost_center"


def test_it_links_managers_later_in_the_file_across_batches():
    report = import_people(source=csv_bytes(HEADER, *_people(25)), filename="p.csv", batch_size=4)

    assert report.ok and report.created == 25
    people = {p.email: p for p in Person.objects.select_related("manager")}
    assert all(
        people[f"p{i}@example.com"].manager == people[f"p{i + 3}@example.com"] for i in range(22)
    )
    assert people["p3@example.com"].hire_date == dt.date(2020, 1, 4)
    assert people["p5@example.com"].attributes == {"cost_center": "CC1"}


@pytest.mark.parametrize("batch_size", [3, 100])
def test_a_second_import_of_the_same_file_changes_nothing(batch_size):
    lines = _people(12)
    import_people(source=csv_bytes(HEADER, *lines), filename="p.csv", batch_size=batch_size)

    report = import_people(
        source=csv_bytes(HEADER, *lines), filename="p.csv", batch_size=batch_size
    )

    assert (report.created, report.updated, report.unchanged) == (0, 0, 12)
    assert report.changes == []


def test_it_shows_the_changes_of_an_update_field_by_field():
    import_people(source=csv_bytes(HEADER, *_people(4)), filename="p.csv")

    report = import_people(
        source=csv_bytes(HEADER, "E1,p1@example.com,Other,2021-02-03,p0@example.com,"),
        filename="p.csv",
    )

    assert report.updated == 1
    assert report.changes[0].fields == {
        "first_name": ("Name1", "Other"),
        "hire_date": (dt.date(2020, 1, 2), dt.date(2021, 2, 3)),
        "manager_email": (None, "p0@example.com"),
        "attr:cost_center": ("CC1", None),
    }
    person = Person.objects.select_related("manager").get(external_id="E1")
    assert person.manager is not None and person.manager.email == "p0@example.com"
    assert person.attributes == {}


def test_new_people_get_ids_after_any_id_given_before():
    gone = Person.objects.create(email="gone@example.com")
    Person.objects.filter(pk=gone.pk).delete()

    import_people(source=csv_bytes("email", "new@example.com"), filename="p.csv")

    assert Person.objects.get().pk > gone.pk


def test_a_reason_is_kept_as_a_message_with_placeholders_and_read_in_the_active_language():
    report = import_people(
        source=csv_bytes("email,hire_date", "a@example.com,2024-13-01"), filename="p.csv"
    )

    (error,) = report.errors
    assert (error.message, error.params) == (
        "bad date %(value)s in %(column)s",
        {"value": "'2024-13-01'", "column": "hire_date"},
    )
    with translation.override("nl"):
        assert error.reason == translation.gettext(error.message) % error.params
    assert error.reason == "bad date '2024-13-01' in hire_date"
    assert str(error) == "line 2: bad date '2024-13-01' in hire_date"


def test_it_lists_several_errors_of_a_row_in_the_order_of_its_columns():
    report = import_people(
        source=csv_bytes("status,hire_date,email", "retired,never,not-an-email"), filename="p.csv"
    )

    assert [error.column for error in report.errors] == ["email", "status", "hire_date"]
