"""Which file column feeds which person field: the default names, a mapping, attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inward.directory.importing.report import ATTRIBUTE_PREFIX, DEFAULT_COLUMNS, ImportFileError

IGNORE = "ignore"

# Common header spellings, used only to *suggest* a mapping for the preview.
ALIASES: dict[str, str] = {
    "id": "external_id",
    "employee_id": "external_id",
    "employee_number": "external_id",
    "personnel_number": "external_id",
    "mail": "email",
    "e_mail": "email",
    "email_address": "email",
    "work_email": "email",
    "given_name": "first_name",
    "firstname": "first_name",
    "surname": "last_name",
    "family_name": "last_name",
    "lastname": "last_name",
    "nickname": "preferred_name",
    "known_as": "preferred_name",
    "title": "job_title",
    "function": "job_title",
    "position": "job_title",
    "dept": "department",
    "team": "department",
    "location": "site",
    "office": "site",
    "timezone": "time_zone",
    "tz": "time_zone",
    "locale": "language",
    "manager": "manager_email",
    "manager_mail": "manager_email",
    "start_date": "hire_date",
    "hired": "hire_date",
    "employment_status": "status",
    "labels": "tags",
}


@dataclass
class ColumnPlan:
    """Positions of the known fields and of the custom attributes in a row."""

    fields: dict[str, int] = field(default_factory=dict)
    attributes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        positions = [*self.fields.values(), *(index for _, index in self.attributes)]
        return max(positions, default=-1) + 1


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def default_field(header: str) -> str:
    """The field a header feeds without a mapping: a default column, else an attribute."""
    name = normalise_header(header)
    return name if name in DEFAULT_COLUMNS else f"{ATTRIBUTE_PREFIX}{header.strip()}"


def suggest_mapping(headers: list[str]) -> dict[str, str]:
    """A field for every header, recognising common spellings (``Mail``, ``Dept``)."""
    suggested: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        name = normalise_header(header)
        target = name if name in DEFAULT_COLUMNS else ALIASES.get(name, "")
        if not target or target in taken:
            target = f"{ATTRIBUTE_PREFIX}{header.strip()}"
        taken.add(target)
        suggested[header] = target
    return suggested


def column_plan(*, headers: list[str], mapping: dict[str, str] | None) -> ColumnPlan:
    """Resolve every header to a field; raise ImportFileError for an unusable mapping."""
    mapping = {key.strip(): value.strip() for key, value in (mapping or {}).items()}
    unknown = set(mapping) - {header.strip() for header in headers}
    if unknown:
        raise ImportFileError(f"The mapping names columns not in the file: {sorted(unknown)}.")
    plan = ColumnPlan()
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        target = _target(mapping.get(header.strip()) or default_field(header))
        if target == IGNORE:
            continue
        _place(plan, target, index, header)
    if "email" not in plan.fields:
        raise ImportFileError("The file has no email column (map one with e.g. Mail=email).")
    return plan


def _target(value: str) -> str:
    if value == IGNORE or value.startswith(ATTRIBUTE_PREFIX):
        return value
    name = normalise_header(value)
    if name not in DEFAULT_COLUMNS:
        raise ImportFileError(
            f"Unknown field {value!r} in the mapping; use one of {', '.join(DEFAULT_COLUMNS)}, "
            f"'{ATTRIBUTE_PREFIX}<name>' or '{IGNORE}'."
        )
    return name


def _place(plan: ColumnPlan, target: str, index: int, header: str) -> None:
    if target.startswith(ATTRIBUTE_PREFIX):
        name = target.removeprefix(ATTRIBUTE_PREFIX).strip()
        if not name or name in {attr for attr, _ in plan.attributes}:
            raise ImportFileError(f"Column {header!r} repeats attribute {name!r}.")
        plan.attributes.append((name, index))
    elif target in plan.fields:
        raise ImportFileError(f"Two columns feed {target!r}; map or rename one of them.")
    else:
        plan.fields[target] = index
