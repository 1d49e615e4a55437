"""The second pass: write accepted rows in batches.

Each batch costs a fixed number of queries, whatever its size: one to find people by
external id, one by email, at most one for managers, one ``bulk_update`` (Django splits it
only past the database's parameter limit), one ``bulk_create`` and, in a full sync, one
insert into the table of people seen. Creating a department or a site the directory does
not know yet costs a query the first time only.
"""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from inward.directory.importing.insert import INSERT_CHUNK, PersonInserter
from inward.directory.importing.lookups import Departments, Managers, Sites
from inward.directory.importing.report import ImportReport, PersonChange, RowError
from inward.directory.importing.rows import CleanRow
from inward.directory.importing.seen import SeenPeople
from inward.directory.importing.validation import people_by_email
from inward.directory.models import Person

CURRENT_FIELDS = (
    "id",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "department_id",
    "site_id",
    "country",
    "time_zone",
    "language",
    "manager_id",
    "hire_date",
    "status",
    "tags",
    "attributes",
)
SHOWN_FIELDS = ("department__path", "site__name", "manager__email")
MODEL_FIELD = {"department_id": "department", "site_id": "site", "manager_id": "manager"}
Current = dict[str, Any]


@dataclass
class Plan:
    """What to do with one row: ``assign`` holds model attributes, ``shown`` the changes."""

    row: CleanRow
    current: Current | None
    assign: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    manager_email: str | None = None
    person_id: int | None = None


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


class BatchWriter:
    def __init__(self, *, report: ImportReport, change_limit: int, seen: SeenPeople | None):
        self.report = report
        self.change_limit = change_limit
        self.seen = seen
        self.departments = Departments()
        self.sites = Sites()
        self.managers = Managers()
        self.deferred = Deferred()
        self.inserter = PersonInserter()

    def write(self, rows: list[CleanRow], rejected_keys: list[tuple[str, str]]) -> None:
        by_id, by_email = _current_people(rows)
        plans = self._plans(rows, by_id, by_email)
        self._resolve_managers(plans)
        now = timezone.now()
        self._update([plan for plan in plans if plan.current is not None and plan.assign], now)
        self._create([plan for plan in plans if plan.current is None], now)
        self._defer_managers(plans)
        self._record(plans)
        if self.seen is not None:
            self.seen.add([_person_id(plan) for plan in plans] + self._ids_of(rejected_keys))

    def finish(self) -> None:
        """Link the reports whose managers were created after them."""
        ids = self.managers.resolve(set(self.deferred.emails))
        pairs = zip(self.deferred.people, self.deferred.managers, strict=True)
        emails = self.deferred.emails
        linked = [
            Person(id=person_id, manager_id=ids[emails[manager]])
            for person_id, manager in pairs
            if emails[manager] in ids
        ]
        Person.objects.bulk_update(linked, ["manager"], batch_size=1000)

    def _plans(
        self, rows: list[CleanRow], by_id: dict[str, Current], by_email: dict[str, Current]
    ) -> list[Plan]:
        plans: list[Plan] = []
        matched: dict[int, int] = {}
        for row in rows:
            current = _match(row, by_id, by_email, matched)
            if isinstance(current, RowError):
                self.report.errors.append(current)
                continue
            plans.append(self._plan(row, current))
        return plans

    def _plan(self, row: CleanRow, current: Current | None) -> Plan:
        plan = Plan(row=row, current=current)
        if current is None:
            plan.assign = {name: value for name, value in row.values.items() if value}
            plan.assign["email"] = row.email
            if row.external_id:
                plan.assign["external_id"] = row.external_id
            plan.shown = {name: (None, value) for name, value in plan.assign.items()}
        else:
            _compare(plan, current, "email", row.email)
            if row.external_id:
                _compare(plan, current, "external_id", row.external_id)
            for name, value in row.values.items():
                _compare(plan, current, name, value)
        old = current or {}
        self._plan_links(plan, old)
        _plan_attributes(plan, old.get("attributes") or {})
        return plan

    def _plan_links(self, plan: Plan, old: Current) -> None:
        row = plan.row
        if row.department is not None:
            new_id = self.departments.id_for(row.department)
            if old.get("department_id") != new_id:
                plan.assign["department_id"] = new_id
                plan.shown["department"] = (old.get("department__path"), row.department or None)
        if row.site is not None:
            new_id = self.sites.id_for(row.site)
            if old.get("site_id") != new_id:
                plan.assign["site_id"] = new_id
                plan.shown["site"] = (old.get("site__name"), row.site or None)
        if row.manager_email is not None and (old.get("manager__email") or "") != row.manager_email:
            plan.shown["manager_email"] = (old.get("manager__email"), row.manager_email or None)
            plan.manager_email = row.manager_email
            if not row.manager_email:
                plan.assign["manager_id"] = None

    def _resolve_managers(self, plans: list[Plan]) -> None:
        ids = self.managers.resolve({plan.manager_email for plan in plans if plan.manager_email})
        for plan in plans:
            if plan.manager_email and plan.manager_email in ids:
                plan.assign["manager_id"] = ids[plan.manager_email]
                plan.manager_email = None

    def _update(self, plans: list[Plan], now: dt.datetime) -> None:
        names = {MODEL_FIELD.get(name, name) for plan in plans for name in plan.assign}
        if not names:
            return
        people = []
        for plan in plans:
            assert plan.current is not None
            values = {name: plan.current[name] for name in CURRENT_FIELDS}
            person = Person(**values | plan.assign, updated_at=now)
            people.append(person)
        Person.objects.bulk_update(people, [*sorted(names), "updated_at"])

    def _create(self, plans: list[Plan], now: dt.datetime) -> None:
        for start in range(0, len(plans), INSERT_CHUNK):
            chunk = plans[start : start + INSERT_CHUNK]
            ids = self.inserter.insert([plan.assign for plan in chunk], now=now)
            for plan, person_id in zip(chunk, ids, strict=True):
                plan.person_id = person_id

    def _defer_managers(self, plans: list[Plan]) -> None:
        for plan in plans:
            if plan.manager_email:
                self.deferred.add(_person_id(plan), plan.manager_email)

    def _record(self, plans: list[Plan]) -> None:
        for plan in plans:
            if plan.current is None:
                self.report.created += 1
            elif plan.shown:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
                continue
            if len(self.report.changes) < self.change_limit:
                action: Literal["create", "update"] = "create" if plan.current is None else "update"
                change = PersonChange(plan.row.line, plan.row.email, action, plan.shown)
                self.report.changes.append(change)

    def _ids_of(self, keys: list[tuple[str, str]]) -> list[int]:
        emails = [email for email, _ in keys if email]
        external_ids = [external_id for _, external_id in keys if external_id]
        if not keys:
            return []
        query = Q(email_ci__in=emails) | Q(external_id__in=external_ids)
        people = Person.objects.alias(email_ci=Lower("email")).filter(query)
        return list(people.values_list("id", flat=True))


def _person_id(plan: Plan) -> int:
    if plan.current is not None:
        return int(plan.current["id"])
    assert plan.person_id is not None
    return plan.person_id


def _current_people(rows: list[CleanRow]) -> tuple[dict[str, Current], dict[str, Current]]:
    fields = (*CURRENT_FIELDS, *SHOWN_FIELDS)
    external_ids = [row.external_id for row in rows if row.external_id]
    by_id: dict[str, Current] = {}
    if external_ids:
        query = Person.objects.filter(external_id__in=external_ids).values(*fields)
        by_id = {person["external_id"]: person for person in query}
    query = people_by_email([row.email for row in rows]).values(*fields)
    return by_id, {person["email"]: person for person in query}


def _match(
    row: CleanRow, by_id: dict[str, Current], by_email: dict[str, Current], matched: dict[int, int]
) -> Current | RowError | None:
    """Find the row's person: by external id when the row has one, else by email."""
    owner = by_email.get(row.email)
    current = by_id.get(row.external_id) if row.external_id else owner
    if row.external_id and current is None and owner is not None:
        if owner["external_id"]:
            reason = f"email {row.email!r} belongs to external_id {owner['external_id']!r}"
            return RowError(row.line, reason, "email")
        current = owner
    if current is None:
        return None
    if owner is not None and owner["id"] != current["id"]:
        return RowError(row.line, f"email {row.email!r} belongs to another person", "email")
    if current["id"] in matched:
        reason = f"matches the same person as line {matched[current['id']]}"
        return RowError(row.line, reason, None)
    matched[current["id"]] = row.line
    return current


def _compare(plan: Plan, current: Current, name: str, new: Any) -> None:
    if current[name] != new:
        plan.assign[name] = new
        plan.shown[name] = (current[name], new)


def _plan_attributes(plan: Plan, old: dict[str, Any]) -> None:
    if not plan.row.attributes:
        return
    new = {key: value for key, value in old.items() if key not in plan.row.attributes}
    new.update({key: value for key, value in plan.row.attributes.items() if value})
    if new == old and plan.current is not None:
        return
    plan.assign["attributes"] = new
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            plan.shown[f"attr:{key}"] = (old.get(key), new.get(key))
