from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inward.audiences.models import Audience
from inward.audiences.tests.conftest import Directory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("audience", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_number_of_people(directory: Directory) -> None:
    assert run("count", 'department = "Sales"') == "2\n"


def test_it_counts_a_rule_in_json_form(directory: Directory) -> None:
    rule = {
        "or": [{"field": "site", "op": "is empty"}, {"field": "status", "op": "=", "value": "left"}]
    }
    assert run("count", json.dumps(rule), "--json") == "2\n"


def test_it_shows_a_caret_under_a_syntax_error_and_exits_2(directory: Directory) -> None:
    with pytest.raises(CommandError) as caught:
        run("count", 'site = "x" and language =')
    assert caught.value.returncode == 2
    assert str(caught.value) == (
        'line 1, column 26: expected a value after "=", found end of rule\n'
        '  site = "x" and language =\n'
        "                           ^"
    )


def test_it_reports_bad_json(directory: Directory) -> None:
    with pytest.raises(CommandError, match='unknown field "sight"') as caught:
        run("count", '{"field": "sight", "op": "=", "value": "x"}', "--json")
    assert caught.value.returncode == 2


def test_it_lists_saved_audiences_with_counts(directory: Directory) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales"')
    Audience.objects.create(slug="broken", name="Broken", rule='in_audience("gone")')
    assert run("list").splitlines() == [
        'broken\tBroken\terror: there is no saved audience "gone"',
        "sales\tSales\t2",
    ]


def test_it_explains_a_slug_or_a_rule_for_a_person(directory: Directory) -> None:
    Audience.objects.create(slug="sales", name="Sales", rule='department = "Sales" and site = "x"')
    assert run("explain", "sales", "--person", "BOB@example.com").splitlines() == [
        '[no ] department = "Sales" and site = "x"',
        '  [yes] department = "Sales"',
        '  [no ] site = "x"',
        "not in the audience",
    ]
    lines = run("explain", 'site = "Leeuwarden"', "--person", "dora@example.com").splitlines()
    assert lines[0] == '[no ] site = "Leeuwarden"'
    assert "on leave" in lines[1]


def test_it_refuses_to_explain_for_someone_unknown(directory: Directory) -> None:
    with pytest.raises(CommandError, match="No one in the directory"):
        run("explain", 'site = "x"', "--person", "who@example.com")


def test_the_console_command_exits_2_on_a_syntax_error(tmp_path: Path) -> None:
    inward = Path(sys.executable).with_name("inward")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env["INWARD_VAR_DIR"] = str(tmp_path)
    subprocess.run([str(inward), "migrate", "-v0"], env=env, check=True)
    done = subprocess.run(
        [str(inward), "audience", "count", "tenure <"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "line 1, column 9: expected a value after" in done.stderr
    done = subprocess.run(
        [str(inward), "audience", "count", "tenure < 90d"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "0\n")
