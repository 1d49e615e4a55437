"""Import people from a CSV or XLSX file, and preview a file before mapping its columns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from inward.directory.importing.columns import column_plan, suggest_mapping
from inward.directory.importing.pipeline import Prefetch
from inward.directory.importing.readers import table_open
from inward.directory.importing.report import ImportFileError, ImportPreview, ImportReport
from inward.directory.importing.rows import CleanRow, RowParser
from inward.directory.importing.seen import SeenPeople
from inward.directory.importing.spool import Keys, RowSpool
from inward.directory.importing.validation import Validation, rows_validate
from inward.directory.importing.writer import BatchWriter

BATCH_SIZE = 5000
SQLITE_CACHE_KIB = -64 * 1024  # negative: KiB, not pages
Progress = Callable[[int], None]
# PostgreSQL: write each batch in a thread while the next is prepared (see ``pipeline``).
PIPELINE = True


def import_people(
    *,
    source: BinaryIO,
    filename: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    full_sync: bool = False,
    progress: Progress | None = None,
    change_limit: int = 50,
    on_stage: Callable[[str], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Create and update people from a file; raise ImportFileError for an unusable file.

    Two passes: the first reads and validates every row, writing nothing to the database
    but keeping the clean rows in a temporary file; the second writes the accepted rows
    in batches. Everything happens in one transaction; a dry run
    rolls it back, so it reports exactly what a real run would do. ``progress`` is called
    with the number of rows handled since the last call, in both passes; ``on_stage`` is
    told ``"validate"`` and then ``"write"`` as each pass starts.
    """
    table = table_open(source=source, filename=filename)
    parser = RowParser(column_plan(headers=table.headers, mapping=mapping))
    report = ImportReport(dry_run=dry_run)
    # The pipeline's second connection sees committed data only: not what an outer
    # transaction (a test's, a caller's) may have written before the import.
    pipelined = PIPELINE and connection.vendor == "postgresql" and not connection.in_atomic_block
    with _sqlite_cache(), transaction.atomic():
        _stage(on_stage, "validate")
        spool = RowSpool(batch_size=batch_size)
        try:
            validation = rows_validate(
                rows=table.rows(), parser=parser, spool=spool, progress=progress
            )
            report.total_rows = validation.total_rows
            report.errors = list(validation.errors)
            _stage(on_stage, "write")
            writer = BatchWriter(
                report=report,
                change_limit=change_limit,
                seen=SeenPeople() if full_sync else None,
                parser=parser,
                manager_emails=validation.manager_emails,
                pipelined=pipelined,
            )
            try:
                _write(spool, writer, validation, progress)
            finally:
                writer.close()
        finally:
            spool.close()
        report.errors.sort(key=lambda error: error.line)
        if dry_run:
            transaction.set_rollback(True)
    return report


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """A larger SQLite page cache while importing: SQLite's 2 MB default makes every insert
    into the email and external id indexes of a large table read pages from the OS."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _stage(on_stage: Callable[[str], None] | None, name: str) -> None:
    if on_stage is not None:
        on_stage(name)


def _write(
    spool: RowSpool, writer: BatchWriter, validation: Validation, progress: Progress | None
) -> None:
    batches = (_accepted(rows, keys, validation) for rows, keys in spool.batches())
    if writer.side is None:
        for accepted, rejected_keys, handled in batches:
            writer.write(accepted, rejected_keys)
            if progress is not None:
                progress(handled)
    else:
        prefetch = Prefetch(batches, lambda batch: (*batch, writer.lookups(batch[0])))
        try:
            for accepted, rejected_keys, handled, found in prefetch:
                writer.write(accepted, rejected_keys, found)
                if progress is not None:
                    progress(handled)
        finally:
            prefetch.close()
    writer.finish()
    if writer.seen is not None:
        # With no row taken the file is more likely wrong than the directory empty.
        if validation.accepted:
            writer.report.marked_left = writer.seen.mark_others_left(now=timezone.now())
        writer.seen.drop()


def _accepted(
    rows: list[CleanRow], rejected_keys: list[Keys], validation: Validation
) -> tuple[list[CleanRow], list[Keys], int]:
    """A spooled batch's accepted rows, the keys of its rejected ones, and its size."""
    handled = len(rows) + len(rejected_keys)
    accepted = [row for row in rows if row.line not in validation.rejected]
    if len(accepted) < len(rows):
        rejected_keys += [
            (row.email, row.external_id or "") for row in rows if row.line in validation.rejected
        ]
    return accepted, rejected_keys, handled


def preview_import(*, source: BinaryIO, filename: str, rows: int = 20) -> ImportPreview:
    """The headers, the first ``rows`` rows and a suggested mapping; nothing is written."""
    table = table_open(source=source, filename=filename)
    if not any(table.headers):
        raise ImportFileError("The file has no header row.")
    first = [cells for _, cells in islice(table.rows(), rows)]
    return ImportPreview(
        headers=table.headers,
        rows=first,
        suggested_mapping=suggest_mapping(table.headers),
        delimiter=table.delimiter,
        encoding=table.encoding,
        file_format=table.file_format,
    )
