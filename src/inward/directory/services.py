"""Directory write operations: web imports run in the background as ``ImportJob`` rows.

A job is created by the web request (``import_job_create``) and run by the worker
(``import_job_run``). While it runs, its progress must be visible to the web process, but
``import_people`` holds one transaction for the whole import, so nothing written on the
worker's own connection is visible until the end. Progress therefore goes out on another
channel: a second database connection where the database allows a second writer
(PostgreSQL), and a small JSON file beside the upload where it does not (SQLite takes one
writer at a time). ``import_job_progress`` reads whichever holds the newest figures.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path, PurePath
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from inward.accounts.models import User
from inward.directory.importing import ImportFileError, ImportReport, import_people
from inward.directory.models import ImportJob, ImportJobStatus, ImportStage

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "imports"
PROGRESS_SECONDS = 0.5  # publish progress at most this often …
PROGRESS_FRACTION = 0.02  # … unless it moved this much of the file
WORKER_PATIENCE = timedelta(seconds=10)  # queued longer: say the worker may be down
# Running with no sign of life for longer: its worker was killed or its machine restarted.
STALL_AFTER = timedelta(minutes=10)
REPORT_ERROR_LIMIT = 1000  # rejected rows kept in a job's report


# --- files -----------------------------------------------------------------------------------


def import_uploads_dir() -> Path:
    """The folder of uploads waiting for a preview or an import job, and of progress files."""
    return Path(settings.MEDIA_ROOT) / UPLOADS_FOLDER


def import_upload_path(name: str) -> Path:
    """Where an upload lives; only the base name of ``name`` counts, so it stays in the folder."""
    return import_uploads_dir() / PurePath(name).name


def _progress_path(job_id: int) -> Path:
    return import_upload_path(f"job-{job_id}.progress.json")


# --- create ----------------------------------------------------------------------------------


def import_job_create(
    *,
    actor: User,
    stored_name: str,
    filename: str,
    mapping: dict[str, str],
    full_sync: bool,
) -> ImportJob:
    """Record a job for an upload already stored under ``MEDIA_ROOT/imports`` and enqueue it.

    The job takes over the file: ``import_job_run`` deletes it. The task is enqueued when
    the surrounding transaction commits, so the worker always finds the row.
    """
    job = ImportJob.objects.create(
        created_by=actor,
        filename=filename,
        stored_name=PurePath(stored_name).name,
        mapping=mapping,
        full_sync=full_sync,
    )
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


def _enqueue(job_id: int) -> None:
    # Imported here: the task module imports this one.
    from inward.directory.tasks import import_job_run_task

    import_job_run_task.enqueue(job_id=job_id)


# --- run -------------------------------------------------------------------------------------


def import_job_run(*, job_id: int) -> None:
    """Run a queued job to the end: succeeded with its report, or failed with a message.

    Call it outside a transaction: the claim, the import and the outcome commit one after
    the other. Safe to run twice: only the run that moves the job from queued to running
    goes on. A file the importer refuses fails the job quietly; any other exception fails
    the job and is raised again, so the worker records it.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
    )
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    path = import_upload_path(job.stored_name)
    progress = ImportProgress(sink=_progress_sink(job_id), rows_total=_estimate_rows(path))
    try:
        report = _import_file(job, path, progress)
    except ImportFileError as exc:
        _job_finish(job_id, ImportJobStatus.FAILED, error=exc.message)
    except BaseException as exc:
        _job_finish(job_id, ImportJobStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    else:
        _job_finish(job_id, ImportJobStatus.SUCCEEDED, report=report)
    finally:
        progress.close()
        path.unlink(missing_ok=True)
        _progress_path(job_id).unlink(missing_ok=True)


def _import_file(job: ImportJob, path: Path, progress: ImportProgress) -> ImportReport:
    if not path.is_file():
        raise ImportFileError("The uploaded file is no longer there. Upload it again.")
    with path.open("rb") as source:
        return import_people(
            source=source,
            filename=job.filename,
            mapping=job.mapping or None,
            full_sync=job.full_sync,
            progress=progress.advance,
            on_stage=progress.stage,
        )


def _job_finish(
    job_id: int, status: ImportJobStatus, *, report: ImportReport | None = None, error: str = ""
) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"status": status, "error": error, "finished_at": now}
    if report is not None:
        rows = report.total_rows
        fields |= {
            "report": report.as_json(error_limit=REPORT_ERROR_LIMIT),
            "rows_total": rows,
            "rows_done": rows,
        }
    ImportJob.objects.filter(pk=job_id).update(updated_at=now, **fields)


def _estimate_rows(path: Path) -> int:
    """Rows in a CSV file, counted as lines; 0 (unknown) for a workbook or on any trouble.

    Quoted line breaks make it a slight overestimate; the write pass corrects it.
    """
    if path.suffix.lower() == ".xlsx":
        return 0
    try:
        with path.open("rb") as source:
            lines = sum(chunk.count(b"\n") for chunk in iter(partial(source.read, 1 << 20), b""))
    except OSError:
        return 0
    return max(lines - 1, 0)


# --- progress --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobProgress:
    """How far a job is. The bar gives each pass half of its length."""

    stage: str
    rows_done: int
    rows_total: int

    @property
    def percent(self) -> int | None:
        """0-100, or None while the size of the file is unknown."""
        if not self.stage:
            return 0
        if not self.rows_total:
            return 50 if self.stage == ImportStage.WRITE else None
        passed = 50 if self.stage == ImportStage.WRITE else 0
        within = min(self.rows_done / self.rows_total, 0.99) * 50
        return min(int(passed + within), 99)

    @property
    def stage_label(self) -> str:
        if self.stage not in ImportStage.values:
            return ""
        return str(ImportStage(self.stage).label)


class ProgressSink(Protocol):
    def publish(self, progress: JobProgress) -> None: ...

    def close(self) -> None: ...


class ImportProgress:
    """``import_people``'s progress and stage callbacks, publishing to a sink now and then.

    ``advance`` is called for every few rows, so it only counts and checks the clock; it
    publishes when ``PROGRESS_SECONDS`` passed or ``PROGRESS_FRACTION`` of the rows moved.
    """

    def __init__(self, *, sink: ProgressSink, rows_total: int) -> None:
        self.sink = sink
        self.current = JobProgress(stage="", rows_done=0, rows_total=rows_total)
        self.done = 0
        self.published_done = 0
        self.published_at = time.monotonic()

    def stage(self, name: str) -> None:
        total = self.current.rows_total
        if name == ImportStage.WRITE:
            total = self.done  # the validate pass counted every row: exact from here on
        self.done = 0
        self.current = JobProgress(stage=name, rows_done=0, rows_total=total)
        self._publish()

    def advance(self, rows: int) -> None:
        self.done += rows
        step = self.current.rows_total * PROGRESS_FRACTION
        moved = bool(step) and self.done - self.published_done >= step
        if moved or time.monotonic() - self.published_at >= PROGRESS_SECONDS:
            self._publish()

    def close(self) -> None:
        self.sink.close()

    def _publish(self) -> None:
        total = max(self.current.rows_total, self.done)
        self.current = JobProgress(self.current.stage, self.done, total)
        self.published_done = self.done
        self.published_at = time.monotonic()
        self.sink.publish(self.current)


class DatabaseProgressSink:
    """Writes progress with a targeted ``update()`` on a connection of its own.

    Django gives each thread its own connection, so the updates run on one helper thread;
    they commit at once, outside the import's transaction. Needs a database that lets a
    second connection write while the import's transaction is open.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-progress")

    def publish(self, progress: JobProgress) -> None:
        self.executor.submit(self._write, progress)

    def close(self) -> None:
        self.executor.submit(connections.close_all)  # the helper thread's own connection
        self.executor.shutdown(wait=True)

    def _write(self, progress: JobProgress) -> None:
        try:
            ImportJob.objects.filter(pk=self.job_id, status=ImportJobStatus.RUNNING).update(
                stage=progress.stage,
                rows_done=progress.rows_done,
                rows_total=progress.rows_total,
                updated_at=timezone.now(),
            )
        except Exception:
            logger.warning("Could not record the progress of import job %s", self.job_id)


class FileProgressSink:
    """Writes progress to ``MEDIA_ROOT/imports/job-<id>.progress.json``, replaced atomically."""

    def __init__(self, job_id: int) -> None:
        self.path = _progress_path(job_id)

    def publish(self, progress: JobProgress) -> None:
        partial_path = self.path.with_suffix(".tmp")
        try:
            partial_path.write_text(json.dumps(asdict(progress)), encoding="utf-8")
            os.replace(partial_path, self.path)
        except OSError:
            logger.warning("Could not record the progress of an import in %s", self.path)

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


def _progress_sink(job_id: int) -> ProgressSink:
    if connection.vendor == "sqlite":
        return FileProgressSink(job_id)
    return DatabaseProgressSink(job_id)


def import_job_progress(*, job: ImportJob) -> JobProgress:
    """The newest progress of a job: its progress file while one exists, else its row."""
    stored = JobProgress(stage=job.stage, rows_done=job.rows_done, rows_total=job.rows_total)
    if job.status != ImportJobStatus.RUNNING:
        return stored
    try:
        data = json.loads(_progress_path(job.pk).read_text(encoding="utf-8"))
        return JobProgress(str(data["stage"]), int(data["rows_done"]), int(data["rows_total"]))
    except (OSError, ValueError, KeyError, TypeError):
        return stored


def import_job_fail_if_stalled(*, job: ImportJob) -> ImportJob:
    """Mark a running job failed when it has shown no sign of life for ``STALL_AFTER``.

    Its worker is gone and its transaction was rolled back, so nothing was imported. The
    conditional UPDATE makes this safe to call from any number of page views at once.
    """
    if job.status != ImportJobStatus.RUNNING:
        return job
    now = timezone.now()
    if now - _last_sign_of_life(job) < STALL_AFTER:
        return job
    error = gettext(
        "The import stopped without finishing (its worker was stopped). "
        "Nothing was imported; upload the file again."
    )
    ImportJob.objects.filter(pk=job.pk, status=ImportJobStatus.RUNNING).update(
        status=ImportJobStatus.FAILED, error=error, finished_at=now, updated_at=now
    )
    job.refresh_from_db()
    return job


def _last_sign_of_life(job: ImportJob) -> datetime:
    """The row's last update, or the progress file's (SQLite publishes progress there)."""
    try:
        touched = datetime.fromtimestamp(_progress_path(job.pk).stat().st_mtime, tz=UTC)
    except OSError:
        return job.updated_at
    return max(job.updated_at, touched)


def import_job_waiting_for_worker(*, job: ImportJob) -> bool:
    """Queued for longer than a worker would take to pick it up."""
    return job.status == ImportJobStatus.QUEUED and (
        timezone.now() - job.created_at > WORKER_PATIENCE
    )
