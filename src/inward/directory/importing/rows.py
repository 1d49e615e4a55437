"""Turn one raw row into clean values, or into the reasons it cannot be imported."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from inward.directory.importing.columns import ColumnPlan
from inward.directory.importing.report import RowError
from inward.directory.models import Person, Status, tags_to_column

# Export prefixes these with a quote against formula injection; import takes it off again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_FIELDS = ("first_name", "last_name", "preferred_name", "job_title")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
STATUS_WORDS = {
    "active": Status.ACTIVE.value,
    "on_leave": Status.ON_LEAVE.value,
    "on leave": Status.ON_LEAVE.value,
    "on-leave": Status.ON_LEAVE.value,
    "left": Status.LEFT.value,
}
# Plain ASCII addresses, the common case, are checked with this; anything else goes through
# Django's EmailValidator, which also knows international domain names.
SIMPLE_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_validate_email = EmailValidator()


@dataclass(slots=True)
class CleanRow:
    """A valid row. ``None`` means "column not in the file": leave the field as it is."""

    line: int
    email: str
    external_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    department: str | None = None
    site: str | None = None
    manager_email: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


def unquote(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        value = value[1:]
    return value.strip()


def email_key(value: str) -> str:
    return value.strip().lower()


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _max_length(name: str) -> int:
    return int(getattr(Person._meta.get_field(name), "max_length", 0) or 0)


class RowParser:
    """Parses rows for one column plan; ``parse`` returns a CleanRow or the row's errors."""

    def __init__(self, plan: ColumnPlan) -> None:
        self.plan = plan
        self.width = plan.width

    def cells(self, cells: list[str]) -> dict[str, str]:
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        return {name: unquote(cells[index]) for name, index in self.plan.fields.items()}

    def keys(self, cells: list[str]) -> tuple[str, str]:
        """The e-mail and external id of a row, cleaned but not validated."""
        raw = self.cells(cells)
        return email_key(raw.get("email", "")), raw.get("external_id", "")

    def parse(self, line: int, cells: list[str]) -> CleanRow | list[RowError]:
        raw = self.cells(cells)
        errors: list[RowError] = []
        row = CleanRow(line=line, email=_email(raw.get("email", ""), line, errors))
        for name, value in raw.items():
            _PARSERS[name](row, value, errors)
        row.attributes = {
            name: unquote(cells[index]) if index < len(cells) else ""
            for name, index in self.plan.attributes
        }
        return errors or row


def _email(value: str, line: int, errors: list[RowError]) -> str:
    email = email_key(value)
    if not email:
        errors.append(RowError(line, "missing email", "email"))
    elif not _is_email(email) or len(email) > _max_length("email"):
        errors.append(RowError(line, f"invalid email {value!r}", "email"))
    return email


def _is_email(value: str) -> bool:
    if SIMPLE_EMAIL.match(value):
        return True
    try:
        _validate_email(value)
    except ValidationError:
        return False
    return True


def _error(row: CleanRow, errors: list[RowError], column: str, reason: str) -> None:
    errors.append(RowError(row.line, f"{reason} in {column}", column))


def _skip(row: CleanRow, value: str, errors: list[RowError]) -> None:
    return None


def _external_id(row: CleanRow, value: str, errors: list[RowError]) -> None:
    if len(value) > _max_length("external_id"):
        _error(row, errors, "external_id", "too long")
    row.external_id = value or None


def _text(name: str) -> Any:
    def parse(row: CleanRow, value: str, errors: list[RowError]) -> None:
        if len(value) > _max_length(name):
            _error(row, errors, name, f"too long (at most {_max_length(name)} characters)")
        row.values[name] = value

    return parse


def _department(row: CleanRow, value: str, errors: list[RowError]) -> None:
    row.department = "/".join(part.strip() for part in value.split("/") if part.strip())
    if len(row.department) > 1000 or any(len(part) > 200 for part in row.department.split("/")):
        _error(row, errors, "department", "too long")


def _site(row: CleanRow, value: str, errors: list[RowError]) -> None:
    if len(value) > 200:
        _error(row, errors, "site", "too long")
    row.site = value


def _country(row: CleanRow, value: str, errors: list[RowError]) -> None:
    code = value.upper()
    if code and not COUNTRY_CODE.match(code):
        _error(row, errors, "country", f"invalid country {value!r} (use ISO 3166 codes like NL)")
    row.values["country"] = code


def _time_zone(row: CleanRow, value: str, errors: list[RowError]) -> None:
    if value and value not in _time_zones():
        _error(row, errors, "time_zone", f"unknown time zone {value!r}")
    row.values["time_zone"] = value


def _language(row: CleanRow, value: str, errors: list[RowError]) -> None:
    if value and (not LANGUAGE_TAG.match(value) or len(value) > _max_length("language")):
        _error(row, errors, "language", f"invalid language tag {value!r}")
    row.values["language"] = value


def _manager_email(row: CleanRow, value: str, errors: list[RowError]) -> None:
    manager = email_key(value)
    if manager and not _is_email(manager):
        _error(row, errors, "manager_email", f"invalid email {value!r}")
    elif manager and manager == row.email:
        errors.append(RowError(row.line, "a person cannot be their own manager", "manager_email"))
    row.manager_email = manager


def _hire_date(row: CleanRow, value: str, errors: list[RowError]) -> None:
    try:
        row.values["hire_date"] = dt.date.fromisoformat(value) if value else None
    except ValueError:
        _error(row, errors, "hire_date", f"bad date {value!r}")


def _status(row: CleanRow, value: str, errors: list[RowError]) -> None:
    if not value:
        return  # keep the current status; new people start active
    status = STATUS_WORDS.get(value.lower())
    if status is None:
        _error(row, errors, "status", f"unknown status {value!r}")
    row.values["status"] = status


def _tags(row: CleanRow, value: str, errors: list[RowError]) -> None:
    row.values["tags"] = tags_to_column(value.split(";"))
    if len(row.values["tags"]) > _max_length("tags"):
        _error(row, errors, "tags", "too long")


_PARSERS: dict[str, Any] = {
    "email": _skip,
    "external_id": _external_id,
    **{name: _text(name) for name in TEXT_FIELDS},
    "department": _department,
    "site": _site,
    "country": _country,
    "time_zone": _time_zone,
    "language": _language,
    "manager_email": _manager_email,
    "hire_date": _hire_date,
    "status": _status,
    "tags": _tags,
}
