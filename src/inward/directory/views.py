"""Directory pages: the people list, a person's page, CSV export and the import wizard."""

from __future__ import annotations

import io
import json
import secrets
import tempfile
import time
from pathlib import Path, PurePath
from typing import Any, BinaryIO, cast

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from inward.accounts import access
from inward.accounts.models import User
from inward.directory.exporting import export_people_csv
from inward.directory.forms import (
    SORT_COLUMNS,
    ImportMappingForm,
    ImportUploadForm,
    PersonSearchForm,
)
from inward.directory.importing import (
    DEFAULT_COLUMNS,
    ImportFileError,
    ImportPreview,
    import_people,
    preview_import,
    row_errors_from_json,
)
from inward.directory.models import ImportJob, Person
from inward.directory.selectors import (
    person_detail,
    person_for_user,
    person_manager_chain,
    person_reports,
    person_search,
)
from inward.directory.services import (
    import_job_create,
    import_job_fail_if_stalled,
    import_job_progress,
    import_job_waiting_for_worker,
    import_upload_path,
    import_uploads_dir,
)

PAGE_SIZE = 50
PREVIEW_ROWS = 20
RECENT_JOBS = 10
SORT_LABELS = {
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "job_title": gettext_lazy("Job title"),
    "department": gettext_lazy("Department"),
    "site": gettext_lazy("Site"),
    "status": gettext_lazy("Status"),
}


# --- People ---------------------------------------------------------------------------------


@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    access.require(access.can_read_directory(request.user))
    form = PersonSearchForm(request.GET)
    filters = form.filters()
    page = Paginator(person_search(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sort_headers": _sort_headers(filters["sort"]),
        "filtered": any(filters[key] for key in filters if key != "sort"),
        "can_import": access.can_import_directory(request.user),
        "results_only": _wants_results_only(request),
    }
    template = "directory/person_list.html"
    if context["results_only"]:
        template += "#results"
    return render(request, template, context)


def _wants_results_only(request: HttpRequest) -> bool:
    """htmx asks for the table alone, except when it restores a page from history."""
    return _wants_part(request, "results")


def _wants_part(request: HttpRequest, target: str) -> bool:
    """htmx asks for the part of a page with this id, and not to restore a page from history."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Target") == target
        and headers.get("HX-History-Restore-Request") != "true"
    )


def _sort_headers(current: str) -> list[dict[str, Any]]:
    """Column headers: which way each is sorted now (for aria-sort) and the next sort key."""
    headers = []
    for column in SORT_COLUMNS:
        direction = ""
        if current == column:
            direction = "ascending"
        elif current == f"-{column}":
            direction = "descending"
        headers.append(
            {
                "label": SORT_LABELS[column],
                "aria_sort": direction,
                "next": f"-{column}" if direction == "ascending" else column,
            }
        )
    return headers


@require_GET
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    can_browse = access.can_read_directory(request.user)
    if not can_browse:
        own = person_for_user(request.user) if request.user.is_active else None
        access.require(own is not None and own.pk == person_id)
    try:
        person = person_detail(person_id=person_id)
    except Person.DoesNotExist:
        raise Http404 from None
    # The chain comes nearest manager first; the page reads from the top of the organisation.
    chain = list(reversed(person_manager_chain(person=person)))
    context = {
        "person": person,
        "chain": chain,
        "reports": person_reports(person=person),
        "can_browse": can_browse,
        # Person-level engagement: admins only (the person has "My data").
        "can_see_engagement": access.is_admin(request.user),
    }
    return render(request, "directory/person_detail.html", context)


@require_GET
def export_csv(request: HttpRequest) -> FileResponse:
    """The people matching the list's current filters, as a CSV download.

    Written to a temporary file first, then streamed: memory stays flat for any size.
    """
    access.require(access.can_import_directory(request.user))
    filters = PersonSearchForm(request.GET).filters()
    buffer = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    export_people_csv(out=text, queryset=person_search(**filters))
    text.flush()
    text.detach()
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename="people.csv",
        content_type="text/csv; charset=utf-8",
    )


# --- Import ---------------------------------------------------------------------------------
#
# Step 1 uploads a file; it is kept under MEDIA_ROOT/imports/ with a random name, and the
# session maps a random token to that name, so a client never names a path. Step 2 shows a
# preview with a column mapping and runs dry runs (inside the request) as often as wanted;
# step 3 hands the file to an ImportJob, run by the background worker, and redirects to the
# job's page, which htmx polls for progress until it shows the report.

SESSION_KEY = "directory_imports"
STALE_UPLOAD_SECONDS = 24 * 60 * 60


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    access.require(access.can_import_directory(request.user))
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    file_error = ""
    if request.method == "POST" and form.is_valid():
        upload: UploadedFile[bytes] = form.cleaned_data["file"]
        try:
            preview_import(source=cast(BinaryIO, upload), filename=upload.name or "", rows=1)
        except ImportFileError as exc:
            file_error = str(exc)
        else:
            upload.seek(0)
            return redirect("directory:import_preview", token=_store_upload(request, upload))
    context = {
        "form": form,
        "file_error": file_error,
        "default_columns": DEFAULT_COLUMNS,
        "recent_jobs": ImportJob.objects.recent()[:RECENT_JOBS],
    }
    return render(request, "directory/import.html", context)


@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    access.require(access.can_import_directory(request.user))
    stored = _stored_upload(request, token)
    if stored is None:
        messages.warning(request, _("That upload has expired. Upload the file again."))
        return redirect("directory:import")
    path, filename = stored
    try:
        with path.open("rb") as source:
            preview = preview_import(source=source, filename=filename, rows=PREVIEW_ROWS)
    except ImportFileError as exc:
        _discard_upload(request, token)
        messages.error(request, str(exc))
        return redirect("directory:import")
    form = _mapping_form(request, preview)
    if request.method == "POST" and form.is_valid():
        return _run_import(request, token, (path, filename), form, preview)
    context = _preview_context(token, filename, form, preview)
    return render(request, "directory/import_preview.html", context)


def _mapping_form(request: HttpRequest, preview: ImportPreview) -> ImportMappingForm:
    return ImportMappingForm(
        request.POST or None,
        headers=preview.headers,
        fields=DEFAULT_COLUMNS,
        suggested=preview.suggested_mapping,
    )


def _preview_context(
    token: str, filename: str, form: ImportMappingForm, preview: ImportPreview
) -> dict[str, Any]:
    return {
        "token": token,
        "filename": filename,
        "form": form,
        "preview": preview,
        "columns": form.column_fields(),
    }


def _run_import(
    request: HttpRequest,
    token: str,
    stored: tuple[Path, str],
    form: ImportMappingForm,
    preview: ImportPreview,
) -> HttpResponse:
    checked = _full_sync_checked(request, token, form)
    if request.POST.get("action") == "import" and checked:
        return _start_import_job(request, token, form)
    path, filename = stored
    try:
        with path.open("rb") as source:
            report = import_people(
                source=source,
                filename=filename,
                mapping=form.mapping(),
                dry_run=True,
                full_sync=form.cleaned_data["full_sync"],
            )
    except ImportFileError as exc:
        form.add_error(None, str(exc))
        context = _preview_context(token, filename, form, preview)
        return render(request, "directory/import_preview.html", context, status=422)
    context = _preview_context(token, filename, form, preview) | {"report": report}
    if form.cleaned_data["full_sync"]:
        _remember_full_sync_check(request, token, form)
        context["confirm_full_sync"] = request.POST.get("action") == "import"
    return render(request, "directory/import_preview.html", context)


FULL_SYNC_CHECKS = "directory_full_sync_checked"


def _full_sync_key(form: ImportMappingForm) -> str:
    return json.dumps(sorted(form.mapping().items()))


def _full_sync_checked(request: HttpRequest, token: str, form: ImportMappingForm) -> bool:
    """A full sync may mark many people as left, so it starts only after a dry run of the
    same file and mapping has shown how many; a plain import needs no such step."""
    if not form.cleaned_data["full_sync"]:
        return True
    checked: str | None = request.session.get(FULL_SYNC_CHECKS, {}).get(token)
    return checked == _full_sync_key(form)


def _remember_full_sync_check(request: HttpRequest, token: str, form: ImportMappingForm) -> None:
    checks = dict(request.session.get(FULL_SYNC_CHECKS, {}))
    checks[token] = _full_sync_key(form)
    request.session[FULL_SYNC_CHECKS] = checks


def _start_import_job(request: HttpRequest, token: str, form: ImportMappingForm) -> HttpResponse:
    """Hand the upload over to a background job and show its page (POST, redirect, GET)."""
    assert isinstance(request.user, User)
    entry = _claim_upload(request, token)
    job = import_job_create(
        actor=request.user,
        stored_name=entry["file"],
        filename=entry["name"],
        mapping=form.mapping(),
        full_sync=form.cleaned_data["full_sync"],
    )
    return redirect("directory:import_job", job_id=job.pk)


@require_GET
def import_job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's progress while it runs, then its report; htmx polls the ``progress`` part."""
    access.require(access.can_import_directory(request.user))
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    job = import_job_fail_if_stalled(job=job)
    context = {
        "job": job,
        "job_report": _stored_report(job),
        "progress": import_job_progress(job=job),
        "waiting_for_worker": import_job_waiting_for_worker(job=job),
        "polled": _wants_part(request, "import-job"),
    }
    if not context["polled"]:
        return render(request, "directory/import_job.html", context)
    # 286 tells htmx to stop polling: the job is over and this is its last word.
    status = 200 if job.is_active else 286
    return render(request, "directory/import_job.html#progress", context, status=status)


def _stored_report(job: ImportJob) -> dict[str, Any] | None:
    """The job's stored report, with row errors rebuilt so they read in the viewer's language."""
    if not job.report:
        return None
    return {**job.report, "errors": row_errors_from_json(job.report.get("errors", []))}


def _store_upload(request: HttpRequest, upload: UploadedFile[bytes]) -> str:
    """Keep an upload for the next steps; return the token that finds it in this session."""
    _sweep_stale_uploads()
    token = secrets.token_urlsafe(18)
    suffix = PurePath(upload.name or "").suffix.lower()
    target = import_uploads_dir() / f"{token}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    uploads = {
        key: entry
        for key, entry in request.session.get(SESSION_KEY, {}).items()
        if import_upload_path(entry["file"]).is_file()
    }
    uploads[token] = {"name": upload.name or target.name, "file": target.name}
    request.session[SESSION_KEY] = uploads
    return token


def _stored_upload(request: HttpRequest, token: str) -> tuple[Path, str] | None:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry:
        return None
    path = import_upload_path(entry["file"])
    if not path.is_file():
        return None
    return path, str(entry["name"])


def _claim_upload(request: HttpRequest, token: str) -> dict[str, str]:
    """Take an upload out of the session, keeping its file: an import job now owns it."""
    uploads = dict(request.session.get(SESSION_KEY, {}))
    entry = uploads.pop(token)
    request.session[SESSION_KEY] = uploads
    return {"file": str(entry["file"]), "name": str(entry["name"])}


def _discard_upload(request: HttpRequest, token: str) -> None:
    import_upload_path(_claim_upload(request, token)["file"]).unlink(missing_ok=True)


def _sweep_stale_uploads() -> None:
    """Uploads abandoned after the preview are removed a day later."""
    folder = import_uploads_dir()
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_UPLOAD_SECONDS
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
