"""Reads for the directory."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from inward.accounts.models import User
from inward.directory.models import Department, Person, Site, Status


def person_by_email(*, email: str) -> Person | None:
    """The person with this address, compared without regard to case or surrounding spaces."""
    return (
        Person.objects.select_related("department", "site", "manager")
        .alias(email_key=Lower("email"))  # uses the unique index on LOWER(email)
        .filter(email_key=email.strip().lower())
        .first()
    )


def person_for_user(user: User | AnonymousUser) -> Person | None:
    """The directory record of a signed-in user, matched by e-mail."""
    if not user.is_authenticated or not user.email:
        return None
    return person_by_email(email=user.email)


def directory_summary() -> dict[str, int]:
    """Active people, departments and sites, for the start page."""
    people = Person.objects.aggregate(active=Count("id", filter=Q(status=Status.ACTIVE)))
    return {
        "active": people["active"],
        "departments": Department.objects.count(),
        "sites": Site.objects.count(),
    }


SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name", "id"),
    "email": ("email",),
    "job_title": ("job_title", "last_name", "id"),
    "department": ("department__path", "last_name", "id"),
    "site": ("site__name", "last_name", "id"),
    "status": ("status", "last_name", "id"),
    "hire_date": ("hire_date", "id"),
}
CHAIN_LIMIT = 50


def person_search(
    *,
    query: str = "",
    department: str = "",
    site: str = "",
    language: str = "",
    status: str = "",
    sort: str = "name",
) -> QuerySet[Person]:
    """People matching every word of ``query`` and the filters; ``department`` includes its
    sub-departments. ``sort`` is a key of SORTS, optionally prefixed with ``-``."""
    people = Person.objects.select_related("department", "site")
    for word in query.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
            | Q(job_title__icontains=word)
        )
    if department:
        people = people.filter(
            Q(department__path=department) | Q(department__path__startswith=f"{department}/")
        )
    if site:
        people = people.filter(site__name=site)
    if language:
        people = people.filter(language=language)
    if status:
        people = people.filter(status=status)
    return people.order_by(*_ordering(sort))


def _ordering(sort: str) -> list[str]:
    descending = sort.startswith("-")
    columns = SORTS.get(sort.removeprefix("-"), SORTS["name"])
    return [f"-{column}" if descending else column for column in columns]


def person_detail(*, person_id: int) -> Person:
    """One person with department, site and manager; raises Person.DoesNotExist."""
    return Person.objects.select_related("department", "site", "manager").get(pk=person_id)


def person_manager_chain(*, person: Person) -> list[Person]:
    """The person's managers, nearest first, up to the top; stops at a cycle. Two queries."""
    ids = _manager_ids(person.pk)
    people = Person.objects.select_related("department", "site").in_bulk(ids)
    return [people[pk] for pk in ids if pk in people]


def _manager_ids(person_id: int) -> list[int]:
    table = Person._meta.db_table
    # UNION drops repeated (id, depth) rows only, so the depth limit is what ends a cycle;
    # the loop below cuts the chain at the first person met twice.
    sql = f"""
        WITH RECURSIVE chain(id, manager_id, depth) AS (
            SELECT id, manager_id, 0 FROM {table} WHERE id = %s
            UNION
            SELECT p.id, p.manager_id, c.depth + 1
            FROM {table} p JOIN chain c ON p.id = c.manager_id
            WHERE c.depth < %s
        )
        SELECT id FROM chain ORDER BY depth
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, CHAIN_LIMIT])
        rows = cursor.fetchall()
    chain: list[int] = []
    for (pk,) in rows:
        if pk in chain or (pk == person_id and chain):
            break
        if pk != person_id:
            chain.append(pk)
    return chain


def person_reports(*, person: Person) -> QuerySet[Person]:
    """The people who report directly to ``person``."""
    return person.reports.select_related("department", "site").order_by("last_name", "first_name")


def department_options() -> list[str]:
    return list(Department.objects.order_by("path").values_list("path", flat=True))


def site_options() -> list[str]:
    return list(Site.objects.order_by("name").values_list("name", flat=True))


def language_options() -> list[str]:
    languages = Person.objects.exclude(language="").values_list("language", flat=True)
    return list(languages.distinct().order_by("language"))
