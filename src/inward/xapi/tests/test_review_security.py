"""Security review of the LRS: odd and hostile input is answered as xAPI (JSON error,
version header, status below 500), documents cannot be used to serve active content,
and every resource but About asks for a signed-in, enabled client."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inward.xapi.clients import client_set_enabled, create_client
from inward.xapi.tests.statements_http import statement

pytestmark = pytest.mark.django_db

ACTIVITY = "http://example.com/courses/onboarding"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


class Lrs:
    """The LRS through Django's test client, signed in as one LMS client."""

    def __init__(self, key: str, secret: str) -> None:
        self.http = Client()
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        self.auth = f"Basic {token}"

    def call(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str = "application/json",
        auth: bool = True,
        version: bool = True,
        **headers: str,
    ) -> Any:
        sent = dict(headers)
        if auth:
            sent["Authorization"] = self.auth
        if version:
            sent["X-Experience-API-Version"] = "1.0.3"
        return self.http.generic(
            method, "/xapi/" + path, data=body, content_type=content_type, headers=sent
        )


@pytest.fixture
def lrs() -> Lrs:
    client, secret = create_client(name="Moodle")
    return Lrs(client.key, secret)


def q(**params: Any) -> str:
    return urllib.parse.urlencode(
        {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    )


def assert_xapi_error(response: Any, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert response.json()["error"]["code"] == status


# --- authentication ---------------------------------------------------------------------

RESOURCES = [
    "statements",
    f"statements?{q(statementId='8f1c3c4e-9d54-4c1a-9c0e-2b6f4f0a1d11')}",
    "statements/more/abc",
    f"activities?{q(activityId=ACTIVITY)}",
    f"activities/state?{q(activityId=ACTIVITY, agent=AGENT, stateId='s')}",
    f"activities/profile?{q(activityId=ACTIVITY, profileId='p')}",
    f"agents?{q(agent=AGENT)}",
    f"agents/profile?{q(agent=AGENT, profileId='p')}",
]


@pytest.mark.parametrize("path", RESOURCES)
def test_every_resource_but_about_needs_a_signed_in_enabled_client(path: str) -> None:
    client, secret = create_client(name="Moodle")
    lrs = Lrs(client.key, secret)
    assert_xapi_error(lrs.call("GET", path, auth=False), 401)
    wrong = Lrs(client.key, secret + "x")
    assert_xapi_error(wrong.call("GET", path), 401)
    client_set_enabled(client=client, enabled=False, actor=None)
    assert_xapi_error(lrs.call("GET", path), 403)
    # A preflight needs no credentials and says nothing but CORS.
    preflight = lrs.call("OPTIONS", path, auth=False, version=False)
    assert preflight.status_code == 200
    assert preflight.content == b""


def test_about_is_open(lrs: Lrs) -> None:
    answer = lrs.call("GET", "about", auth=False, version=False)
    assert answer.status_code == 200
    assert "1.0.3" in answer.json()["version"]


# --- odd parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["²", "٣", "9" * 5000, "-1", "1e3", " 5"])
def test_a_strange_limit_is_a_400_or_understood(lrs: Lrs, limit: str) -> None:
    answer = lrs.call("GET", "statements?" + q(limit=limit))
    assert answer.status_code in (200, 400), answer.content[:300]
    if answer.status_code == 400:
        assert_xapi_error(answer, 400)


def test_a_tampered_more_token_is_refused(lrs: Lrs) -> None:
    lrs.call("POST", "statements", body=json.dumps([statement() for _ in range(3)]).encode())
    page = lrs.call("GET", "statements?limit=1").json()
    more = page["more"]
    assert more.startswith("/xapi/statements/more/")
    token = more.rsplit("/", 1)[1]
    assert lrs.call("GET", more.removeprefix("/xapi/")).status_code == 200
    for forged in (token[:-2] + "AA", "x" + token, "' OR 1=1 --", token.split(":")[0]):
        assert_xapi_error(
            lrs.call("GET", "statements/more/" + urllib.parse.quote(forged, safe="")), 404
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "agent",
                "verb",
                "activity",
                "registration",
                "since",
                "until",
                "limit",
                "format",
                "attachments",
                "ascending",
                "related_agents",
                "statementId",
                "voidedStatementId",
            ]
        ),
        st.text(max_size=40),
        max_size=4,
    ),
    accept_language=st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30
    ),
)
def test_no_query_of_statements_is_a_server_error(
    lrs: Lrs, params: dict[str, str], accept_language: str
) -> None:
    answer = lrs.call(
        "GET", "statements?" + urllib.parse.urlencode(params), HTTP_ACCEPT_LANGUAGE=accept_language
    )
    assert answer.status_code < 500
    assert answer["X-Experience-API-Version"] == "1.0.3"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(["activities/state", "activities/profile", "agents/profile"]),
    method=st.sampled_from(["GET", "PUT", "POST", "DELETE"]),
    document_id=st.text(max_size=20),
    body=st.binary(max_size=60) | st.just(b'{"a": 1}'),
    content_type=st.sampled_from(["application/json", "text/plain", "application/octet-stream"]),
)
def test_no_document_request_is_a_server_error(
    lrs: Lrs, path: str, method: str, document_id: str, body: bytes, content_type: str
) -> None:
    id_name = "stateId" if path.endswith("state") else "profileId"
    params: dict[str, Any] = {id_name: document_id}
    if path.startswith("activities"):
        params["activityId"] = ACTIVITY
    if path != "activities/profile":
        params["agent"] = AGENT
    answer = lrs.call(
        method, f"{path}?{q(**params)}", body=body, content_type=content_type, HTTP_IF_MATCH="*"
    )
    assert answer.status_code < 500
    assert answer["X-Experience-API-Version"] == "1.0.3"


# --- documents --------------------------------------------------------------------------


def state_url(state_id: str = "bookmark") -> str:
    return "activities/state?" + q(activityId=ACTIVITY, agent=AGENT, stateId=state_id)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a": ' + b"9" * 5000 + b"}",
    ],
)
def test_merging_hostile_json_documents_is_a_400(lrs: Lrs, body: bytes) -> None:
    assert lrs.call("PUT", state_url(), body=b'{"kept": 1}').status_code == 204
    assert_xapi_error(lrs.call("POST", state_url(), body=body), 400)


def test_a_document_content_type_with_a_line_break_is_refused(lrs: Lrs) -> None:
    """The Alternate Request Syntax carries headers as form fields, where a line break
    is possible; stored, it would make every later GET of the document fail."""
    form = urllib.parse.urlencode(
        {"Content-Type": "text/plain\r\nSet-Cookie: a=b", "content": "hello"}
    )
    answer = lrs.call(
        "POST",
        "activities/state?method=PUT",
        body=f"{form}&{q(activityId=ACTIVITY, agent=AGENT, stateId='s')}".encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert_xapi_error(answer, 400)
    assert lrs.call("GET", state_url("s")).status_code == 404


def test_a_very_long_document_content_type_is_refused(lrs: Lrs) -> None:
    answer = lrs.call("PUT", state_url(), body=b"x", content_type="text/plain; x=" + "a" * 300)
    assert_xapi_error(answer, 400)


def test_a_document_id_with_a_nul_character_is_refused(lrs: Lrs) -> None:
    assert_xapi_error(lrs.call("PUT", state_url("a\x00b"), body=b"{}"), 400)
    assert_xapi_error(lrs.call("GET", state_url("a\x00b")), 400)


def test_a_stored_html_document_cannot_run_in_a_browser(lrs: Lrs) -> None:
    """A client may store any content type; read back in a browser (Basic credentials
    are cached per site), HTML from the LRS would run with Inward's origin. Every LRS
    answer is sandboxed and never sniffed."""
    html = b"<script>fetch('/settings/lrs/')</script>"
    assert lrs.call("PUT", state_url(), body=html, content_type="text/html").status_code == 204
    answer = lrs.call("GET", state_url())
    assert answer.status_code == 200
    assert "sandbox" in answer["Content-Security-Policy"]
    assert "default-src 'none'" in answer["Content-Security-Policy"]
    assert answer["X-Content-Type-Options"] == "nosniff"


# --- bodies -----------------------------------------------------------------------------


def test_a_body_larger_than_django_takes_is_an_xapi_413(lrs: Lrs, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    batch = json.dumps([statement() for _ in range(100)]).encode()
    assert len(batch) > 10_000
    assert_xapi_error(lrs.call("POST", "statements", body=batch), 413)


@pytest.mark.parametrize("depth", [200, 600, 900, 990, 2000, 50_000])
def test_a_deeply_nested_extension_is_refused_or_stored_and_read(lrs: Lrs, depth: int) -> None:
    data = statement(id=f"1b2c3d4e-0000-4000-8000-{depth:012d}")
    data["result"] = {"extensions": {"http://example.com/x": "HERE"}}
    body = json.dumps(data).replace('"HERE"', "[" * depth + "]" * depth).encode()
    answer = lrs.call("POST", "statements", body=body)
    assert answer.status_code in (200, 400), answer.content[:200]
    if answer.status_code == 400:
        assert_xapi_error(answer, 400)
        return
    sid = data["id"]
    for fmt in ("exact", "canonical", "ids"):
        got = lrs.call("GET", "statements?" + q(statementId=sid, format=fmt))
        assert got.status_code == 200, fmt
    assert lrs.call("GET", "statements?" + q(format="canonical")).status_code == 200
    # The same statement again (compared with the stored one) is accepted.
    assert lrs.call("POST", "statements", body=body).status_code == 200


def jws(header: bytes, payload: bytes) -> bytes:
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    return b64(header) + b"." + b64(payload) + b"." + b64(b"sig")


@pytest.mark.parametrize(
    "header",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"alg": "RS256", "n": ' + b"9" * 5000 + b"}",
        b'{"alg": "RS256", "x5c": {"a": 1}}',
        b'{"alg": "RS256", "x5c": [1]}',
        b'{"alg": "RS256", "x5c": true}',
        b'{"alg": "RS256", "x5c": ["!!!"]}',
    ],
)
def test_a_hostile_jws_is_a_400(lrs: Lrs, header: bytes) -> None:
    data = statement()
    payload = json.dumps(data).encode()
    token = jws(header, payload)
    data["attachments"] = [
        {
            "usageType": SIGNATURE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(token),
            "sha2": hashlib.sha256(token).hexdigest(),
        }
    ]
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
        + json.dumps(data).encode()
        + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Transfer-Encoding: binary\r\n"
        f"X-Experience-API-Hash: {hashlib.sha256(token).hexdigest()}\r\n\r\n".encode()
        + token
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = lrs.call(
        "POST", "statements", body=body, content_type=f"multipart/mixed; boundary={boundary}"
    )
    assert_xapi_error(answer, 400)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"--b\r\n",
        b"--b--\r\n",
        b"--b\r\nContent-Type: application/json\r\n\r\n[]\r\n--b\r\n\r\n--b--",
        b"--b" + b"\r\n--b" * 20_000 + b"--",
        b"--b\r\n" + b"X: y\r\n" * 20_000 + b"\r\n{}\r\n--b--",
    ],
)
def test_a_malformed_multipart_body_is_a_400(lrs: Lrs, body: bytes) -> None:
    answer = lrs.call("POST", "statements", body=body, content_type="multipart/mixed; boundary=b")
    assert_xapi_error(answer, 400)


@pytest.mark.parametrize("key", ["a\x00b", "k" * 5000, "é", "a b"])
def test_a_strange_key_is_a_401(key: str) -> None:
    assert_xapi_error(Lrs(key, "secret").call("GET", "statements"), 401)


def test_an_attachment_part_with_a_long_content_type_is_a_400(lrs: Lrs) -> None:
    content = b"hello"
    sha2 = hashlib.sha256(content).hexdigest()
    data = statement()
    data["attachments"] = [
        {
            "usageType": "http://example.com/usage",
            "display": {"en-US": "Note"},
            "contentType": "text/plain",
            "length": len(content),
            "sha2": sha2,
        }
    ]
    body = (
        b"--b\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(data).encode()
        + b"\r\n--b\r\nContent-Type: text/plain; x="
        + b"a" * 300
        + b"\r\nContent-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        + content
        + b"\r\n--b--\r\n"
    )
    answer = lrs.call("POST", "statements", body=body, content_type="multipart/mixed; boundary=b")
    assert_xapi_error(answer, 400)


def test_an_unsigned_in_request_is_refused_before_its_body_is_read(
    settings: Any,
) -> None:
    """Without credentials, even a body over the limit is answered 401, not 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    answer = Lrs("nobody", "nothing").call("POST", "statements", body=b"[" + b" " * 1000 + b"]")
    assert_xapi_error(answer, 401)


def test_the_json_depth_check_is_cheap_for_a_full_batch() -> None:
    import time

    from inward.xapi.validation import parse_json

    body = json.dumps([statement() for _ in range(500)])
    started = time.perf_counter()
    parse_json(body)
    assert time.perf_counter() - started < 0.5


def test_runs_of_digits_do_not_make_json_reading_slow() -> None:
    import time

    from inward.xapi.validation import parse_json

    # About 1 MB: the old pattern for "a number too large for a double" took over a
    # second on it (and 13 s on a 10 MB body).
    body = "[" + ",".join(["1" * 308] * 3000) + "]"
    started = time.perf_counter()
    assert len(parse_json(body)) == 3000
    assert time.perf_counter() - started < 0.5


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
PATHS = [
    "id",
    "actor",
    "actor.mbox",
    "actor.objectType",
    "actor.member",
    "verb",
    "verb.id",
    "verb.display",
    "object",
    "object.id",
    "object.objectType",
    "object.definition",
    "result",
    "result.score",
    "result.duration",
    "context",
    "context.registration",
    "context.contextActivities",
    "context.instructor",
    "timestamp",
    "authority",
    "version",
    "attachments",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(PATHS), value=JSON_VALUES, as_put=st.booleans())
def test_no_statement_is_a_server_error(lrs: Lrs, path: str, value: Any, as_put: bool) -> None:
    data: dict[str, Any] = statement()
    data["context"] = {"registration": "8f1c3c4e-9d54-4c1a-9c0e-2b6f4f0a1d11"}
    data["result"] = {"score": {"scaled": 0.5}}
    target = data
    *parents, last = path.split(".")
    for name in parents:
        if not isinstance(target.get(name), dict):
            target[name] = {}
        target = target[name]
    target[last] = value
    body = json.dumps(data).encode()
    if as_put:
        answer = lrs.call(
            "PUT", "statements?statementId=3f1c3c4e-9d54-4c1a-9c0e-2b6f4f0a1d11", body=body
        )
    else:
        answer = lrs.call("POST", "statements", body=body)
    assert answer.status_code < 500, answer.content[:300]
    assert answer["X-Experience-API-Version"] == "1.0.3"
    if answer.status_code < 300 and not as_put:
        sid = answer.json()[0]
        for fmt in ("exact", "ids", "canonical"):
            got = lrs.call("GET", "statements?" + q(statementId=sid, format=fmt))
            assert got.status_code == 200
