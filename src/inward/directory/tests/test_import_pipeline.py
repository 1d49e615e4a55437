"""The pipelined second pass on PostgreSQL: lookups on a second connection, writes in a thread.

The second connection sees committed data only, so these tests commit their people
(``transaction=True``), and each runs twice: pipelined and on the single connection, with
the same expectations. On SQLite both runs take the single connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection

from inward.directory.importing import import_people, service, writer
from inward.directory.importing.insert import copy_text
from inward.directory.models import Department, Person, Status
from inward.directory.tests.conftest import csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)
HEADER = "external_id,email,first_name,job_title,department,manager_email,hire_date"


@pytest.fixture(params=[True, False], ids=["pipelined", "single-connection"])
def pipelined(request: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Switch the pipeline on or off; call the result after an import to check which ran."""
    monkeypatch.setattr(service, "PIPELINE", request.param)
    used: list[bool] = []
    original = service.BatchWriter

    def spy(**options: Any) -> writer.BatchWriter:
        batch_writer = original(**options)
        used.append(batch_writer.side is not None)
        return batch_writer

    monkeypatch.setattr(service, "BatchWriter", spy)
    expected = request.param and connection.vendor == "postgresql"
    return lambda: _check_used(used, expected)


def _check_used(used: list[bool], expected: bool) -> None:
    assert used and all(flag == expected for flag in used)


def _import(*lines: str, **options: Any) -> Any:
    return import_people(
        source=csv_bytes(HEADER, *lines), filename="p.csv", batch_size=2, **options
    )


def _person(**fields: Any) -> Person:
    return Person.objects.create(**fields)


def test_it_updates_a_person_who_existed_before_instead_of_adding_them_again(pipelined):
    before = _person(external_id="E1", email="old@example.com", first_name="Old")

    report = _import(
        "E0,new0@example.com,New,,,,",
        "E1,anna@example.com,Anna,,,,",
        "E2,new2@example.com,New,,,,",
        ",old2@example.com,New,,,,",
    )

    pipelined()
    assert (report.created, report.updated, report.errors) == (3, 1, [])
    assert Person.objects.count() == 4
    person = Person.objects.get(pk=before.pk)
    assert (person.email, person.first_name) == ("anna@example.com", "Anna")


def test_a_dry_run_keeps_nothing(pipelined):
    _person(external_id="E1", email="anna@example.com", first_name="Anna")
    departments = Department.objects.count()

    report = _import(
        "E1,anna@example.com,Changed,,,,",
        "E2,bo@example.com,Bo,,Sales/New,anna@example.com,2020-01-01",
        "E3,cy@example.com,Cy,,Support,bo@example.com,",
        dry_run=True,
    )

    pipelined()
    assert (report.created, report.updated, report.errors) == (2, 1, [])
    assert list(Person.objects.values_list("email", "first_name")) == [("anna@example.com", "Anna")]
    assert Department.objects.count() == departments


def test_a_row_sees_the_email_an_earlier_batch_took_from_someone(pipelined):
    anna = _person(external_id="E1", email="anna@example.com")

    report = _import(
        "E1,anna.new@example.com,Anna,,,,",
        "E9,x@example.com,X,,,,",
        ",anna@example.com,Someone else,,,,",
    )

    pipelined()
    assert (report.created, report.updated, report.errors) == (2, 1, [])
    assert Person.objects.get(pk=anna.pk).email == "anna.new@example.com"
    assert Person.objects.get(email="anna@example.com").first_name == "Someone else"


def test_a_person_two_batches_match_is_compared_with_what_the_first_left(pipelined):
    bo = _person(external_id="E2", email="bo@example.com", first_name="Bo")

    report = _import(
        ",bo@example.com,Bob,,,,",
        "E9,x@example.com,X,,,,",
        "E2,bob@example.com,Bob,Engineer,,,",
    )

    pipelined()
    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 2, 0, [])
    assert report.changes[-1].fields == {
        "email": ("bo@example.com", "bob@example.com"),
        "job_title": ("", "Engineer"),
    }
    person = Person.objects.get(pk=bo.pk)
    assert (person.email, person.first_name, person.job_title) == (
        "bob@example.com",
        "Bob",
        "Engineer",
    )


def test_a_manager_whose_email_an_earlier_batch_changed_is_still_the_same_manager(pipelined):
    manager = _person(external_id="M", email="boss@example.com", first_name="Boss")
    _person(external_id="R", email="rea@example.com", first_name="Rea", manager=manager)

    report = _import(
        "M,boss.new@example.com,Boss,,,,",
        "E9,x@example.com,X,,,,",
        "R,rea@example.com,Rea,,,boss.new@example.com,",
    )

    pipelined()
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert Person.objects.get(email="rea@example.com").manager_id == manager.pk


def test_a_manager_named_by_an_email_an_earlier_batch_changed_is_not_found_by_it(pipelined):
    _person(external_id="M", email="boss@example.com", first_name="Boss")

    report = _import(
        "M,boss.new@example.com,Boss,,,,",
        "E9,x@example.com,X,,,,",
        "N,new@example.com,New,,,boss@example.com,",
    )

    pipelined()
    assert (report.created, report.updated, report.errors) == (2, 1, [])
    assert Person.objects.get(email="new@example.com").manager_id is None


def test_a_full_sync_keeps_people_named_by_rejected_rows(pipelined):
    _person(external_id="E1", email="kept@example.com")
    gone = _person(external_id="E8", email="gone@example.com")

    report = _import(
        "E2,new@example.com,New,,,,",
        "E3,new@example.com,Twice,,,,",
        "E1,kept@example.com,Kept,,,,not-a-date",
        "E4,more@example.com,More,,Ops/Night,new@example.com,",
        full_sync=True,
    )

    pipelined()
    assert (report.created, report.marked_left, len(report.errors)) == (2, 1, 2)
    assert Person.objects.get(pk=gone.pk).status == Status.LEFT
    assert Person.objects.get(email="kept@example.com").status == Status.ACTIVE
    more = Person.objects.select_related("department", "manager").get(email="more@example.com")
    assert (more.department.path, more.manager.email) == ("Ops/Night", "new@example.com")


@pytest.fixture
def refuse_inserts_of() -> Iterator[Callable[[str], None]]:
    """A real database failure at write time: a trigger that rejects one person."""
    yield _create_refusing_trigger
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS refuse"
            + (" ON directory_person" if connection.vendor == "postgresql" else "")
        )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS refuse_person()")


def _create_refusing_trigger(email: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_person() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.email = '{email}' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON directory_person "
                "FOR EACH ROW EXECUTE FUNCTION refuse_person()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON directory_person "
                f"WHEN NEW.email = '{email}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_a_failed_write_raises_and_keeps_nothing(pipelined, refuse_inserts_of):
    refuse_inserts_of("c@example.com")

    with pytest.raises((DatabaseError, psycopg.Error)):
        _import("E1,a@example.com,A,,,,", "E2,b@example.com,B,,,,", "E3,c@example.com,C,,,,")

    pipelined()
    assert not Person.objects.filter(email__in=["a@example.com", "b@example.com"]).exists()


def test_values_with_tabs_and_backslashes_arrive_as_they_were(pipelined):
    report = _import('E1,a@example.com,"Tab\there","C:\\\\new\\N",,,')

    pipelined()
    assert report.created == 1
    person = Person.objects.get(email="a@example.com")
    assert (person.first_name, person.job_title) == ("Tab\there", "C:\\\\new\\N")


def test_copy_text_escapes_only_when_a_value_needs_it():
    assert copy_text([[1, "a", None], [2, "b", "c"]]) == b"1\ta\t\\N\n2\tb\tc\n"
    assert copy_text([[1, "a\tb", "c\\d"], [2, "e\nf", "\r"]]) == (
        b"1\ta\\tb\tc\\\\d\n2\te\\nf\t\\r\n"
    )
