"""Small caches that turn department paths, site names and manager emails into ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from inward.directory.importing.validation import LOOKUP_CHUNK, people_by_email
from inward.directory.models import Department, Site


def _nothing() -> None:
    pass


class Departments:
    """Department ids by path (case-insensitive); missing nodes of a path are created.

    ``before_create`` runs before a department is created: the import's pipeline waits
    there until the connection is free.
    """

    def __init__(self) -> None:
        self.before_create: Callable[[], None] = _nothing
        self.ids = {path.lower(): pk for pk, path in Department.objects.values_list("id", "path")}

    def id_for(self, path: str) -> int | None:
        if not path:
            return None
        known = self.ids.get(path.lower())
        if known is not None:
            return known
        parent_id: int | None = None
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            parent_id = self.ids.get(prefix.lower()) or self._create(prefix, parent_id)
        return parent_id

    def _create(self, path: str, parent_id: int | None) -> int:
        self.before_create()
        name = path.rsplit("/", 1)[-1]
        department = Department.objects.create(name=name, path=path, parent_id=parent_id)
        self.ids[path.lower()] = department.pk
        return department.pk


class Sites:
    """Site ids by name (case-insensitive); unknown sites are created (``before_create`` first)."""

    def __init__(self) -> None:
        self.before_create: Callable[[], None] = _nothing
        self.ids = {name.lower(): pk for pk, name in Site.objects.values_list("id", "name")}

    def id_for(self, name: str) -> int | None:
        if not name:
            return None
        known = self.ids.get(name.lower())
        if known is None:
            self.before_create()
            known = self.ids[name.lower()] = Site.objects.create(name=name).pk
        return known


class Managers:
    """Ids of people who are someone's manager, looked up once per batch and remembered."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def missing(self, emails: set[str]) -> list[str]:
        return sorted(email for email in emails if email not in self.ids)

    def resolve(
        self, emails: set[str], found: Iterable[tuple[str, int]] | None = None
    ) -> dict[str, int]:
        """Ids by email; ``found``, when given, holds the ``missing`` ones already looked up."""
        if found is not None:
            self.ids.update(found)
        else:
            missing = self.missing(emails)
            for start in range(0, len(missing), LOOKUP_CHUNK):
                chunk = missing[start : start + LOOKUP_CHUNK]
                self.ids.update(people_by_email(chunk).values_list("email", "id"))
        return {email: self.ids[email] for email in emails if email in self.ids}
