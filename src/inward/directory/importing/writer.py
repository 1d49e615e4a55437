"""The second pass: write accepted rows in batches.

Each batch costs a fixed number of queries, whatever its size: one to find people by
external id, one by email, at most one for managers, at most one to reserve ids for new
people, one ``executemany`` update, one insert (``COPY`` on PostgreSQL) and, in a full sync,
one insert into the table of people seen. Creating a department or a site the directory
does not know yet costs a query the first time only.

Rows are compared with the people they match as tuples; the field-by-field changes a
report shows are worked out only for the first ``change_limit`` changed rows.

On PostgreSQL, when the import owns its transaction, the lookups run ahead on a second
connection and the writes behind in a thread (``pipelined``; see ``pipeline``).
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_noop

from inward.directory.importing.insert import DEFAULTS, INSERT_COLUMNS, PersonTable, copy_text
from inward.directory.importing.lookups import Departments, Managers, Sites
from inward.directory.importing.pipeline import BatchSink, SideConnection
from inward.directory.importing.report import ImportReport, PersonChange, RowError
from inward.directory.importing.rows import VALUE_FIELDS, CleanRow, RowParser
from inward.directory.importing.seen import SeenPeople
from inward.directory.models import Department, Person, Site

BELONGS_TO_EXTERNAL_ID = gettext_noop("email %(email)s belongs to external_id %(external_id)s")
BELONGS_TO_ANOTHER = gettext_noop("email %(email)s belongs to another person")
SAME_PERSON = gettext_noop("matches the same person as line %(line)s")

# A person as ``_current_people`` reads them: a tuple, these positions.
ID, EXTERNAL_ID, EMAIL = 0, 1, 2
FIRST_VALUE = 3  # VALUE_FIELDS follow, in their order
DEPARTMENT_ID = FIRST_VALUE + len(VALUE_FIELDS)
DEPARTMENT_PATH, SITE_ID, SITE_NAME, MANAGER_ID, MANAGER_EMAIL, ATTRIBUTES = range(
    DEPARTMENT_ID + 1, DEPARTMENT_ID + 7
)
JSON_MEMO = 10_000  # distinct attribute values remembered
KEY_SEPARATOR = "\x1f"  # joins the keys of a lookup into one text parameter
LOOKUP_CHUNK = 10_000  # SQLite takes up to 32,766 parameters in a query
Current = tuple[Any, ...]
Found = tuple[dict[str, Current], dict[str, Current]]
_PERSON = Person._meta.db_table
COLUMN = {name: position for position, name in enumerate(INSERT_COLUMNS)}
_CURRENT_AT = {
    "email": EMAIL,
    "external_id": EXTERNAL_ID,
    **{name: FIRST_VALUE + index for index, name in enumerate(VALUE_FIELDS)},
}


@dataclass
class Deferred:
    """Manager links to set after the load, for managers further down the file."""

    people: array[int] = field(default_factory=lambda: array("q"))
    managers: array[int] = field(default_factory=lambda: array("l"))
    emails: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, person_id: int, email: str) -> None:
        if email not in self.index:
            self.index[email] = len(self.emails)
            self.emails.append(email)
        self.people.append(person_id)
        self.managers.append(self.index[email])


@dataclass(slots=True)
class Written:
    """One row on its way to the database: a new person's values or a changed person's."""

    row: CleanRow
    current: Current | None
    values: list[Any]
    manager_email: str | None = None  # still to resolve


class BatchWriter:
    def __init__(
        self,
        *,
        report: ImportReport,
        change_limit: int,
        seen: SeenPeople | None,
        parser: RowParser,
        manager_emails: set[str],
        pipelined: bool = False,
    ):
        """``pipelined`` (PostgreSQL, outside any outer transaction): see ``pipeline``."""
        self.report = report
        self.change_limit = change_limit
        self.seen = seen
        self.layout = _Layout(parser)
        self.departments = Departments()
        self.sites = Sites()
        self.managers = Managers()
        self.manager_emails = manager_emails
        self.deferred = Deferred()
        self.table = PersonTable()
        self.sql = _current_sql()
        self.attributes_json: dict[tuple[str, ...], str] = {}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Compiling each small lookup costs more than running it; until commit only.
                cursor.execute("SET LOCAL jit = off")
        # Pipelined: ids of people who existed before the import and whom a batch changed;
        # a second connection's answers about them, or their managers, may be stale.
        self.touched: set[int] = set()
        self.side: SideConnection | None = None
        self.sink: BatchSink | None = None
        if pipelined:
            self.side = self.table.side = SideConnection()
            self.sink = BatchSink()
            self.departments.before_create = self.sites.before_create = self.sink.drain

    def lookups(self, rows: list[CleanRow]) -> Found:
        """The people ``rows`` match, as far as committed data tells; for ``write``'s ``found``.

        Pipelined only; safe to call from another thread (it uses the second connection).
        """
        assert self.side is not None
        return self._current_people(rows, self._side_query)

    def close(self) -> None:
        """Stop the pipeline's thread and connection, if any; call before the transaction ends."""
        if self.sink is not None:
            self.sink.close()
        if self.side is not None:
            self.side.close()

    def write(
        self,
        rows: list[CleanRow],
        rejected_keys: list[tuple[str, str]],
        found: Found | None = None,
    ) -> None:
        """Write a batch. ``found``: what ``lookups`` said for ``rows``, when pipelined."""
        if found is None or self._stale(found):
            self._drain()
            found = self._current_people(rows, self._query)
        by_id, by_email = found
        now = timezone.now()
        stamp = self.table.stamp(now)
        created: list[Written] = []
        updated: list[Written] = []
        seen_ids: list[int] = []
        matched: dict[int, int] = {}
        for row in rows:
            current = _match(row, by_id, by_email, matched)
            if isinstance(current, RowError):
                self.report.errors.append(current)
            elif current is None:
                created.append(self._new(row, stamp))
            else:
                seen_ids.append(current[ID])
                self._existing(row, current, stamp, updated)
        self._assign_ids(created)
        self._resolve_managers(created, updated)
        changes = [item.values for item in updated]
        news = [item.values for item in created]
        seen_ids += [item.values[0] for item in created]
        if self.sink is None:
            self.table.update(self.layout.update_columns, changes)
            self.table.insert(news)
            if self.seen is not None:
                self.seen.add(seen_ids + self._ids_of(rejected_keys))
            return
        self.touched.update(item.current[ID] for item in updated if item.current is not None)
        data = copy_text(news)
        self.sink.submit(lambda raw: self._write_raw(raw, changes, data, seen_ids, rejected_keys))

    def _write_raw(
        self,
        raw: Any,
        changes: list[list[Any]],
        news: bytes,
        seen_ids: list[int],
        rejected_keys: list[tuple[str, str]],
    ) -> None:
        """A batch's writes, in the sink's thread, through the import's psycopg connection."""
        self.table.update(self.layout.update_columns, changes, raw=raw)
        self.table.copy(news, raw)
        if self.seen is not None:
            self.seen.add(seen_ids + _raw_ids_of(raw, rejected_keys), raw=raw)

    def _drain(self) -> None:
        if self.sink is not None:
            self.sink.drain()

    def _stale(self, found: Found) -> bool:
        """Whether the second connection may have answered differently from the import's:
        it sees people as they were before the import, not as earlier batches left them."""
        touched = self.touched
        if not touched:
            return False
        return any(
            person[ID] in touched or person[MANAGER_ID] in touched
            for people in found
            for person in people.values()
        )

    def _manager_ids(self, emails: set[str]) -> dict[str, int]:
        if self.side is None:
            return self.managers.resolve(emails)
        missing = self.managers.missing(emails)
        found: list[tuple[str, int]] = []
        if missing:
            sql = f'SELECT email, id FROM {_PERSON} WHERE LOWER("email") = ANY(%s)'  # noqa: S608
            found = [(email, person_id) for email, person_id in self.side.query(sql, [missing])]
        if any(person_id in self.touched for _, person_id in found):
            self._drain()
            return self.managers.resolve(emails)
        return self.managers.resolve(emails, found)

    def finish(self) -> None:
        """Link the reports whose managers were written after them."""
        self._drain()
        ids = self.managers.resolve(set(self.deferred.emails))
        pairs = zip(self.deferred.people, self.deferred.managers, strict=True)
        emails = self.deferred.emails
        links = [
            (ids[emails[manager]], person_id)
            for person_id, manager in pairs
            if emails[manager] in ids
        ]
        self.table.update(["manager_id"], links)

    def _new(self, row: CleanRow, stamp: Any) -> Written:
        values = list(self.layout.defaults)
        values[1] = row.external_id
        values[2] = row.email
        for position, value in zip(self.layout.value_columns, row.values, strict=True):
            if value is not None:
                values[position] = value
        if row.department is not None:
            values[7] = self.departments.id_for(row.department)
        if row.site is not None:
            values[8] = self.sites.id_for(row.site)
        if row.attributes:
            values[16] = self._attributes_json(row.attributes)
        values[17] = values[18] = stamp
        written = Written(row, None, values, row.manager_email or None)
        self._count(written)
        return written

    def _attributes_json(self, attributes: tuple[str, ...]) -> str:
        """A new person's attributes as JSON; remembered, as most files repeat a few values."""
        known = self.attributes_json.get(attributes)
        if known is None:
            names = self.layout.attributes
            new = {k: v for k, v in zip(names, attributes, strict=True) if v}
            if len(self.attributes_json) >= JSON_MEMO:
                self.attributes_json.clear()
            known = self.attributes_json[attributes] = json.dumps(new)
        return known

    def _existing(self, row: CleanRow, current: Current, stamp: Any, out: list[Written]) -> None:
        layout = self.layout
        new_values = row.values
        if layout.status_index is not None and new_values[layout.status_index] is None:
            kept = list(new_values)
            kept[layout.status_index] = current[FIRST_VALUE + VALUE_FIELDS.index("status")]
            new_values = tuple(kept)
        changed = (
            row.email != current[EMAIL]
            or (row.external_id is not None and row.external_id != current[EXTERNAL_ID])
            or new_values != layout.current_values(current)
        )
        department_id = current[DEPARTMENT_ID]
        if row.department is not None:
            department_id = self.departments.id_for(row.department)
            changed = changed or department_id != current[DEPARTMENT_ID]
        site_id = current[SITE_ID]
        if row.site is not None:
            site_id = self.sites.id_for(row.site)
            changed = changed or site_id != current[SITE_ID]
        manager = row.manager_email
        new_manager = manager is not None and (current[MANAGER_EMAIL] or "") != manager
        attributes = _merged(layout.attributes, row.attributes, current[ATTRIBUTES])
        changed = changed or new_manager or attributes is not None
        if row.email in self.manager_emails:
            self.managers.ids[row.email] = current[ID]
        if not changed:
            self.report.unchanged += 1
            return
        values: list[Any] = [row.email, row.external_id or current[EXTERNAL_ID], *new_values]
        if layout.has_department:
            values.append(department_id)
        if layout.has_site:
            values.append(site_id)
        if layout.has_manager:
            values.append(None if new_manager and not manager else current[MANAGER_ID])
        if layout.attributes:
            values.append(current[ATTRIBUTES] if attributes is None else json.dumps(attributes))
        values += [stamp, current[ID]]
        written = Written(row, current, values, manager if new_manager and manager else None)
        self._count(written)
        out.append(written)

    def _count(self, written: Written) -> None:
        report = self.report
        if written.current is None:
            report.created += 1
        else:
            report.updated += 1
        if len(report.changes) < self.change_limit:
            action: Literal["create", "update"] = "create" if written.current is None else "update"
            places = (self.departments, self.sites)
            shown = _shown(self.layout, written.row, written.current, places)
            report.changes.append(PersonChange(written.row.line, written.row.email, action, shown))

    def _assign_ids(self, created: list[Written]) -> None:
        ids = self.table.new_ids(len(created))
        for item, person_id in zip(created, ids, strict=True):
            item.values[0] = person_id
            if item.row.email in self.manager_emails:
                self.managers.ids[item.row.email] = person_id

    def _resolve_managers(self, created: list[Written], updated: list[Written]) -> None:
        pending = [item for item in (*created, *updated) if item.manager_email]
        ids = self._manager_ids({item.manager_email for item in pending if item.manager_email})
        columns = self.layout.update_columns
        manager_at = columns.index("manager_id") if "manager_id" in columns else -1
        for item in pending:
            assert item.manager_email is not None
            manager_id = ids.get(item.manager_email)
            if manager_id is None:
                person_id = item.values[0] if item.current is None else item.current[ID]
                self.deferred.add(person_id, item.manager_email)
            elif item.current is None:
                item.values[COLUMN["manager_id"]] = manager_id
            else:
                item.values[manager_at] = manager_id

    def _current_people(
        self, rows: list[CleanRow], query: Callable[[str, list[str]], list[Current]]
    ) -> Found:
        external_ids = [row.external_id for row in rows if row.external_id]
        by_id = {person[EXTERNAL_ID]: person for person in query("external_id", external_ids)}
        by_email = {person[EMAIL]: person for person in query("email", [r.email for r in rows])}
        return by_id, by_email

    def _side_query(self, key: str, values: list[str]) -> list[Current]:
        assert self.side is not None
        if not values:
            return []
        return self.side.query(*_postgres_lookup(self.sql, key, values))

    def _query(self, key: str, values: list[str]) -> list[Current]:
        if not values:
            return []
        column = 'LOWER(p."email")' if key == "email" else 'p."external_id"'
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(*_postgres_lookup(self.sql, key, values))
                return list(cursor.fetchall())
            found: list[Current] = []
            for start in range(0, len(values), LOOKUP_CHUNK):
                chunk = values[start : start + LOOKUP_CHUNK]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"{self.sql} FROM {_PERSON} p WHERE {column} IN ({marks})", chunk)
                found += cursor.fetchall()
            return found

    def _ids_of(self, keys: list[tuple[str, str]]) -> list[int]:
        emails = [email for email, _ in keys if email]
        external_ids = [external_id for _, external_id in keys if external_id]
        if not keys:
            return []
        query = Q(email_ci__in=emails) | Q(external_id__in=external_ids)
        people = Person.objects.alias(email_ci=Lower("email")).filter(query)
        return list(people.values_list("id", flat=True))


class _Layout:
    """Where a file's fields go: in a new person's row, in an update, in a person read."""

    def __init__(self, parser: RowParser) -> None:
        self.value_fields = parser.value_fields
        self.value_columns = tuple(COLUMN[name] for name in parser.value_fields)
        self.status_index = (
            parser.value_fields.index("status") if "status" in parser.value_fields else None
        )
        self.has_department = parser.department_index is not None
        self.has_site = parser.site_index is not None
        self.has_manager = parser.manager_index is not None
        self.attributes = parser.attribute_names
        self.defaults = tuple(DEFAULTS[name] for name in INSERT_COLUMNS)
        self.update_columns = [
            "email",
            "external_id",
            *parser.value_fields,
            *(["department_id"] if self.has_department else []),
            *(["site_id"] if self.has_site else []),
            *(["manager_id"] if self.has_manager else []),
            *(["attributes"] if self.attributes else []),
            "updated_at",
        ]
        positions = [FIRST_VALUE + VALUE_FIELDS.index(name) for name in parser.value_fields]
        self.current_values: Callable[[Current], tuple[Any, ...]] = _tuple_getter(positions)


def _tuple_getter(positions: list[int]) -> Callable[[Current], tuple[Any, ...]]:
    if not positions:
        return lambda current: ()
    if len(positions) == 1:
        (position,) = positions
        return lambda current: (current[position],)
    return operator.itemgetter(*positions)


def _current_sql() -> str:
    """The SELECT behind ``_current_people``: one tuple per person, dates as ISO text.

    The department path, site name and manager email are scalar subqueries: one primary
    key probe each, whatever the planner believes about the size of the tables.
    """
    postgres = connection.vendor == "postgresql"
    # On SQLite an expression has no declared type, so Django's converter leaves it text.
    iso_date = "to_char(p.hire_date, 'YYYY-MM-DD')" if postgres else "CAST(p.hire_date AS text)"
    values = [iso_date if name == "hire_date" else f"p.{name}" for name in VALUE_FIELDS]
    department, site = Department._meta.db_table, Site._meta.db_table
    columns = [
        "p.id",
        "p.external_id",
        "p.email",
        *values,
        "p.department_id",
        f"(SELECT d.path FROM {department} d WHERE d.id = p.department_id)",  # noqa: S608
        "p.site_id",
        f"(SELECT s.name FROM {site} s WHERE s.id = p.site_id)",  # noqa: S608
        "p.manager_id",
        f"(SELECT m.email FROM {_PERSON} m WHERE m.id = p.manager_id)",  # noqa: S608
        "p.attributes::text" if postgres else "p.attributes",
    ]
    return f"SELECT {', '.join(columns)}"


def _postgres_lookup(select: str, key: str, values: list[str]) -> tuple[str, list[str]]:
    """SQL and parameters for people by emails or external ids.

    A join on the keys, not ``IN``, so the planner probes the index once per key even
    while the table's statistics still say it is empty. The keys travel as one string,
    split by the server: psycopg turns a list into an array literal in Python, at a cost
    of about 5 µs a row; an array only when a key holds the separator.
    """
    column = 'LOWER(p."email")' if key == "email" else 'p."external_id"'
    joined = KEY_SEPARATOR.join(values)
    if joined.count(KEY_SEPARATOR) == len(values) - 1:
        keys = "string_to_table(%s, chr(31))"
        param: Any = joined
    else:
        keys, param = "unnest(%s::text[])", values
    return f"{select} FROM {keys} AS k(key) JOIN {_PERSON} p ON {column} = k.key", [param]


def _raw_ids_of(raw: Any, keys: list[tuple[str, str]]) -> list[int]:
    """``BatchWriter._ids_of`` through the import's psycopg connection, for the sink's thread."""
    if not keys:
        return []
    emails = [email for email, _ in keys if email]
    external_ids = [external_id for _, external_id in keys if external_id]
    with raw.cursor() as cursor:
        cursor.execute(
            f'SELECT id FROM {_PERSON} WHERE LOWER("email") = ANY(%s) '  # noqa: S608
            'OR "external_id" = ANY(%s)',
            [emails, external_ids],
        )
        return [row[0] for row in cursor.fetchall()]


def _match(
    row: CleanRow, by_id: dict[str, Current], by_email: dict[str, Current], matched: dict[int, int]
) -> Current | RowError | None:
    """Find the row's person: by external id when the row has one, else by email."""
    owner = by_email.get(row.email)
    current = by_id.get(row.external_id) if row.external_id else owner
    if row.external_id and current is None and owner is not None:
        if owner[EXTERNAL_ID]:
            params = {"email": repr(row.email), "external_id": repr(owner[EXTERNAL_ID])}
            return RowError(row.line, BELONGS_TO_EXTERNAL_ID, "email", params)
        current = owner
    if current is None:
        return None
    if owner is not None and owner[ID] != current[ID]:
        return RowError(row.line, BELONGS_TO_ANOTHER, "email", {"email": repr(row.email)})
    if current[ID] in matched:
        return RowError(row.line, SAME_PERSON, None, {"line": matched[current[ID]]})
    matched[current[ID]] = row.line
    return current


def _attributes(value: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value)
        return loaded or {}
    return value or {}


def _merged(names: tuple[str, ...], values: tuple[str, ...], current: Any) -> dict[str, Any] | None:
    """The person's attributes after the row, or None when the row changes none of them."""
    if not names:
        return None
    old = _attributes(current)
    new = {key: value for key, value in old.items() if key not in names}
    new.update({key: value for key, value in zip(names, values, strict=True) if value})
    return None if new == old else new


def _shown(
    layout: _Layout, row: CleanRow, current: Current | None, places: tuple[Departments, Sites]
) -> dict[str, tuple[Any, Any]]:
    """The changes a report shows for one row: field -> (old, new), in the file's order."""
    pairs = zip(layout.value_fields, row.values, strict=True)
    new: dict[str, str | None]
    if current is None:
        new = {name: value for name, value in pairs if value}
        new["email"] = row.email
        if row.external_id:
            new["external_id"] = row.external_id
        shown = {name: (None, _shown_value(name, value)) for name, value in new.items()}
    else:
        new = {"email": row.email}
        if row.external_id:
            new["external_id"] = row.external_id
        new.update((name, value) for name, value in pairs if name != "status" or value)
        shown = {}
        for name, value in new.items():
            old = current[_CURRENT_AT[name]]
            if old != value:
                shown[name] = (_shown_value(name, old), _shown_value(name, value))
    _shown_links(shown, row, current, places)
    _shown_attributes(shown, layout, row, current)
    return shown


def _shown_value(name: str, value: Any) -> Any:
    if name == "hire_date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _shown_links(
    shown: dict[str, tuple[Any, Any]],
    row: CleanRow,
    current: Current | None,
    places: tuple[Departments, Sites],
) -> None:
    departments, sites = places
    old: Current = current or (None,) * (ATTRIBUTES + 1)
    if row.department is not None and departments.id_for(row.department) != old[DEPARTMENT_ID]:
        shown["department"] = (old[DEPARTMENT_PATH], row.department or None)
    if row.site is not None and sites.id_for(row.site) != old[SITE_ID]:
        shown["site"] = (old[SITE_NAME], row.site or None)
    if row.manager_email is not None and (old[MANAGER_EMAIL] or "") != row.manager_email:
        shown["manager_email"] = (old[MANAGER_EMAIL], row.manager_email or None)


def _shown_attributes(
    shown: dict[str, tuple[Any, Any]], layout: _Layout, row: CleanRow, current: Current | None
) -> None:
    if not layout.attributes:
        return
    old = _attributes(current[ATTRIBUTES]) if current is not None else {}
    new = _merged(layout.attributes, row.attributes, old)
    if new is None:
        if current is not None:
            return
        new = old
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            shown[f"attr:{key}"] = (old.get(key), new.get(key))
