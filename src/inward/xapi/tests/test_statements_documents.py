"""The document resources (State, Activity Profile, Agent Profile) and the Activities and
Agents resources, over real HTTP."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from typing import Any

import pytest

from inward.xapi.clients import create_client
from inward.xapi.tests.statements_http import Lrs, statement

pytestmark = pytest.mark.django_db(transaction=True)

ACTIVITY = "http://example.com/courses/onboarding"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}


@pytest.fixture
def lrs(live_server: Any) -> Lrs:
    client, secret = create_client(name="Moodle")
    return Lrs(base=live_server.url + "/xapi", key=client.key, secret=secret)


def url(path: str, **params: Any) -> str:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return f"{path}?{urllib.parse.urlencode(encoded)}"


def send(lrs: Lrs, method: str, path: str, document: Any = None, **headers: str) -> Any:
    body = None if document is None else json.dumps(document).encode()
    sent = {"Content-Type": "application/json", **headers} if body is not None else headers
    return lrs.request(method, path, body=body, headers=sent)


def test_state_is_kept_merged_listed_and_deleted(lrs: Lrs) -> None:
    bookmark = url("/activities/state", activityId=ACTIVITY, agent=AGENT, stateId="bookmark")
    assert send(lrs, "PUT", bookmark, {"page": 3}).status == 204
    assert send(lrs, "POST", bookmark, {"score": 0.5}).status == 204
    got = lrs.request("GET", bookmark)
    assert got.json() == {"page": 3, "score": 0.5}
    assert (
        got.headers["ETag"] == '"' + hashlib.sha1(got.body, usedforsecurity=False).hexdigest() + '"'
    )
    assert got.headers["Last-Modified"]
    other = url("/activities/state", activityId=ACTIVITY, agent=AGENT, stateId="other")
    send(lrs, "PUT", other, {"x": 1})
    listing = url("/activities/state", activityId=ACTIVITY, agent=AGENT)
    assert lrs.request("GET", listing).json() == ["bookmark", "other"]
    assert lrs.request("DELETE", bookmark).status == 204
    assert lrs.request("GET", bookmark).status == 404
    assert lrs.request("DELETE", listing).status == 204
    assert lrs.request("GET", listing).json() == []


def test_state_belongs_to_its_agent_and_registration(lrs: Lrs) -> None:
    registration = "6f1b3c1e-3d1c-4bb6-9f5e-4a6c1c1e9a01"
    mine = url(
        "/activities/state",
        activityId=ACTIVITY,
        agent=AGENT,
        stateId="s",
        registration=registration,
    )
    send(lrs, "PUT", mine, {"mine": True})
    someone = {"mbox": "mailto:someone@example.com"}
    theirs = url("/activities/state", activityId=ACTIVITY, agent=someone, stateId="s")
    assert lrs.request("GET", theirs).status == 404
    without_registration = url("/activities/state", activityId=ACTIVITY, agent=AGENT, stateId="s")
    assert lrs.request("GET", without_registration).status == 404
    assert lrs.request("GET", mine).json() == {"mine": True}


def test_a_non_json_document_cannot_be_merged(lrs: Lrs) -> None:
    path = url("/activities/state", activityId=ACTIVITY, agent=AGENT, stateId="note")
    text = {"Content-Type": "text/plain"}
    assert lrs.request("PUT", path, body=b"plain words", headers=text).status == 204
    assert send(lrs, "POST", path, {"a": 1}).status == 400
    assert lrs.request("GET", path).body == b"plain words"
    assert lrs.request("GET", path).headers["Content-Type"] == "text/plain"


def test_profiles_need_preconditions_to_be_replaced(lrs: Lrs) -> None:
    profile = url("/activities/profile", activityId=ACTIVITY, profileId="settings")
    assert send(lrs, "PUT", profile, {"v": 1}).status == 400  # neither header
    assert send(lrs, "PUT", profile, {"v": 1}, **{"If-None-Match": "*"}).status == 204
    assert send(lrs, "PUT", profile, {"v": 2}, **{"If-None-Match": "*"}).status == 412
    assert send(lrs, "PUT", profile, {"v": 2}).status == 409
    etag = lrs.request("GET", profile).headers["ETag"]
    assert send(lrs, "PUT", profile, {"v": 2}, **{"If-Match": '"0000"'}).status == 412
    assert send(lrs, "PUT", profile, {"v": 2}, **{"If-Match": etag}).status == 204
    assert lrs.request("GET", profile).json() == {"v": 2}
    assert lrs.request("DELETE", url("/activities/profile", activityId=ACTIVITY)).status == 400
    assert lrs.request("DELETE", profile, headers={"If-Match": etag}).status == 412
    assert lrs.request("DELETE", profile).status == 204


def test_agent_profiles_are_listed_since_a_time(lrs: Lrs) -> None:
    first = url("/agents/profile", agent=AGENT, profileId="first")
    send(lrs, "POST", first, {"a": 1})
    got = lrs.request("GET", first)
    listing = url("/agents/profile", agent=AGENT)
    assert lrs.request("GET", listing).json() == ["first"]
    later = url("/agents/profile", agent=AGENT, since="2999-01-01T00:00:00Z")
    assert lrs.request("GET", later).json() == []
    assert got.status == 200
    bad_agent = url("/agents/profile", agent={"name": "no identifier"}, profileId="x")
    assert lrs.request("GET", bad_agent).status == 400


def test_the_activities_resource_describes_an_activity_from_its_statements(lrs: Lrs) -> None:
    lrs.post(statement(activity=ACTIVITY))
    later = statement(activity=ACTIVITY)
    later["object"]["definition"] = {
        "name": {"fy-NL": "Ynwurkje"},
        "type": "http://x.example/course",
    }
    lrs.post(later)
    described = lrs.request("GET", url("/activities", activityId=ACTIVITY)).json()
    assert described["id"] == ACTIVITY
    assert described["definition"]["name"] == {
        "en-US": "Onboarding",
        "nl-NL": "Inwerken",
        "fy-NL": "Ynwurkje",
    }
    assert described["definition"]["type"] == "http://x.example/course"
    assert lrs.request("GET", "/activities").status == 400


def test_the_agents_resource_answers_with_a_person(lrs: Lrs) -> None:
    person = lrs.request("GET", url("/agents", agent={**AGENT, "name": "A Learner"})).json()
    assert person == {
        "objectType": "Person",
        "name": ["A Learner"],
        "mbox": ["mailto:learner@example.com"],
    }


def test_document_resources_need_credentials_and_the_version(lrs: Lrs) -> None:
    path = url("/activities/state", activityId=ACTIVITY, agent=AGENT, stateId="s")
    assert lrs.request("GET", path, auth=False).status == 401
    assert lrs.request("GET", path, version=False).status == 400
    assert lrs.request("GET", path + "&unknown=1").status == 400
