"""The people API under /api/v1/people: search and read people; admins may import."""

from __future__ import annotations

import datetime as dt
from typing import Any, BinaryIO, cast

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from inward.accounts import access
from inward.api import ApiError
from inward.directory.importing import ImportFileError, import_people
from inward.directory.models import Person
from inward.directory.selectors import person_detail, person_for_user, person_search

router = Router(tags=["people"])
MAX_LIMIT = 500


class PersonOut(Schema):
    id: int
    external_id: str | None
    email: str
    first_name: str
    last_name: str
    preferred_name: str
    display_name: str
    job_title: str
    department: str | None
    site: str | None
    country: str
    time_zone: str
    language: str
    manager_id: int | None
    manager_email: str | None
    hire_date: dt.date | None
    status: str
    tags: list[str]
    attributes: dict[str, Any]


class PersonPage(Schema):
    items: list[PersonOut]
    count: int


class RowErrorOut(Schema):
    line: int
    reason: str
    column: str | None


class ImportReportOut(Schema):
    ok: bool
    dry_run: bool
    total_rows: int
    created: int
    updated: int
    unchanged: int
    marked_left: int
    errors: list[RowErrorOut]
    changes: list[dict[str, Any]]


def _person_out(person: Person) -> dict[str, Any]:
    return {
        **{
            field: getattr(person, field)
            for field in PersonOut.model_fields
            if hasattr(person, field)
        },
        "department": person.department.path if person.department else None,
        "site": person.site.name if person.site else None,
        "manager_email": person.manager.email if person.manager else None,
        "tags": person.tag_list,
    }


@router.get("/", response=PersonPage)
def person_list(
    request: HttpRequest,
    q: str = "",
    department: str = "",
    site: str = "",
    language: str = "",
    status: str = "",
    sort: str = "name",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    access.require(access.can_read_directory(request.user))
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ApiError(422, "invalid", f"limit must be 1 to {MAX_LIMIT} and offset at least 0.")
    people = person_search(
        query=q, department=department, site=site, language=language, status=status, sort=sort
    ).select_related("manager")
    page = people[offset : offset + limit]
    return {"items": [_person_out(person) for person in page], "count": people.count()}


@router.get("/{int:person_id}", response=PersonOut)
def person_get(request: HttpRequest, person_id: int) -> dict[str, Any]:
    if not access.can_read_directory(request.user):
        own = person_for_user(request.user)
        access.require(own is not None and own.pk == person_id)
    try:
        return _person_out(person_detail(person_id=person_id))
    except Person.DoesNotExist:
        raise ApiError(404, "not_found", "No person with this id.") from None


@router.post("/import", response=ImportReportOut)
def person_import(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    full_sync: Form[bool] = False,
) -> dict[str, Any]:
    access.require(access.can_import_directory(request.user))
    if file.file is None:
        raise ApiError(400, "unusable_file", "No file was uploaded.")
    source = cast(BinaryIO, file.file)
    try:
        report = import_people(
            source=source, filename=file.name or "", dry_run=dry_run, full_sync=full_sync
        )
    except ImportFileError as exc:
        raise ApiError(400, "unusable_file", exc.message) from exc
    return report.as_json()
