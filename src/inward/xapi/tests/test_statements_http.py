"""The Statements and About resources over real HTTP (urllib against ``live_server``)."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import pytest

from inward.xapi.clients import client_set_enabled, create_client
from inward.xapi.models import Statement
from inward.xapi.tests.statements_http import Lrs, new_id, statement

pytestmark = pytest.mark.django_db(transaction=True)

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COURSE = "http://example.com/courses/onboarding"


@pytest.fixture
def lrs(live_server: Any) -> Lrs:
    client, secret = create_client(name="Moodle")
    return Lrs(base=live_server.url + "/xapi", key=client.key, secret=secret)


def ids_of(answer: Any) -> list[str]:
    return [s["id"] for s in answer.json()["statements"]]


def q(**params: Any) -> str:
    return urllib.parse.urlencode(
        {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    )


def test_it_stores_a_posted_batch_and_answers_with_the_ids_in_order(lrs: Lrs) -> None:
    given = [statement(id=new_id()), statement(), statement(id=new_id())]
    answer = lrs.post(given)
    assert answer.status == 200
    ids = answer.json()
    assert len(ids) == 3
    assert ids[0] == given[0]["id"] and ids[2] == given[2]["id"]
    assert answer.headers["X-Experience-API-Version"] == "1.0.3"
    assert answer.headers["X-Experience-API-Consistent-Through"]
    stored = lrs.get(f"statementId={ids[1]}").json()
    assert stored["id"] == ids[1]
    assert stored["version"] == "1.0.0"
    assert stored["authority"]["account"]["name"] == lrs.key
    assert stored["timestamp"] == stored["stored"]
    assert stored["stored"].endswith("Z")


def test_a_put_is_accepted_again_when_the_same_but_refused_when_different(lrs: Lrs) -> None:
    sid = new_id()
    assert lrs.put(statement(), sid).status == 204
    assert lrs.put(statement(), sid).status == 204
    changed = statement(verb="http://adlnet.gov/expapi/verbs/failed")
    assert lrs.put(changed, sid).status == 409
    assert lrs.post([{**changed, "id": sid}]).status == 409
    assert lrs.get(f"statementId={sid}").json()["verb"]["id"].endswith("/completed")
    assert Statement.objects.filter(id=sid).count() == 1


def test_a_put_needs_a_statement_id_that_matches_the_body(lrs: Lrs) -> None:
    body = json.dumps(statement()).encode()
    headers = {"Content-Type": "application/json"}
    assert lrs.request("PUT", "/statements", body=body, headers=headers).status == 400
    assert lrs.put(statement(id=new_id()), new_id()).status == 400


def test_one_bad_statement_stores_none_of_the_batch(lrs: Lrs) -> None:
    good = statement(id=new_id())
    bad = statement(verb="not an iri")
    answer = lrs.post([good, bad])
    assert answer.status == 400
    assert "verb" in answer.json()["error"]["message"]
    assert not Statement.objects.exists()


def test_every_request_needs_a_1_0_version_header_except_about(lrs: Lrs) -> None:
    missing = lrs.get(version=False)
    assert missing.status == 400
    assert missing.headers["X-Experience-API-Version"] == "1.0.3"
    assert missing.headers["X-Experience-API-Consistent-Through"]
    assert lrs.get(headers={"X-Experience-API-Version": "0.95"}).status == 400
    assert lrs.get(headers={"X-Experience-API-Version": "1.0"}).status == 200
    about = lrs.request("GET", "/about", version=False, auth=False)
    assert about.status == 200
    assert "1.0.3" in about.json()["version"]


def test_a_client_must_sign_in_and_be_switched_on(lrs: Lrs) -> None:
    anonymous = lrs.get(auth=False)
    assert anonymous.status == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="xapi"'
    wrong = Lrs(base=lrs.base, key=lrs.key, secret="not-the-secret")
    assert wrong.get().status == 401
    from inward.xapi.models import LrsClient

    client_set_enabled(client=LrsClient.objects.get(key=lrs.key), enabled=False, actor=None)
    assert lrs.get().status == 403
    assert lrs.post(statement()).status == 403


def test_more_pages_stay_stable_while_statements_arrive(lrs: Lrs) -> None:
    verb = "http://example.com/verbs/paged"
    sent = [statement(id=new_id(), verb=verb) for _ in range(5)]
    for one in sent:  # one by one, so each has its own stored time
        assert lrs.post(one).status == 200
    first = lrs.get(q(verb=verb, limit=2))
    assert ids_of(first) == [sent[4]["id"], sent[3]["id"]]
    more = first.json()["more"]
    assert more.startswith("/xapi/statements/more/")
    lrs.post(statement(id=new_id(), verb=verb))  # arrives between the pages
    origin = lrs.base.removesuffix("/xapi")
    second = lrs.request("GET", origin + more)
    assert ids_of(second) == [sent[2]["id"], sent[1]["id"]]
    third = lrs.request("GET", origin + second.json()["more"])
    assert ids_of(third) == [sent[0]["id"]]
    assert third.json()["more"] == ""
    ascending = lrs.get(q(verb=verb, ascending="true", limit=3))
    assert ids_of(ascending) == [s["id"] for s in sent[:3]]


def test_voided_statements_leave_lists_but_statements_about_them_stay(lrs: Lrs) -> None:
    verb = "http://example.com/verbs/to-void"
    voided_id, voiding_id, ref_id = new_id(), new_id(), new_id()
    lrs.post(statement(id=voided_id, verb=verb))
    voiding = statement(id=voiding_id, verb=VOIDED)
    voiding["object"] = {"objectType": "StatementRef", "id": voided_id}
    assert lrs.post(voiding).status == 200
    ref = statement(id=ref_id, verb=verb)
    ref["object"] = {"objectType": "StatementRef", "id": voided_id}
    lrs.post(ref)
    assert lrs.get(f"statementId={voided_id}").status == 404
    assert lrs.get(f"voidedStatementId={voided_id}").json()["id"] == voided_id
    assert lrs.get(f"voidedStatementId={ref_id}").status == 404
    # The voiding statement and the reference are found by the voided one's verb.
    assert ids_of(lrs.get(q(verb=verb))) == [ref_id, voiding_id]
    void_the_voiding = statement(verb=VOIDED)
    void_the_voiding["object"] = {"objectType": "StatementRef", "id": voiding_id}
    assert lrs.post(void_the_voiding).status == 400
    assert Statement.objects.get(id=voided_id).voided


def test_the_filters_find_what_the_specification_says(lrs: Lrs) -> None:
    registration = new_id()
    tag = new_id()
    activity = f"http://example.com/act/{tag}"
    parent = f"http://example.com/parent/{tag}"
    other_agent = {"mbox": f"mailto:{tag}@example.com"}
    direct = statement(id=new_id(), activity=activity)
    direct["context"] = {
        "registration": registration,
        "instructor": other_agent,
        "contextActivities": {"parent": [{"id": parent}]},
    }
    unrelated = statement(id=new_id(), mbox="mailto:someone-else@example.com")
    lrs.post([direct, unrelated])
    assert ids_of(lrs.get(q(activity=activity))) == [direct["id"]]
    assert ids_of(lrs.get(q(activity=parent))) == []
    assert ids_of(lrs.get(q(activity=parent, related_activities="true"))) == [direct["id"]]
    assert ids_of(lrs.get(q(agent=other_agent))) == []
    assert ids_of(lrs.get(q(agent=other_agent, related_agents="true"))) == [direct["id"]]
    assert ids_of(lrs.get(q(registration=registration))) == [direct["id"]]
    learner = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
    assert ids_of(lrs.get(q(agent=learner))) == [direct["id"]]
    stored = lrs.get(f"statementId={direct['id']}").json()["stored"]
    assert direct["id"] in ids_of(lrs.get(q(until=stored)))
    assert direct["id"] not in ids_of(lrs.get(q(since=stored)))


def test_parameters_are_checked(lrs: Lrs) -> None:
    sid = new_id()
    lrs.put(statement(), sid)
    assert lrs.get("unknown=1").status == 400
    assert lrs.get("Verb=http://x.example").status == 400  # names are case-sensitive
    assert lrs.get(f"statementId={sid}&verb=http://x.example").status == 400
    assert lrs.get(f"statementId={sid}&format=ids&attachments=false").status == 200
    assert lrs.get("limit=-1").status == 400
    assert lrs.get("format=full").status == 400
    assert lrs.get("agent=" + urllib.parse.quote('{"name": "no id"}')).status == 400
    assert lrs.get("since=yesterday").status == 400
    assert lrs.get(f"statementId={new_id()}").status == 404


def test_formats_ids_and_canonical(lrs: Lrs) -> None:
    sid = new_id()
    lrs.put(statement(), sid)
    ids = lrs.get(f"statementId={sid}&format=ids").json()
    assert ids["actor"] == {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
    assert ids["object"] == {"id": "http://example.com/courses/onboarding"}
    assert ids["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}
    dutch = lrs.get(f"statementId={sid}&format=canonical", headers={"Accept-Language": "nl"})
    assert dutch.json()["verb"]["display"] == {"nl-NL": "voltooide"}
    assert dutch.json()["object"]["definition"]["name"] == {"nl-NL": "Inwerken"}
    assert dutch.json()["actor"]["name"] == "A Learner"
    exact = lrs.get(f"statementId={sid}", headers={"Accept-Language": "nl"}).json()
    assert set(exact["verb"]["display"]) == {"en-US", "nl-NL"}


def test_head_answers_like_get_without_a_body(lrs: Lrs) -> None:
    lrs.post(statement())
    answer = lrs.request("HEAD", "/statements")
    assert answer.status == 200
    assert answer.body == b""
    assert answer.headers["X-Experience-API-Consistent-Through"]


def test_the_alternate_request_syntax_carries_headers_in_the_form(lrs: Lrs) -> None:
    sid = new_id()
    form = urllib.parse.urlencode(
        {
            "statementId": sid,
            "content": json.dumps(statement()),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            **lrs.auth(),
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    put = lrs.request(
        "POST", "/statements?method=PUT", body=form, headers=headers, auth=False, version=False
    )
    assert put.status == 204
    get_form = urllib.parse.urlencode({"statementId": sid}).encode()
    got = lrs.request("POST", "/statements?method=GET", body=get_form, headers=headers)
    assert got.json()["id"] == sid
    extra = lrs.request(
        "POST", f"/statements?method=GET&statementId={sid}", body=b"", headers=headers
    )
    assert extra.status == 400
    assert lrs.request("PUT", "/statements?method=PUT", body=form, headers=headers).status == 400


def test_cors_preflight_needs_no_credentials(lrs: Lrs) -> None:
    answer = lrs.request("OPTIONS", "/statements", auth=False, version=False)
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Version" in answer.headers["Access-Control-Allow-Headers"]


def test_a_statement_about_a_known_person_becomes_an_event_until_voided(lrs: Lrs) -> None:
    from inward.analytics.models import EngagementEvent
    from inward.directory.models import Person
    from inward.learning.models import Offering

    person = Person.objects.create(email="ann.smit@example.com", external_id="E-1001")
    course = Offering.objects.create(
        slug="onboarding", title="Onboarding", kind="course", activity_id=COURSE
    )
    sid = new_id()
    known = statement(mbox="mailto:Ann.Smit@example.com", activity=COURSE)
    assert lrs.put(known, sid).status == 204
    stranger = statement(mbox="mailto:nobody@example.com", activity=COURSE)
    assert lrs.post(stranger).status == 200
    row = Statement.objects.get(id=sid)
    assert (row.person_id, row.offering_id) == (person.pk, course.pk)
    assert list(EngagementEvent.objects.values_list("statement_id", flat=True)) == [row.id]
    voiding = statement(verb=VOIDED)
    voiding["object"] = {"objectType": "StatementRef", "id": sid}
    assert lrs.post(voiding).status == 200
    assert not EngagementEvent.objects.exists()
    again = statement(mbox="mailto:ann.smit@example.com", activity=COURSE, id=new_id())
    void_again = statement(verb=VOIDED)
    void_again["object"] = {"objectType": "StatementRef", "id": again["id"]}
    assert lrs.post([again, void_again]).status == 200
    assert not EngagementEvent.objects.exists()
    assert Statement.objects.get(id=again["id"]).voided


def test_many_statements_in_one_batch_are_all_stored(lrs: Lrs) -> None:
    started = time.monotonic()
    batch = [statement(activity=f"http://example.com/a/{i}") for i in range(250)]
    answer = lrs.post(batch)
    assert answer.status == 200
    assert len(set(answer.json())) == 250
    assert Statement.objects.count() == 250
    assert len(ids_of(lrs.get("limit=0"))) == 250
    assert time.monotonic() - started < 30


def test_rows_written_with_their_own_seq_do_not_block_new_statements(lrs: Lrs) -> None:
    from django.utils import timezone

    from inward.xapi.storage import next_statement_seqs

    now = timezone.now()
    for seq in (1, 2, 3):  # as a fixture or an import might write them
        data = statement(id=new_id())
        Statement.objects.create(
            id=data["id"], seq=seq, stored=now, timestamp=now, data=data, verb_id="x"
        )
    answer = lrs.post([statement(), statement()])
    assert answer.status == 200
    new_seqs = sorted(Statement.objects.values_list("seq", flat=True))[3:]
    assert len(new_seqs) == 2 and new_seqs[0] > 3
    assert next_statement_seqs(2)[0] > new_seqs[1]


def test_concurrent_batches_are_all_stored_once(lrs: Lrs) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor == "sqlite":
        # pytest-django's SQLite test database is in memory with a cache shared between
        # threads, which answers "table is locked" instead of waiting. A file database,
        # as deployed (WAL, IMMEDIATE transactions), serialises the writers.
        pytest.skip("needs a file or server database for concurrent writers")
    shared = [statement(id=new_id()) for _ in range(5)]  # every client sends these too
    batches = [shared + [statement(id=new_id()) for _ in range(20)] for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lrs.post, batches))
    assert [a.status for a in answers] == [200, 200, 200, 200]
    assert Statement.objects.count() == 5 + 4 * 20
    seqs = list(Statement.objects.values_list("seq", flat=True))
    assert len(set(seqs)) == len(seqs)
