"""Helpers for the directory tests: files in memory and an import in one call."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from inward.directory.importing import ImportReport, import_people

HEADER = (
    "external_id,email,first_name,last_name,preferred_name,job_title,department,site,"
    "country,time_zone,language,manager_email,hire_date,status,tags"
)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO("\n".join(lines).encode(encoding) + b"\n")


@pytest.fixture
def run_import(db: None) -> Callable[..., ImportReport]:
    def run(*lines: str, filename: str = "people.csv", **options: Any) -> ImportReport:
        return import_people(source=csv_bytes(*lines), filename=filename, **options)

    return run
