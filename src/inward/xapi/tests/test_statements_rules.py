"""The rules behind the Statements resource that need no server: statement comparison,
language choice, the ids format, the index, and query counts."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from inward.xapi.clients import create_client
from inward.xapi.comparison import statements_equivalent
from inward.xapi.query import accept_languages, formatted, index_entries, index_key, pick_language
from inward.xapi.tests.statements_http import new_id, statement


def test_statements_differing_only_in_what_the_lrs_sets_are_the_same() -> None:
    sent = statement(id=new_id(), timestamp="2026-01-02T03:04:05Z")
    stored = {
        **sent,
        "stored": "2026-01-02T03:04:06.000Z",
        "authority": {"mbox": "mailto:lms@example.com"},
        "version": "1.0.0",
        "timestamp": "2026-01-02T03:04:05.000+00:00",
        "id": sent["id"].upper(),
    }
    assert statements_equivalent(sent, stored)
    assert not statements_equivalent(sent, {**sent, "verb": {"id": "http://x.example/other"}})


def test_group_member_order_does_not_matter() -> None:
    a = {"mbox": "mailto:a@example.com"}
    b = {"mbox": "mailto:b@example.com"}
    one = statement(actor={"objectType": "Group", "member": [a, b]})
    other = statement(actor={"objectType": "Group", "member": [b, a]})
    assert statements_equivalent(one, other)


def test_accept_language_is_read_by_weight() -> None:
    assert accept_languages("nl;q=0.5, fy, en-GB;q=0.8, de;q=0") == ["fy", "en-GB", "nl"]
    assert accept_languages(None) == []


def test_the_preferred_language_is_picked_then_a_fallback() -> None:
    names = {"en-US": "Onboarding", "nl-NL": "Inwerken"}
    assert pick_language(names, ["nl"]) == {"nl-NL": "Inwerken"}
    assert pick_language(names, ["fy", "en-us"]) == {"en-US": "Onboarding"}
    assert pick_language(names, ["de"]) == {"en-US": "Onboarding"}
    assert pick_language({"fr": "Accueil"}, []) == {"fr": "Accueil"}


@given(
    language_map=st.dictionaries(
        st.sampled_from(["en", "en-US", "nl", "nl-NL", "fy", "de-CH", "und"]),
        st.text(max_size=5),
        min_size=1,
    ),
    wanted=st.lists(st.sampled_from(["en", "nl-BE", "fy", "*", "de"]), max_size=3),
)
def test_canonical_keeps_exactly_one_entry_of_the_map(
    language_map: dict[str, str], wanted: list[str]
) -> None:
    picked = pick_language(language_map, wanted)
    assert len(picked) == 1
    assert picked.items() <= language_map.items()


def test_the_ids_format_keeps_only_identifiers() -> None:
    group = {
        "objectType": "Group",
        "name": "Team",
        "member": [{"name": "A", "mbox": "mailto:a@example.com"}],
    }
    data = statement(actor=group)
    data["context"] = {
        "contextActivities": {"parent": [{"id": "http://x.example/p", "definition": {}}]}
    }
    ids = formatted(data, "ids", [])
    assert ids["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert ids["object"] == {"id": data["object"]["id"]}
    assert ids["context"]["contextActivities"]["parent"] == [{"id": "http://x.example/p"}]
    assert formatted(data, "exact", ["nl"]) is data


def test_the_index_separates_direct_and_related_things() -> None:
    data = statement()
    data["context"] = {
        "instructor": {"mbox": "mailto:teacher@example.com"},
        "contextActivities": {"grouping": {"id": "http://x.example/programme"}},
    }
    entries = index_entries(data)
    assert (index_key("agent", "Agent|mbox:mailto:learner@example.com"), False) in entries
    assert (index_key("agent", "Agent|mbox:mailto:teacher@example.com"), True) in entries
    assert (index_key("activity", "http://x.example/programme"), True) in entries
    assert (index_key("activity", data["object"]["id"]), False) in entries


@pytest.mark.django_db
def test_a_page_of_statements_costs_the_same_queries_at_any_size(
    django_assert_max_num_queries: Any,
) -> None:
    lms, secret = create_client(name="LMS")
    token = base64.b64encode(f"{lms.key}:{secret}".encode()).decode()
    http = Client(HTTP_AUTHORIZATION=f"Basic {token}", HTTP_X_EXPERIENCE_API_VERSION="1.0.3")
    batch = [statement(activity=f"http://x.example/a/{i}") for i in range(120)]
    assert http.post("/xapi/statements", batch, content_type="application/json").status_code == 200
    for limit in (1, 100):
        with django_assert_max_num_queries(3):  # client, its last use, the page
            answer = http.get("/xapi/statements", {"limit": limit, "verb": batch[0]["verb"]["id"]})
        assert len(answer.json()["statements"]) == limit
