from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, *lines: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("directory", "import", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_and_prints_a_summary(tmp_path):
    out, _ = _import(str(_write(tmp_path, "email", "a@example.com")))

    assert "1 rows: 1 created" in out
    assert Person.objects.count() == 1


def test_it_exits_1_and_lists_errors_when_rows_are_rejected(tmp_path):
    path = _write(tmp_path, "email,hire_date", "a@example.com,2024-13-01", "b@example.com,")
    err = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "directory", "import", str(path), "--no-progress", stderr=err, stdout=io.StringIO()
        )

    assert raised.value.returncode == 1
    assert "line 2: bad date '2024-13-01' in hire_date" in err.getvalue()
    assert Person.objects.count() == 1


def test_it_exits_2_for_a_missing_file_or_no_email_column(tmp_path):
    for args in ([str(tmp_path / "missing.csv")], [str(_write(tmp_path, "name", "Ann"))]):
        with pytest.raises(CommandError) as raised:
            _import(*args)
        assert raised.value.returncode == 2


def test_it_takes_a_mapping_and_a_dry_run(tmp_path):
    path = _write(tmp_path, "Mail,Dept", "a@example.com,Sales")

    out, _ = _import(str(path), "--mapping", "Mail=email,Dept=department", "--dry-run")

    assert "Dry run" in out and "1 created" in out
    assert not Person.objects.exists()


def test_it_limits_the_errors_shown_and_writes_them_all_on_request(tmp_path):
    path = _write(tmp_path, "email", *[f"bad{i}" for i in range(60)])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "directory", "import", str(path), "--no-progress", stderr=err, stdout=io.StringIO()
        )
    assert "and 10 more (use --errors FILE" in err.getvalue()

    errors = tmp_path / "errors.txt"
    with pytest.raises(CommandError):
        _import(str(path), "--errors", str(errors))
    assert len(errors.read_text().splitlines()) == 60


def test_it_exports_to_stdout_and_to_a_file(tmp_path, run_import):
    run_import("email", "a@example.com")
    out = io.StringIO()

    call_command("directory", "export", stdout=out)
    call_command("directory", "export", "--output", str(tmp_path / "x.csv"), stderr=io.StringIO())

    assert out.getvalue().splitlines()[1].startswith(",a@example.com,")
    assert (tmp_path / "x.csv").read_text().splitlines()[1].startswith(",a@example.com,")


def test_the_demo_command_builds_and_then_skips_when_not_empty():
    out = io.StringIO()
    call_command("demo", "--people", "30", "--seed", "3", "--no-progress", stdout=out)
    call_command("demo", "--if-empty", "--no-progress", stdout=out)

    assert Person.objects.count() == 30
    assert "no demo loaded" in out.getvalue()


@pytest.mark.parametrize(
    ("lines", "status"), [(["email", "a@example.com"], 0), (["email", "bad"], 1), (["nope"], 2)]
)
def test_the_console_command_exits_with_0_1_or_2(tmp_path, lines, status):
    # The exit status is the console's contract, whatever the database: a throwaway SQLite
    # file keeps the subprocess away from the test database.
    path = _write(tmp_path, *lines)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "INWARD_VAR_DIR": str(tmp_path)}
    inward = [sys.executable, "-m", "inward"]
    env = {**os.environ, **env}
    subprocess.run([*inward, "migrate", "-v0"], env=env, check=True)
    result = subprocess.run(
        [*inward, "directory", "import", str(path), "--no-progress"], env=env, capture_output=True
    )

    assert result.returncode == status, result.stderr
