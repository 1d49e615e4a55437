"""Importing people from CSV and XLSX files. The public names live here.

from inward.directory.importing import import_people, preview_import, ImportReport
"""

from __future__ import annotations

from inward.directory.importing.report import (
    ATTRIBUTE_PREFIX,
    DEFAULT_COLUMNS,
    ImportFileError,
    ImportPreview,
    ImportReport,
    PersonChange,
    RowError,
    row_errors_from_json,
)
from inward.directory.importing.service import import_people, preview_import

__all__ = [
    "ATTRIBUTE_PREFIX",
    "DEFAULT_COLUMNS",
    "ImportFileError",
    "ImportPreview",
    "ImportReport",
    "PersonChange",
    "RowError",
    "import_people",
    "preview_import",
    "row_errors_from_json",
]
