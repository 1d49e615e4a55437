"""What an import returns: counts, per-row errors and the first field-level changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.translation import gettext

DEFAULT_COLUMNS: tuple[str, ...] = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "department",
    "site",
    "country",
    "time_zone",
    "language",
    "manager_email",
    "hire_date",
    "status",
    "tags",
)

ATTRIBUTE_PREFIX = "attr:"


class ImportFileError(Exception):
    """The file as a whole cannot be imported: unreadable, wrong format, no e-mail column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was not imported.

    ``message`` is the English text with named placeholders (marked for translation where
    it is written); ``reason`` translates it into the active language each time it is read,
    so a report built in a background task is shown in the reader's language.
    """

    line: int
    message: str
    column: str | None = None
    params: Mapping[str, object] | None = None

    @property
    def reason(self) -> str:
        text = gettext(self.message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        params = {key: str(value) for key, value in (self.params or {}).items()}
        return {
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
            "message": self.message,
            "params": params,
        }


@dataclass(frozen=True, slots=True)
class PersonChange:
    line: int
    email: str
    action: Literal["create", "update"]
    fields: dict[str, tuple[Any, Any]]


@dataclass(slots=True)
class ImportReport:
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    marked_left: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[PersonChange] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected(self) -> int:
        return len({error.line for error in self.errors})

    def as_json(self, *, error_limit: int | None = None) -> dict[str, Any]:
        """The report as JSON-ready data: for the API, and stored with a background job.

        Each error keeps its untranslated ``message`` and ``params`` beside the ``reason``
        in the current language, so a stored report can be shown in its reader's language
        (see ``row_errors_from_json``).
        """
        errors = self.errors if error_limit is None else self.errors[:error_limit]
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "marked_left": self.marked_left,
            "rejected": self.rejected,
            "errors": [error.as_json() for error in errors],
            "errors_total": len(self.errors),
            "changes": [
                {
                    "line": change.line,
                    "email": change.email,
                    "action": change.action,
                    "fields": {
                        name: [_text(old), _text(new)] for name, (old, new) in change.fields.items()
                    },
                }
                for change in self.changes
            ],
        }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def row_errors_from_json(errors: list[dict[str, Any]]) -> list[RowError]:
    """Rebuild stored row errors, so their reasons translate when they are read."""
    return [
        RowError(
            line=int(error["line"]),
            message=str(error.get("message") or error.get("reason", "")),
            column=error.get("column"),
            params=error.get("params") or None,
        )
        for error in errors
    ]


@dataclass(frozen=True, slots=True)
class ImportPreview:
    headers: list[str]
    rows: list[list[str]]
    suggested_mapping: dict[str, str]
    delimiter: str | None
    encoding: str | None
    file_format: Literal["csv", "xlsx"]
