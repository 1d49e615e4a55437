"""Rows that passed the first pass, kept in a temporary file for the second.

Parsing a row costs more than storing it, so the first pass writes each batch of clean
rows (and the keys of rejected ones) to disk with pickle, and the second pass reads the
batches back instead of parsing the file again. Memory holds one batch at a time.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from inward.directory.importing.rows import CleanRow

Keys = tuple[str, str]


class RowSpool:
    def __init__(self, *, batch_size: int) -> None:
        self.batch_size = batch_size
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="inward-import-")  # noqa: SIM115
        self.rows: list[tuple[Any, ...]] = []
        self.rejected: list[Keys] = []

    def add(self, row: CleanRow) -> None:
        self.rows.append(_pack(row))
        self._flush_when_full()

    def add_rejected(self, keys: Keys) -> None:
        self.rejected.append(keys)
        self._flush_when_full()

    def _flush_when_full(self) -> None:
        if len(self.rows) + len(self.rejected) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.rows or self.rejected:
            pickle.dump((self.rows, self.rejected), self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.rows, self.rejected = [], []

    def batches(self) -> Iterator[tuple[list[CleanRow], list[Keys]]]:
        """Every batch, in file order; call once, after the last ``add``."""
        self.flush()
        self.file.seek(0)
        while True:
            try:
                rows, rejected = pickle.load(self.file)  # noqa: S301 - our own file
            except EOFError:
                return
            yield [_unpack(row) for row in rows], rejected

    def close(self) -> None:
        self.file.close()


def _pack(row: CleanRow) -> tuple[Any, ...]:
    return (
        row.line,
        row.email,
        row.external_id,
        row.values,
        row.department,
        row.site,
        row.manager_email,
        row.attributes,
    )


def _unpack(packed: tuple[Any, ...]) -> CleanRow:
    return CleanRow(*packed)
