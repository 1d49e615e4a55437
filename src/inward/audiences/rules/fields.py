"""Which fields a rule may name, and which operators each kind of field accepts.

The compiler turns each kind into SQL; see ``compiler.py``. Kept free of Django so the
parser, the JSON reader and the docs agree on one list.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    ATTR = "attr"
    DEPARTMENT = "department"
    SITE = "site"
    MANAGER = "manager"
    LANGUAGE = "language"
    STATUS = "status"
    TAGS = "tags"
    DATE = "date"
    TENURE = "tenure"


TEXT_OPS = ("=", "!=", "in", "not in", "contains", "startswith", "is empty", "is not empty")
ORDER_OPS = ("=", "!=", "<", "<=", ">", ">=")

OPERATORS_BY_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: TEXT_OPS,
    Kind.ATTR: TEXT_OPS,
    Kind.SITE: TEXT_OPS,
    Kind.MANAGER: TEXT_OPS,
    Kind.LANGUAGE: TEXT_OPS,
    Kind.DEPARTMENT: ("=", "!=", "in", "not in", "is empty", "is not empty"),
    Kind.STATUS: ("=", "!=", "in", "not in"),
    Kind.TAGS: ("contains", "is empty", "is not empty"),
    Kind.DATE: (*ORDER_OPS, "is empty", "is not empty"),
    Kind.TENURE: ORDER_OPS,
}

FIELDS: dict[str, Kind] = {
    "email": Kind.TEXT,
    "first_name": Kind.TEXT,
    "last_name": Kind.TEXT,
    "preferred_name": Kind.TEXT,
    "job_title": Kind.TEXT,
    "country": Kind.TEXT,
    "time_zone": Kind.TEXT,
    "external_id": Kind.TEXT,
    "department": Kind.DEPARTMENT,
    "site": Kind.SITE,
    "manager": Kind.MANAGER,
    "language": Kind.LANGUAGE,
    "status": Kind.STATUS,
    "tags": Kind.TAGS,
    "hire_date": Kind.DATE,
    "tenure": Kind.TENURE,
}

ATTR_PREFIX = "attr."
STATUSES = ("active", "on_leave", "left")


def field_kind(field: str) -> Kind | None:
    """The kind of a field, or None when there is no such field."""
    if field.startswith(ATTR_PREFIX) and len(field) > len(ATTR_PREFIX):
        return Kind.ATTR
    return FIELDS.get(field)
