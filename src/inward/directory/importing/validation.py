"""The first pass: validate every row and decide which rows are rejected, writing nothing.

Rows are rejected for their own faults (missing or invalid email, bad date, unknown
status, …), for repeating an email or external id seen earlier in the file, and for
naming a manager who is neither an accepted row of the file nor a person in the database.
The last rule cascades: when a manager's row is rejected and that manager is not already
in the database, the rows reporting to them are rejected too, and so on down the chain.

Memory stays small on large files: keys are kept as 64-bit hashes in a flat array, and the
manager links as three arrays of integers; only the distinct manager emails are kept as strings.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_noop

from inward.directory.importing.hashset import Int64Set
from inward.directory.importing.report import RowError
from inward.directory.importing.rows import CleanRow, RowParser
from inward.directory.importing.spool import RowSpool
from inward.directory.models import Person

LOOKUP_CHUNK = 1000
DUPLICATE_EMAIL = gettext_noop("duplicate email %(email)s in the file")
DUPLICATE_EXTERNAL_ID = gettext_noop("duplicate external_id %(external_id)s in the file")
UNKNOWN_MANAGER = gettext_noop("unknown manager %(email)s")


@dataclass
class Validation:
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)
    accepted: int = 0
    manager_emails: set[str] = field(default_factory=set)

    def reject(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.errors.append(error)
            self.rejected.add(error.line)


@dataclass
class _ManagerLinks:
    emails: array[int] = field(default_factory=lambda: array("q"))
    managers: array[int] = field(default_factory=lambda: array("q"))
    lines: array[int] = field(default_factory=lambda: array("q"))
    manager_emails: set[str] = field(default_factory=set)

    def add(self, row: CleanRow, manager: str) -> None:
        self.emails.append(hash(row.email))
        self.managers.append(hash(manager))
        self.lines.append(row.line)
        self.manager_emails.add(manager)


def rows_validate(
    *,
    rows: Iterator[tuple[int, list[str]]],
    parser: RowParser,
    spool: RowSpool,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 2000,
) -> Validation:
    """Validate every row, then the manager references across the whole file.

    Clean rows, and the keys of rejected ones, go to ``spool`` for the second pass.
    """
    result = Validation()
    seen = Int64Set()  # hashes of the emails and external ids of accepted rows
    links = _ManagerLinks()
    for line, cells in rows:
        result.total_rows += 1
        parsed = parser.parse(line, cells)
        if _validate_row(parsed, result, seen, links):
            spool.add(parsed)  # type: ignore[arg-type]
        else:
            spool.add_rejected(parser.keys(cells))
        if progress is not None and result.total_rows % batch_size == 0:
            progress(batch_size)
    if progress is not None and result.total_rows % batch_size:
        progress(result.total_rows % batch_size)
    _reject_unknown_managers(result, seen, links)
    result.manager_emails = links.manager_emails
    result.accepted = result.total_rows - len(result.rejected)
    return result


def _validate_row(
    parsed: CleanRow | list[RowError],
    result: Validation,
    seen: Int64Set,
    links: _ManagerLinks,
) -> bool:
    """Record the row's errors or keys; whether it is accepted, so far."""
    if isinstance(parsed, list):
        result.reject(parsed)
        return False
    duplicates = _duplicates(parsed, seen)
    if duplicates:
        result.reject(duplicates)
        return False
    if parsed.manager_email:
        links.add(parsed, parsed.manager_email)
    return True


def _duplicates(row: CleanRow, seen: Int64Set) -> list[RowError]:
    """Errors for keys an earlier accepted row has; else remember this row's keys."""
    errors = []
    email_key = hash(row.email)
    if email_key in seen:
        errors.append(RowError(row.line, DUPLICATE_EMAIL, "email", {"email": repr(row.email)}))
    id_key = hash("\x00" + row.external_id) if row.external_id else None
    if id_key is not None and id_key in seen:
        params = {"external_id": repr(row.external_id)}
        errors.append(RowError(row.line, DUPLICATE_EXTERNAL_ID, "external_id", params))
    if not errors:
        seen.add(email_key)
        if id_key is not None:
            seen.add(id_key)
    return errors


def _reject_unknown_managers(result: Validation, seen: Int64Set, links: _ManagerLinks) -> None:
    by_hash = {hash(email): email for email in links.manager_emails}
    candidates = {email for email in links.manager_emails if hash(email) not in seen}
    while candidates:
        unknown = {hash(email) for email in candidates - emails_in_database(candidates)}
        candidates = set()
        for index, manager in enumerate(links.managers):
            line = links.lines[index]
            if manager not in unknown or line in result.rejected:
                continue
            params = {"email": repr(by_hash[manager])}
            result.reject([RowError(line, UNKNOWN_MANAGER, "manager_email", params)])
            if links.emails[index] in by_hash:
                candidates.add(by_hash[links.emails[index]])


def people_by_email(emails: list[str]) -> QuerySet[Person]:
    """People by lower-case email, through the index on ``lower(email)``."""
    return Person.objects.alias(email_ci=Lower("email")).filter(email_ci__in=emails)


def emails_in_database(emails: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(emails)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        found.update(people_by_email(chunk).values_list("email", flat=True))
    return found
