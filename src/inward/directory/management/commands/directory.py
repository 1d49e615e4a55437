from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from inward.directory.importing import ImportFileError, ImportReport, import_people

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import or export the directory: `inward directory import FILE [--dry-run] "
        "[--full-sync] [--mapping Mail=email,Dept=department]`, `inward directory export`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="Create and update people from a CSV or XLSX file.")
        load.add_argument("file", help="A .csv (any delimiter/encoding) or .xlsx file.")
        load.add_argument("--mapping", default="", help="FileColumn=field pairs, comma-separated.")
        load.add_argument("--dry-run", action="store_true", help="Report, but write nothing.")
        load.add_argument(
            "--full-sync", action="store_true", help="Mark people absent from the file as left."
        )
        load.add_argument("--no-progress", action="store_true", help="No progress bar.")
        load.add_argument("--errors", metavar="FILE", help="Write every row error to FILE.")
        dump = sub.add_parser("export", help="Write every person as CSV.")
        dump.add_argument("--output", "-o", metavar="FILE", help="Write here, not to stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)
        else:
            self._export(options)

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}", returncode=2)
        mapping = parse_mapping(options["mapping"])
        bar = _Progress(enabled=not options["no_progress"])
        try:
            with path.open("rb") as source:
                report = import_people(
                    source=source,
                    filename=path.name,
                    mapping=mapping,
                    dry_run=options["dry_run"],
                    full_sync=options["full_sync"],
                    progress=bar.update,
                    on_stage=bar.stage,
                )
        except ImportFileError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        finally:
            bar.close()
        self._summarise(report, options.get("errors"))
        if not report.ok:
            raise CommandError(f"{report.rejected} rows were rejected.", returncode=1)

    def _summarise(self, report: ImportReport, errors_file: str | None) -> None:
        prefix = "Dry run, nothing written: would have " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}{report.total_rows} rows: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{report.marked_left} marked left, {report.rejected} rejected."
        )
        for error in report.errors[:ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if errors_file:
            Path(errors_file).write_text("".join(f"{error}\n" for error in report.errors))
        elif len(report.errors) > ERRORS_SHOWN:
            more = len(report.errors) - ERRORS_SHOWN
            self.stderr.write(f"…and {more} more (use --errors FILE to write them all)")

    def _export(self, options: dict[str, Any]) -> None:
        from inward.directory.exporting import export_people_csv

        if options.get("output"):
            with Path(options["output"]).open("w", encoding="utf-8", newline="") as out:
                count = export_people_csv(out=out)
            self.stderr.write(f"Exported {count} people to {options['output']}.")
        else:
            export_people_csv(out=cast(TextIO, self.stdout))


def parse_mapping(text: str) -> dict[str, str]:
    """``Mail=email,Dept=department`` as a dict; raise CommandError (status 2) when malformed."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise CommandError(f"Bad mapping {pair!r}; use Column=field.", returncode=2)
        mapping[column.strip()] = target.strip()
    return mapping


class _Progress:
    """A tqdm bar on stderr for each pass of the import."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm[Any] | None = None

    def stage(self, name: str) -> None:
        self.close()
        if self.enabled:
            label = {"validate": "validating", "write": "importing"}.get(name, name)
            self.bar = tqdm(desc=label, unit=" rows", unit_scale=True, file=sys.stderr)

    def update(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
