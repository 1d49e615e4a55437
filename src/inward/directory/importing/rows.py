"""Turn one raw row into clean values, or into the reasons it cannot be imported.

A ``RowParser`` is built once per file: it knows where each field sits and keeps one
converter per column, so parsing a row is one pass over its cells with no dicts built.
The clean values travel as a tuple in the order of ``RowParser.value_fields``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_noop

from inward.directory.importing.columns import ColumnPlan
from inward.directory.importing.report import RowError
from inward.directory.models import Person, Status, tags_to_column

# Export prefixes these with a quote against formula injection; import takes it off again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_FIELDS = ("first_name", "last_name", "preferred_name", "job_title")
# Fields kept as plain values on the person, in no particular order.
VALUE_FIELDS = (*TEXT_FIELDS, "country", "time_zone", "language", "hire_date", "status", "tags")
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
).match
_validate_email = EmailValidator()

# The reasons, in English with named placeholders; RowError.reason translates them.
MISSING_EMAIL = gettext_noop("missing email")
INVALID_EMAIL = gettext_noop("invalid email %(value)s")
TOO_LONG = gettext_noop("too long in %(column)s")
TOO_LONG_AT_MOST = gettext_noop("too long (at most %(limit)s characters) in %(column)s")
INVALID_COUNTRY = gettext_noop(
    "invalid country %(value)s (use ISO 3166 codes like NL) in %(column)s"
)
UNKNOWN_TIME_ZONE = gettext_noop("unknown time zone %(value)s in %(column)s")
INVALID_LANGUAGE = gettext_noop("invalid language tag %(value)s in %(column)s")
INVALID_MANAGER_EMAIL = gettext_noop("invalid email %(value)s in %(column)s")
OWN_MANAGER = gettext_noop("a person cannot be their own manager")
BAD_DATE = gettext_noop("bad date %(value)s in %(column)s")
UNKNOWN_STATUS = gettext_noop("unknown status %(value)s in %(column)s")


class BadValue(Exception):
    """A cell a converter refuses; carries the message and its placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass(slots=True)
class CleanRow:
    """A valid row. ``None`` means "column not in the file": leave the field as it is.

    ``values`` lines up with ``RowParser.value_fields``; in it ``hire_date`` is an ISO
    string or None and a ``status`` of None keeps the current status. ``attributes`` lines
    up with ``RowParser.attribute_names``; an empty string removes the attribute.
    """

    line: int
    email: str
    external_id: str | None = None
    values: tuple[str | None, ...] = ()
    department: str | None = None
    site: str | None = None
    manager_email: str | None = None
    attributes: tuple[str, ...] = ()


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


Converter = Callable[[str], str | None]
MEMO_SIZE = 10_000  # distinct cells remembered per column
_MISSING = object()


class RowParser:
    """Parses rows for one column plan; ``parse`` returns a CleanRow or the row's errors."""

    def __init__(self, plan: ColumnPlan) -> None:
        self.plan = plan
        self.width = plan.width
        fields = plan.fields
        self.email_index = fields["email"]
        self.external_id_index = fields.get("external_id")
        self.department_index = fields.get("department")
        self.site_index = fields.get("site")
        self.manager_index = fields.get("manager_email")
        self.value_fields = tuple(name for name in fields if name in VALUE_FIELDS)
        # A converter per value column, with a memo of the cells it has seen: most columns
        # hold few distinct values (a country, a status, a department), so most cells cost
        # one dict lookup.
        self.converters: tuple[tuple[str, int, dict[str, str | None], Converter], ...] = tuple(
            (name, fields[name], {}, _CONVERTERS[name]()) for name in self.value_fields
        )
        self.departments: dict[str, str] = {}
        self.attribute_names = tuple(name for name, _ in plan.attributes)
        self.attribute_indexes = tuple(index for _, index in plan.attributes)

    def keys(self, cells: list[str]) -> tuple[str, str]:
        """The e-mail and external id of a row, cleaned but not validated."""
        cells = self._cleaned(cells)
        external_id = "" if self.external_id_index is None else cells[self.external_id_index]
        return email_key(cells[self.email_index]), external_id

    def _cleaned(self, cells: list[str]) -> list[str]:
        """Every cell unquoted and stripped, and as many cells as the plan reads."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        if "'" in "".join(cells):  # rare: only then can a cell carry the export's quote
            return [unquote(cell) for cell in cells]
        return list(map(str.strip, cells))

    def parse(self, line: int, cells: list[str]) -> CleanRow | list[RowError]:
        cells = self._cleaned(cells)
        errors: list[RowError] = []
        email = _email(cells[self.email_index], line, errors)
        row = CleanRow(line, email)
        if self.external_id_index is not None:
            row.external_id = _external_id(cells[self.external_id_index], line, errors)
        values: list[str | None] = []
        for name, index, memo, convert in self.converters:
            value = cells[index]
            clean = memo.get(value, _MISSING)
            if clean is _MISSING:
                try:
                    clean = convert(value)
                except BadValue as bad:
                    errors.append(RowError(line, bad.message, name, bad.params | {"column": name}))
                    continue
                if len(memo) < MEMO_SIZE:
                    memo[value] = clean
            values.append(clean)  # type: ignore[arg-type]
        row.values = tuple(values)
        self._places(row, cells, errors)
        if self.manager_index is not None:
            row.manager_email = _manager(cells[self.manager_index], email, line, errors)
        if self.attribute_indexes:
            row.attributes = tuple([cells[index] for index in self.attribute_indexes])
        if len(errors) > 1:
            errors.sort(key=self._column_order)
        return errors or row

    def _column_order(self, error: RowError) -> int:
        """Errors of a row in the order of its columns, the email's first."""
        if error.column is None or error.column == "email":
            return -1
        return self.plan.fields[error.column]

    def _places(self, row: CleanRow, cells: list[str], errors: list[RowError]) -> None:
        if self.department_index is not None:
            value = cells[self.department_index]
            path = self.departments.get(value)
            if path is None:
                known_errors = len(errors)
                path = _department(value, row.line, errors)
                if len(errors) == known_errors and len(self.departments) < MEMO_SIZE:
                    self.departments[value] = path
            row.department = path
        if self.site_index is not None:
            row.site = cells[self.site_index]
            if len(row.site) > 200:
                errors.append(RowError(row.line, TOO_LONG, "site", {"column": "site"}))


def _external_id(value: str, line: int, errors: list[RowError]) -> str | None:
    if len(value) > _max_length("external_id"):
        errors.append(RowError(line, TOO_LONG, "external_id", {"column": "external_id"}))
    return value or None


def _email(value: str, line: int, errors: list[RowError]) -> str:
    email = email_key(value)
    if not email:
        errors.append(RowError(line, MISSING_EMAIL, "email"))
    elif not _is_email(email) or len(email) > _max_length("email"):
        errors.append(RowError(line, INVALID_EMAIL, "email", {"value": repr(value)}))
    return email


def _is_email(value: str) -> bool:
    if SIMPLE_EMAIL(value):
        return True
    try:
        _validate_email(value)
    except ValidationError:
        return False
    return True


def _department(value: str, line: int, errors: list[RowError]) -> str:
    if "/" in value:
        value = "/".join(part.strip() for part in value.split("/") if part.strip())
    if len(value) > 1000 or any(len(part) > 200 for part in value.split("/")):
        errors.append(RowError(line, TOO_LONG, "department", {"column": "department"}))
    return value


def _manager(value: str, email: str, line: int, errors: list[RowError]) -> str:
    manager = email_key(value)
    if manager and not _is_email(manager):
        errors.append(
            RowError(
                line, INVALID_MANAGER_EMAIL, "manager_email",
                {"value": repr(value), "column": "manager_email"},
            )
        )  # fmt: skip
    elif manager and manager == email:
        errors.append(RowError(line, OWN_MANAGER, "manager_email"))
    return manager


def _text(name: str) -> Callable[[], Converter]:
    def make() -> Converter:
        limit = _max_length(name)

        def convert(value: str) -> str:
            if len(value) > limit:
                raise BadValue(TOO_LONG_AT_MOST, limit=limit)
            return value

        return convert

    return make


def _country() -> Converter:
    def convert(value: str) -> str:
        code = value.upper()
        if code and not COUNTRY_CODE.match(code):
            raise BadValue(INVALID_COUNTRY, value=repr(value))
        return code

    return convert


def _time_zone() -> Converter:
    zones = _time_zones()

    def convert(value: str) -> str:
        if value and value not in zones:
            raise BadValue(UNKNOWN_TIME_ZONE, value=repr(value))
        return value

    return convert


def _language() -> Converter:
    limit = _max_length("language")

    def convert(value: str) -> str:
        if value and (not LANGUAGE_TAG.match(value) or len(value) > limit):
            raise BadValue(INVALID_LANGUAGE, value=repr(value))
        return value

    return convert


def _hire_date() -> Converter:
    def convert(value: str) -> str | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise BadValue(BAD_DATE, value=repr(value)) from None

    return convert


def _status() -> Converter:
    def convert(value: str) -> str | None:
        if not value:
            return None  # keep the current status; new people start active
        status = STATUS_WORDS.get(value.lower())
        if status is None:
            raise BadValue(UNKNOWN_STATUS, value=repr(value))
        return status

    return convert


def _tags() -> Converter:
    limit = _max_length("tags")

    def convert(value: str) -> str:
        tags = tags_to_column(value.split(";")) if value else ""
        if len(tags) > limit:
            raise BadValue(TOO_LONG)
        return tags

    return convert


_CONVERTERS: dict[str, Callable[[], Converter]] = {
    **{name: _text(name) for name in TEXT_FIELDS},
    "country": _country,
    "time_zone": _time_zone,
    "language": _language,
    "hire_date": _hire_date,
    "status": _status,
    "tags": _tags,
}
