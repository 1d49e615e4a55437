"""Export people as CSV in the import's own format, so that an export re-imports unchanged.

Cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) get a leading single quote; the importer takes that quote off again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from django.db.models import QuerySet

from inward.directory.importing.report import DEFAULT_COLUMNS
from inward.directory.importing.rows import FORMULA_TRIGGERS
from inward.directory.models import Person

CHUNK = 2000
VALUES = (
    "external_id", "email", "first_name", "last_name", "preferred_name", "job_title",
    "department__path", "site__name", "country", "time_zone", "language", "manager__email",
    "hire_date", "status", "tags", "attributes",
)  # fmt: skip


def export_people_csv(*, out: TextIO, queryset: QuerySet[Person] | None = None) -> int:
    """Write the people of ``queryset`` (default: everyone) to ``out``; return the row count.

    Reads the people twice, in chunks: once for the attribute names, then for the rows.
    """
    people = (Person.objects.all() if queryset is None else queryset).order_by("id")
    names = _attribute_names(people)
    writer = csv.writer(out)
    writer.writerow([*DEFAULT_COLUMNS, *(neutralise(name) for name in names)])
    count = 0
    for values in _rows(people):
        writer.writerow([neutralise(cell) for cell in _cells(values, names)])
        count += 1
    return count


def neutralise(value: str) -> str:
    """Prefix a quote to a cell a spreadsheet would otherwise treat as a formula."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _attribute_names(people: QuerySet[Person]) -> list[str]:
    names: set[str] = set()
    for attributes in people.values_list("attributes", flat=True).iterator(chunk_size=CHUNK):
        if isinstance(attributes, dict):
            names.update(attributes)
    return sorted(names - set(DEFAULT_COLUMNS))


def _rows(people: QuerySet[Person]) -> Iterator[dict[str, Any]]:
    yield from people.values(*VALUES).iterator(chunk_size=CHUNK)


def _cells(values: dict[str, Any], names: list[str]) -> list[str]:
    attributes = values["attributes"] if isinstance(values["attributes"], dict) else {}
    hire_date = values["hire_date"]
    return [
        values["external_id"] or "",
        values["email"],
        values["first_name"],
        values["last_name"],
        values["preferred_name"],
        values["job_title"],
        values["department__path"] or "",
        values["site__name"] or "",
        values["country"],
        values["time_zone"],
        values["language"],
        values["manager__email"] or "",
        hire_date.isoformat() if hire_date else "",
        values["status"],
        ";".join(tag for tag in values["tags"].split(";") if tag),
        *(_attribute_text(attributes.get(name)) for name in names),
    ]


def _attribute_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
