"""``inward lrs client create|list|disable|enable`` and ``inward lrs rematch``."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inward.directory.models import Person
from inward.xapi.clients import authenticate_basic, new_key
from inward.xapi.models import LrsClient
from inward.xapi.tests.records import ADL, mbox, statement

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("lrs", *args, stdout=out)
    return out.getvalue()


def test_create_prints_a_key_and_secret_that_work() -> None:
    output = run("client", "create", "Moodle LMS")
    key = re.search(r"^Key:\s+(\S+)$", output, re.M)
    secret = re.search(r"^Secret:\s+(\S+)$", output, re.M)
    assert key and secret
    assert "Endpoint: http" in output and "/xapi/" in output
    lms = LrsClient.objects.get()
    assert lms.name == "Moodle LMS" and lms.key == key[1]
    header = "Basic " + base64.b64encode(f"{key[1]}:{secret[1]}".encode()).decode()
    assert authenticate_basic(header) == lms


def test_list_shows_every_client() -> None:
    assert "No LMS clients" in run("client", "list")
    run("client", "create", "Moodle")
    run("client", "create", "Totara")
    lines = run("client", "list").splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("Moodle") and "\tenabled\t0 statements\tnever used\t" in lines[0]


def test_disable_and_enable_by_key() -> None:
    run("client", "create", "Moodle")
    lms = LrsClient.objects.get()
    assert "is disabled" in run("client", "disable", lms.key)
    lms.refresh_from_db()
    assert not lms.enabled
    assert "\tdisabled\t" in run("client", "list")
    run("client", "enable", lms.key)
    lms.refresh_from_db()
    assert lms.enabled


def test_an_unknown_key_is_an_error() -> None:
    with pytest.raises(CommandError, match="No LMS client"):
        run("client", "disable", "nope")


def test_a_blank_name_is_an_error() -> None:
    with pytest.raises(CommandError):
        run("client", "create", " ")


def test_rematch_matches_statements_again() -> None:
    s = statement(mbox("late@example.com"), verb=ADL + "experienced")
    Person.objects.create(email="late@example.com")
    assert run("rematch") == "Statements newly matched: 1\n"
    s.refresh_from_db()
    assert s.person is not None


def test_rematch_prints_a_running_count_apart_from_the_result() -> None:
    statement(mbox("late@example.com"), verb=ADL + "experienced")
    statement(mbox("later@example.com"), verb=ADL + "experienced")
    out, err = io.StringIO(), io.StringIO()
    call_command("lrs", "rematch", stdout=out, stderr=err)
    assert err.getvalue() == "Matched 2 of 2 statements…\n"
    assert out.getvalue() == "Statements newly matched: 0\n"


def test_keys_are_letters_and_digits_so_a_command_line_never_reads_one_as_an_option() -> None:
    # The url-safe base64 keys of before started with "-" one time in 64, and
    # `inward lrs client disable -WNT...` then failed as an unknown option.
    keys = {new_key() for _ in range(2_000)}
    assert len(keys) == 2_000
    assert all(len(key) == 20 and key.isascii() and key.isalnum() for key in keys)
