"""xAPI 1.0.3 statement validation: what the LRS accepts and what it must refuse.

The cases follow the Data part of the specification and what the ADL LRS conformance
suite sends (written here from reading both, not copied). Two complete statements, one
about an Activity and one about a SubStatement, are taken apart mechanically: every
property set to null, every value given the wrong JSON type and every object given an
unknown property must be refused, with the error naming that exact place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inward.xapi.validation import (
    INTERACTION_TYPES,
    VOIDED_VERB,
    XapiValidationError,
    agent_ifi,
    is_uuid,
    reject_duplicate_keys,
    validate_agent_parameter,
    validate_statement,
    validate_statements_payload,
)

Statement = dict[str, Any]
Change = Callable[[Statement], object]

COURSE = "https://lms.example.com/courses/privacy-basics"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


def minimal() -> Statement:
    return {
        "actor": {"mbox": "mailto:anna@example.com"},
        "verb": {"id": COMPLETED},
        "object": {"id": COURSE},
    }


def agent(name: str = "anna") -> dict[str, Any]:
    return {"objectType": "Agent", "name": name.title(), "mbox": f"mailto:{name}@example.com"}


def full_activity_statement() -> Statement:
    """A statement using (nearly) every property the specification defines."""
    return {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {
            "objectType": "Group",
            "name": "Privacy champions",
            "account": {"homePage": "https://intranet.example.com", "name": "champions"},
            "member": [
                agent("anna"),
                {"account": {"homePage": "https://sso.example.com", "name": "E-1"}},
            ],
        },
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "nl": "voltooid"}},
        "object": {
            "objectType": "Activity",
            "id": COURSE,
            "definition": {
                "name": {"en-US": "Privacy basics"},
                "description": {"en-US": "Which data we keep, and why"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "https://lms.example.com/courses/privacy-basics/about",
                "interactionType": "choice",
                "correctResponsesPattern": ["golf[,]tetris"],
                "choices": [
                    {"id": "golf", "description": {"en-US": "Golf Example"}},
                    {"id": "tetris", "description": {"en-US": "Tetris Example"}},
                ],
                "extensions": {"https://example.com/ext/level": 2},
            },
        },
        "result": {
            "score": {"scaled": 0.85, "raw": 85, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "golf[,]tetris",
            "duration": "PT1H12M30.5S",
            "extensions": {"https://example.com/ext/attempt": 1},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": agent("bert"),
            "team": {"objectType": "Group", "name": "Team A", "member": [agent("carla")]},
            "contextActivities": {
                "parent": [{"id": "https://lms.example.com/programmes/onboarding"}],
                "grouping": [{"objectType": "Activity", "id": "https://lms.example.com/all"}],
                "category": {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"},
                "other": [{"id": "https://lms.example.com/other"}],
            },
            "revision": "2",
            "platform": "Moodle",
            "language": "nl-NL",
            "statement": {
                "objectType": "StatementRef",
                "id": "AA97B177-9383-4934-8543-0F91A7A02836",
            },
            "extensions": {"https://example.com/ext/session": "abc"},
        },
        "timestamp": "2026-11-25T03:30:41.765+01:00",
        "stored": "2026-11-25T02:30:42.001Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lms.example.com", "name": "lms"},
        },
        "version": "1.0.3",
        "attachments": [
            {
                "usageType": "http://adlnet.gov/expapi/attachments/signature",
                "display": {"en-US": "Certificate"},
                "description": {"en-US": "The completion certificate"},
                "contentType": "application/pdf",
                "length": 27,
                "sha2": SHA256,
                "fileUrl": "https://lms.example.com/certificates/1.pdf",
            }
        ],
    }


def full_substatement_statement() -> Statement:
    """A statement about a SubStatement that itself uses every property it may."""
    inner = full_activity_statement()
    for key in ("id", "stored", "authority", "version"):
        del inner[key]
    inner["objectType"] = "SubStatement"
    inner["actor"] = {
        "objectType": "Agent",
        "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
    }
    inner["verb"] = {"id": "http://adlnet.gov/expapi/verbs/reported"}
    return {
        "actor": {"openid": "https://openid.example.org/12345", "name": "Dora"},
        "verb": {"id": "http://example.com/verbs/planned", "display": {"en-GB": "planned"}},
        "object": inner,
        "context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"},
    }


FULL_STATEMENTS: dict[str, Callable[[], Statement]] = {
    "activity": full_activity_statement,
    "substatement": full_substatement_statement,
}


def with_change(change: Change, base: Callable[[], Statement] = minimal) -> Statement:
    statement = base()
    change(statement)
    return statement


def rejected(statement: object) -> XapiValidationError:
    with pytest.raises(XapiValidationError) as caught:
        validate_statement(statement)
    return caught.value


# --- walking the complete statements -----------------------------------------------------

Place = tuple[str, Any, Any]  # (path, container, key)


def places(value: Any, path: str = "statement") -> Iterator[Place]:
    """Every property and array item under ``value``, outside extension values."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        child_path = f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]"
        yield child_path, value, key
        if isinstance(child, dict | list) and key != "extensions":
            yield from places(child, child_path)


def place_cases(want: Callable[[Any], bool]) -> list[Any]:
    cases = []
    for name, build in FULL_STATEMENTS.items():
        for path, container, key in places(build()):
            if want(container[key]):
                cases.append(pytest.param(build, path, id=f"{name}:{path}"))
    return cases


def change_at(statement: Statement, path: str, new: Callable[[Any], Any]) -> None:
    for place_path, container, key in places(statement):
        if place_path == path:
            container[key] = new(container[key])
            return
    raise AssertionError(path)


def objects_of(build: Callable[[], Statement]) -> list[str]:
    statement = build()
    found = ["statement"]
    for path, container, key in places(statement):
        if isinstance(container[key], dict) and not path.endswith(".extensions"):
            found.append(path)
    return found


def test_the_complete_statements_are_valid() -> None:
    for build in FULL_STATEMENTS.values():
        validate_statement(build())


def test_validation_does_not_change_the_statement() -> None:
    statement = full_activity_statement()
    before = copy.deepcopy(statement)
    validate_statement(statement)
    assert statement == before


@pytest.mark.parametrize(("build", "path"), place_cases(lambda value: True))
def test_it_rejects_null_anywhere_outside_extension_values(
    build: Callable[[], Statement], path: str
) -> None:
    statement = build()
    change_at(statement, path, lambda old: None)
    assert rejected(statement).path == path


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return "not an array"
    return "not an object"


@pytest.mark.parametrize(("build", "path"), place_cases(lambda value: True))
def test_it_rejects_a_value_of_the_wrong_json_type(
    build: Callable[[], Statement], path: str
) -> None:
    statement = build()
    change_at(statement, path, _wrong_type)
    error = rejected(statement)
    assert error.path == path, str(error)


@pytest.mark.parametrize(
    ("build", "path"),
    [
        pytest.param(build, path, id=f"{name}:{path}")
        for name, build in FULL_STATEMENTS.items()
        for path in objects_of(build)
    ],
)
def test_it_rejects_an_unknown_property_in_any_object(
    build: Callable[[], Statement], path: str
) -> None:
    statement = build()
    if path == "statement":
        statement["bogusProperty"] = 1
    else:
        change_at(statement, path, lambda old: {**old, "bogusProperty": 1})
    assert rejected(statement).path == f"{path}.bogusProperty"


@pytest.mark.parametrize("key", sorted(full_activity_statement()))
def test_it_rejects_statement_properties_in_the_wrong_case(key: str) -> None:
    statement = full_activity_statement()
    statement[key.upper()] = statement.pop(key)
    assert rejected(statement).path == f"statement.{key.upper()}"


def test_the_message_names_the_path_and_the_problem() -> None:
    statement = with_change(lambda s: s["actor"].update(mbox="anna@example.com"))
    assert str(rejected(statement)) == "statement.actor.mbox: must start with 'mailto:'"


# --- what is accepted --------------------------------------------------------------------


def _set(path: str, value: Any) -> Change:
    def change(statement: Statement) -> None:
        *parents, last = path.split(".")
        target: Any = statement
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value

    return change


def _delete(path: str) -> Change:
    def change(statement: Statement) -> None:
        *parents, last = path.split(".")
        target: Any = statement
        for part in parents:
            target = target[part]
        del target[last]

    return change


def _all(*changes: Change) -> Change:
    def change(statement: Statement) -> None:
        for each in changes:
            each(statement)

    return change


STATEMENT_REF = {"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}
ANONYMOUS_GROUP = {"objectType": "Group", "member": [agent("anna"), agent("bert")]}

ACCEPTED: dict[str, Change] = {
    "the minimal statement": lambda s: None,
    "an agent by mbox_sha1sum": _set(
        "actor", {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"}
    ),
    "an agent by openid": _set("actor", {"openid": "http://openid.example.org/12345"}),
    "an agent by account": _set(
        "actor", {"account": {"homePage": "http://www.example.com", "name": "xAPI account name"}}
    ),
    "an agent with objectType Agent and a name": _set("actor", agent()),
    "an anonymous group actor": _set("actor", ANONYMOUS_GROUP),
    "an identified group without members": _set(
        "actor", {"objectType": "Group", "mbox": "mailto:team@example.com"}
    ),
    "an identified group with an empty member list": _set(
        "actor", {"objectType": "Group", "mbox": "mailto:team@example.com", "member": []}
    ),
    "an agent as object": _set(
        "object", {"objectType": "Agent", "mbox": "mailto:bert@example.com"}
    ),
    "a group as object": _set("object", ANONYMOUS_GROUP),
    "a statement reference as object": _set("object", STATEMENT_REF),
    "a voiding statement": _all(
        _set("verb", {"id": VOIDED_VERB, "display": {"en-US": "voided"}}),
        _set("object", STATEMENT_REF),
    ),
    "a definition without any property": _set("object.definition", {}),
    "an activity with objectType Activity": _set("object.objectType", "Activity"),
    "an empty language map": _set("verb.display", {}),
    "language tags of every shape": _set(
        "verb.display",
        {
            "en": "a",
            "en-US": "b",
            "tlh": "c",
            "zh-Hant-TW": "d",
            "sr-Latn-RS": "e",
            "es-419": "f",
            "de-CH-1996": "g",
            "sl-rozaj-biske": "h",
            "en-a-bbb-x-a-ccc": "i",
            "x-whatever": "j",
            "i-klingon": "k",
            "sgn-BE-FR": "l",
            "zh-min-nan": "m",
            "zh-yue-HK": "n",
            "EN-us": "o",
        },
    ),
    "an empty string in a language map": _set("verb.display", {"en-US": ""}),
    "extension values of any type, null included": _set(
        "result",
        {
            "extensions": {
                "http://example.com/a": None,
                "http://example.com/b": "",
                "http://example.com/c": {},
                "urn:x:d": [1, None],
            }
        },
    ),
    "empty extensions": _set("context", {"extensions": {}}),
    "a score without min and max": _set("result", {"score": {"raw": -5}}),
    "a scaled score of exactly -1 and 1": _set(
        "result", {"score": {"scaled": -1, "min": -1.5, "max": 1.5, "raw": 1.5}}
    ),
    "a raw score equal to min": _set("result", {"score": {"raw": 0, "min": 0, "max": 1}}),
    "a float raw score": _set(
        "result", {"score": {"raw": 0.6767676, "min": 0.12123434, "max": 45.45}}
    ),
    "success and completion false": _set("result", {"success": False, "completion": False}),
    "an empty response": _set("result", {"response": ""}),
    "a duration in weeks": _set("result", {"duration": "P4W"}),
    "a duration in seconds with a fraction": _set("result", {"duration": "PT16559.14S"}),
    "a duration with every part": _set("result", {"duration": "P3Y1M29DT4H35M59.14S"}),
    "a duration of years only": _set("result", {"duration": "P3Y"}),
    "a duration with a decimal comma": _set("result", {"duration": "PT0,5S"}),
    "a context activity given alone": _set(
        "context", {"contextActivities": {"parent": {"id": COURSE}}}
    ),
    "an empty context activity list": _set("context", {"contextActivities": {"other": []}}),
    "revision and platform about an activity without objectType": _set(
        "context", {"revision": "1", "platform": "web"}
    ),
    "a context team that is an identified group": _set(
        "context", {"team": {"objectType": "Group", "openid": "https://team.example.com"}}
    ),
    "a context instructor that is a group": _set("context", {"instructor": ANONYMOUS_GROUP}),
    "a UUID in upper case": _set("id", "AA97B177-9383-4934-8543-0F91A7A02836"),
    "a nil UUID": _set("id", "00000000-0000-0000-0000-000000000000"),
    "a timestamp in UTC": _set("timestamp", "2015-01-02T03:04:05Z"),
    "a timestamp with nanoseconds": _set("timestamp", "2015-01-02T03:04:05.123456789+05:30"),
    "a timestamp with a basic offset": _set("timestamp", "2008-09-15T15:53:00.601-0500"),
    "a timestamp with an hours-only offset": _set("timestamp", "2008-09-15T15:53:00.601+01"),
    "a timestamp with +00:00": _set("timestamp", "2008-09-15T15:53:00+00:00"),
    "a timestamp without an offset": _set("timestamp", "2008-09-15T15:53:00.601"),
    "a timestamp in basic format": _set("timestamp", "20080915T155300Z"),
    "a timestamp without seconds": _set("timestamp", "2008-09-15T15:53Z"),
    "a timestamp with a leap second": _set("timestamp", "2016-12-31T23:59:60Z"),
    "a timestamp in the future": _set("timestamp", "2999-01-01T00:00:00Z"),
    "version 1.0": _set("version", "1.0"),
    "version 1.0.0": _set("version", "1.0.0"),
    "version 1.0.9": _set("version", "1.0.9"),
    "version 1.0.10 with a pre-release label": _set("version", "1.0.10-rc.1+build.5"),
    "an authority agent": _set("authority", agent()),
    "an OAuth authority of two agents": _set("authority", ANONYMOUS_GROUP),
    "a stored timestamp": _set("stored", "2026-11-25T02:30:42.001Z"),
    "an attachment without fileUrl or description": _set(
        "attachments",
        [
            {
                "usageType": "http://example.com/u",
                "display": {"en-US": "x"},
                "contentType": "text/plain; charset=ascii",
                "length": 0,
                "sha2": SHA256,
            }
        ],
    ),
    "no attachments": _set("attachments", []),
    "IRIs with non-ASCII letters and escapes": _set(
        "object", {"id": "https://example.com/cursussen/privacy-%C3%A9/é"}
    ),
    "an IRN as verb": _set("verb", {"id": "urn:example:verbs:completed"}),
    "a SubStatement with attachments": _set(
        "object",
        {
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": {"id": COMPLETED},
            "object": STATEMENT_REF,
            "timestamp": "2026-01-01T00:00:00Z",
            "attachments": [],
        },
    ),
    "a SubStatement with the voided verb about an activity": _set(
        "object",
        {
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": {"id": VOIDED_VERB},
            "object": {"id": COURSE},
        },
    ),
    "unicode everywhere": _set(
        "verb", {"id": "http://example.com/verbs/完成", "display": {"zh-CN": "完成了 🎉"}}
    ),
}


@pytest.mark.parametrize("change", ACCEPTED.values(), ids=list(ACCEPTED))
def test_it_accepts(change: Change) -> None:
    validate_statement(with_change(change))


INTERACTIONS: dict[str, dict[str, Any]] = {
    "true-false": {"correctResponsesPattern": ["true"]},
    "choice": {
        "correctResponsesPattern": ["golf[,]tetris"],
        "choices": [{"id": "golf"}, {"id": "tetris"}],
    },
    "fill-in": {"correctResponsesPattern": ["Bob's your uncle"]},
    "long-fill-in": {
        "correctResponsesPattern": ["{case_matters=false}{lang=en}To store and provide access"]
    },
    "matching": {
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
        "source": [{"id": "ben", "description": {"en-US": "Ben"}}, {"id": "chris"}],
        "target": [{"id": "2"}, {"id": "3"}],
    },
    "performance": {
        "correctResponsesPattern": ["pong[.]1:[,]dg[.]10:20"],
        "steps": [{"id": "pong"}, {"id": "dg"}],
    },
    "sequencing": {"correctResponsesPattern": ["a[,]b"], "choices": [{"id": "a"}, {"id": "b"}]},
    "likert": {
        "correctResponsesPattern": ["likert_3"],
        "scale": [{"id": "likert_0"}, {"id": "likert_3"}],
    },
    "numeric": {"correctResponsesPattern": ["4[:]"]},
    "other": {"correctResponsesPattern": ["(35.937432,-86.868896)"]},
}


@pytest.mark.parametrize("interaction_type", sorted(INTERACTION_TYPES))
def test_it_accepts_each_interaction_type_with_its_components(interaction_type: str) -> None:
    definition = {"interactionType": interaction_type, **INTERACTIONS[interaction_type]}
    validate_statement(with_change(_set("object.definition", definition)))


@pytest.mark.parametrize("interaction_type", sorted(INTERACTION_TYPES))
def test_it_accepts_an_interaction_type_alone(interaction_type: str) -> None:
    validate_statement(
        with_change(_set("object.definition", {"interactionType": interaction_type}))
    )


@pytest.mark.parametrize(
    ("interaction_type", "components"),
    [
        (kind, key)
        for kind, allowed in INTERACTION_TYPES.items()
        for key in ("choices", "scale", "source", "target", "steps")
        if key not in allowed
    ],
)
def test_it_rejects_components_the_interaction_type_does_not_use(
    interaction_type: str, components: str
) -> None:
    definition = {"interactionType": interaction_type, components: [{"id": "a"}]}
    error = rejected(with_change(_set("object.definition", definition)))
    assert error.path == f"statement.object.definition.{components}"


@pytest.mark.parametrize("interaction_type", sorted(INTERACTIONS))
def test_it_rejects_interaction_properties_without_an_interaction_type(
    interaction_type: str,
) -> None:
    error = rejected(with_change(_set("object.definition", dict(INTERACTIONS[interaction_type]))))
    assert error.detail == "needs an interactionType"


# --- what is refused ---------------------------------------------------------------------

REJECTED: dict[str, tuple[Change, str]] = {
    "no actor": (_delete("actor"), "statement.actor"),
    "no verb": (_delete("verb"), "statement.verb"),
    "no object": (_delete("object"), "statement.object"),
    "an objectType on the statement": (_set("objectType", "Statement"), "statement.objectType"),
    "an agent without an identifier": (_set("actor", {"name": "Anna"}), "statement.actor"),
    "an agent with two identifiers": (
        _set("actor", {"mbox": "mailto:a@example.com", "openid": "http://openid.example.org/1"}),
        "statement.actor",
    ),
    "an agent whose objectType is in lower case": (
        _set("actor.objectType", "agent"),
        "statement.actor.objectType",
    ),
    "an actor that is an Activity": (
        _set("actor.objectType", "Activity"),
        "statement.actor.objectType",
    ),
    "an mbox that is an http IRI": (
        _set("actor.mbox", "http://should.fail.com"),
        "statement.actor.mbox",
    ),
    "an mbox without an address": (
        _set("actor.mbox", "mailto:should.fail.com"),
        "statement.actor.mbox",
    ),
    "an mbox with two addresses": (
        _set("actor.mbox", "mailto:a@example.com,b@example.com"),
        "statement.actor.mbox",
    ),
    "an empty mbox": (_set("actor.mbox", ""), "statement.actor.mbox"),
    "an mbox_sha1sum that is too short": (
        _set("actor", {"mbox_sha1sum": "ebd31e95"}),
        "statement.actor.mbox_sha1sum",
    ),
    "an mbox_sha1sum that is not hex": (
        _set("actor", {"mbox_sha1sum": "z" * 40}),
        "statement.actor.mbox_sha1sum",
    ),
    "an openid without a scheme": (
        _set("actor", {"openid": "open.id.com/testUser"}),
        "statement.actor.openid",
    ),
    "an account without a homePage": (
        _set("actor", {"account": {"name": "a"}}),
        "statement.actor.account.homePage",
    ),
    "an account without a name": (
        _set("actor", {"account": {"homePage": "http://a.example"}}),
        "statement.actor.account.name",
    ),
    "an account homePage without a scheme": (
        _set("actor", {"account": {"homePage": "homePage.com/testUser", "name": "123456"}}),
        "statement.actor.account.homePage",
    ),
    "an account homePage with a bad scheme": (
        _set("actor", {"account": {"homePage": "ab=c://should.fail.com", "name": "a"}}),
        "statement.actor.account.homePage",
    ),
    "an anonymous group without members": (
        _set("actor", {"objectType": "Group"}),
        "statement.actor.member",
    ),
    "an anonymous group with an empty member list": (
        _set("actor", {"objectType": "Group", "member": []}),
        "statement.actor.member",
    ),
    "a group whose member is not an array": (
        _set("actor", {"objectType": "Group", "member": agent()}),
        "statement.actor.member",
    ),
    "a group with a group as member": (
        _set("actor", {"objectType": "Group", "member": [ANONYMOUS_GROUP]}),
        "statement.actor.member[0].objectType",
    ),
    "a group member without an identifier": (
        _set("actor", {"objectType": "Group", "member": [{"name": "Anna"}]}),
        "statement.actor.member[0]",
    ),
    "a verb without id": (_set("verb", {"display": {"en-US": "did"}}), "statement.verb.id"),
    "a verb id without a scheme": (
        _set("verb.id", "adlnet.gov/expapi/verbs/completed"),
        "statement.verb.id",
    ),
    "a verb id with a space": (_set("verb.id", "http://example.com/a verb"), "statement.verb.id"),
    "a verb id with a bad percent escape": (
        _set("verb.id", "http://example.com/%zz"),
        "statement.verb.id",
    ),
    "an empty verb id": (_set("verb.id", ""), "statement.verb.id"),
    "a display that is a string": (_set("verb.display", "completed"), "statement.verb.display"),
    "a language tag that is too long": (
        _set("verb.display", {"a12345678": "x"}),
        "statement.verb.display.a12345678",
    ),
    "a language tag with digits in the language": (
        _set("verb.display", {"a12345": "x"}),
        "statement.verb.display.a12345",
    ),
    "a language tag with an empty subtag": (
        _set("verb.display", {"en--US": "x"}),
        "statement.verb.display.en--US",
    ),
    "a language tag with a trailing hyphen": (
        _set("verb.display", {"en-": "x"}),
        "statement.verb.display.en-",
    ),
    "a language tag with an underscore": (
        _set("verb.display", {"en_US": "x"}),
        "statement.verb.display.en_US",
    ),
    "an empty language tag": (_set("verb.display", {"": "x"}), "statement.verb.display."),
    "a word as language tag": (
        _set("verb.display", {"something": "x"}),
        "statement.verb.display.something",
    ),
    "an unknown object type": (
        _set("object.objectType", "activity"),
        "statement.object.objectType",
    ),
    "an activity without id": (_set("object", {"definition": {}}), "statement.object.id"),
    "an agent object without objectType": (
        _set("object", {"mbox": "mailto:b@example.com"}),
        "statement.object.mbox",
    ),
    "a definition that is a string": (
        _set("object.definition", "x"),
        "statement.object.definition",
    ),
    "a definition type that is not an IRI": (
        _set("object.definition", {"type": "meeting"}),
        "statement.object.definition.type",
    ),
    "a moreInfo that is not an IRL": (
        _set("object.definition", {"moreInfo": "should fail"}),
        "statement.object.definition.moreInfo",
    ),
    "an unknown interactionType": (
        _set("object.definition", {"interactionType": "essay"}),
        "statement.object.definition.interactionType",
    ),
    "an interactionType in the wrong case": (
        _set("object.definition", {"interactionType": "true-False"}),
        "statement.object.definition.interactionType",
    ),
    "a correctResponsesPattern that is a string": (
        _set("object.definition", {"interactionType": "fill-in", "correctResponsesPattern": "x"}),
        "statement.object.definition.correctResponsesPattern",
    ),
    "a correct response that is a number": (
        _set("object.definition", {"interactionType": "numeric", "correctResponsesPattern": [4]}),
        "statement.object.definition.correctResponsesPattern[0]",
    ),
    "an interaction component without id": (
        _set(
            "object.definition",
            {"interactionType": "choice", "choices": [{"description": {"en": "a"}}]},
        ),
        "statement.object.definition.choices[0].id",
    ),
    "interaction components with the same id": (
        _set(
            "object.definition", {"interactionType": "likert", "scale": [{"id": "a"}, {"id": "a"}]}
        ),
        "statement.object.definition.scale[1].id",
    ),
    "an extension key that is not an IRI": (
        _set("object.definition", {"extensions": {"should fail": True}}),
        "statement.object.definition.extensions.should fail",
    ),
    "extensions that are a string": (
        _set("result", {"extensions": "x"}),
        "statement.result.extensions",
    ),
    "a statement reference without id": (
        _set("object", {"objectType": "StatementRef"}),
        "statement.object.id",
    ),
    "a statement reference with a bad id": (
        _set(
            "object", {"objectType": "StatementRef", "id": "AA97B177-9383-4934-8543-0F91A7A028368"}
        ),
        "statement.object.id",
    ),
    "a statement reference with a definition": (
        _set("object", {**STATEMENT_REF, "definition": {}}),
        "statement.object.definition",
    ),
    "a voiding statement about an activity": (_set("verb.id", VOIDED_VERB), "statement.object"),
    "a SubStatement with an id": (
        _set(
            "object",
            {
                "objectType": "SubStatement",
                "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
                **minimal(),
            },
        ),
        "statement.object.id",
    ),
    "a SubStatement with stored": (
        _set(
            "object", {"objectType": "SubStatement", "stored": "2026-01-01T00:00:00Z", **minimal()}
        ),
        "statement.object.stored",
    ),
    "a SubStatement with a version": (
        _set("object", {"objectType": "SubStatement", "version": "1.0.0", **minimal()}),
        "statement.object.version",
    ),
    "a SubStatement with an authority": (
        _set("object", {"objectType": "SubStatement", "authority": agent(), **minimal()}),
        "statement.object.authority",
    ),
    "a SubStatement without an actor": (
        _set(
            "object",
            {"objectType": "SubStatement", "verb": {"id": COMPLETED}, "object": {"id": COURSE}},
        ),
        "statement.object.actor",
    ),
    "a SubStatement inside a SubStatement": (
        _set(
            "object",
            {
                "objectType": "SubStatement",
                **minimal(),
                "object": {"objectType": "SubStatement", **minimal()},
            },
        ),
        "statement.object.object.objectType",
    ),
    "a scaled score above 1": (
        _set("result", {"score": {"scaled": 1.01}}),
        "statement.result.score.scaled",
    ),
    "a scaled score below -1": (
        _set("result", {"score": {"scaled": -1.00001}}),
        "statement.result.score.scaled",
    ),
    "a raw score above max": (
        _set("result", {"score": {"raw": 0.68, "min": 0, "max": 0.65}}),
        "statement.result.score.raw",
    ),
    "a raw score below min": (
        _set("result", {"score": {"raw": 0.68, "min": 1.4, "max": 100}}),
        "statement.result.score.raw",
    ),
    "a min above max": (
        _set("result", {"score": {"min": 104.6, "max": 100.6}}),
        "statement.result.score.min",
    ),
    "a min equal to max": (
        _set("result", {"score": {"min": 5, "max": 5}}),
        "statement.result.score.min",
    ),
    "a score given as a number": (_set("result", {"score": 12345}), "statement.result.score"),
    "a raw score given as a string": (
        _set("result", {"score": {"raw": "95"}}),
        "statement.result.score.raw",
    ),
    "a raw score given as a boolean": (
        _set("result", {"score": {"raw": True}}),
        "statement.result.score.raw",
    ),
    "a raw score that is not finite": (
        _set("result", {"score": {"raw": float("nan")}}),
        "statement.result.score.raw",
    ),
    "success as the string true": (_set("result", {"success": "true"}), "statement.result.success"),
    "completion as the number 1": (
        _set("result", {"completion": 1}),
        "statement.result.completion",
    ),
    "a response that is a number": (
        _set("result", {"response": 12345}),
        "statement.result.response",
    ),
    "a duration with a bad designator": (
        _set("result", {"duration": "PA1H0M0S"}),
        "statement.result.duration",
    ),
    "a duration mixing weeks and days": (
        _set("result", {"duration": "P4W1D"}),
        "statement.result.duration",
    ),
    "a duration that is only P": (_set("result", {"duration": "P"}), "statement.result.duration"),
    "a duration with an empty time part": (
        _set("result", {"duration": "P1DT"}),
        "statement.result.duration",
    ),
    "a duration in the alternative format": (
        _set("result", {"duration": "P0003-01-02T04:05:06"}),
        "statement.result.duration",
    ),
    "a duration as a number": (_set("result", {"duration": 3600}), "statement.result.duration"),
    "a registration that is not a UUID": (
        _set("context", {"registration": "should fail"}),
        "statement.context.registration",
    ),
    "a registration with a non-hex letter": (
        _set("context", {"registration": "MA97B177-9383-4934-8543-0F91A7A02836"}),
        "statement.context.registration",
    ),
    "a UUID without hyphens": (_set("id", "aa97b17793834934854" + "30f91a7a02836"), "statement.id"),
    "a UUID in braces": (_set("id", "{AA97B177-9383-4934-8543-0F91A7A02836}"), "statement.id"),
    "an instructor that is a string": (
        _set("context", {"instructor": "Bert"}),
        "statement.context.instructor",
    ),
    "a team that is an agent": (
        _set("context", {"team": agent()}),
        "statement.context.team.objectType",
    ),
    "a team group without objectType": (
        _set("context", {"team": {"member": [agent()]}}),
        "statement.context.team.objectType",
    ),
    "an unknown context activity key": (
        _set("context", {"contextActivities": {"consequences": [{"id": COURSE}]}}),
        "statement.context.contextActivities.consequences",
    ),
    "a context activity that is an agent": (
        _set(
            "context",
            {"contextActivities": {"parent": [{"objectType": "Agent", "mbox": "mailto:a@b.c"}]}},
        ),
        "statement.context.contextActivities.parent[0].objectType",
    ),
    "a context activity without id": (
        _set("context", {"contextActivities": {"grouping": {"definition": {}}}}),
        "statement.context.contextActivities.grouping.id",
    ),
    "contextActivities as a string": (
        _set("context", {"contextActivities": "x"}),
        "statement.context.contextActivities",
    ),
    "a revision as a number": (_set("context", {"revision": 2}), "statement.context.revision"),
    "a revision about an agent": (
        _all(
            _set("object", {"objectType": "Agent", "mbox": "mailto:b@example.com"}),
            _set("context", {"revision": "2"}),
        ),
        "statement.context.revision",
    ),
    "a platform about a statement reference": (
        _all(_set("object", STATEMENT_REF), _set("context", {"platform": "web"})),
        "statement.context.platform",
    ),
    "a platform about a SubStatement": (
        _all(
            _set("object", {"objectType": "SubStatement", **minimal()}),
            _set("context", {"platform": "web"}),
        ),
        "statement.context.platform",
    ),
    "a context language that is not a tag": (
        _set("context", {"language": "English please"}),
        "statement.context.language",
    ),
    "a context statement that is an activity": (
        _set("context", {"statement": {"id": COURSE}}),
        "statement.context.statement.objectType",
    ),
    "a timestamp that is words": (_set("timestamp", "should fail"), "statement.timestamp"),
    "a timestamp in US format": (_set("timestamp", "01/011/2015"), "statement.timestamp"),
    "a timestamp that is a date only": (_set("timestamp", "2015-01-02"), "statement.timestamp"),
    "a timestamp with a space for T": (
        _set("timestamp", "2015-01-02 03:04:05Z"),
        "statement.timestamp",
    ),
    "a timestamp with the -00 offset": (
        _set("timestamp", "2008-09-15T15:53:00.601-00"),
        "statement.timestamp",
    ),
    "a timestamp with the -0000 offset": (
        _set("timestamp", "2008-09-15T15:53:00.601-0000"),
        "statement.timestamp",
    ),
    "a timestamp with the -00:00 offset": (
        _set("timestamp", "2008-09-15T15:53:00.601-00:00"),
        "statement.timestamp",
    ),
    "a timestamp on 30 February": (
        _set("timestamp", "2015-02-30T03:04:05Z"),
        "statement.timestamp",
    ),
    "a timestamp at hour 25": (_set("timestamp", "2015-01-02T25:04:05Z"), "statement.timestamp"),
    "a timestamp with an offset of 24 hours": (
        _set("timestamp", "2015-01-02T03:04:05+24:00"),
        "statement.timestamp",
    ),
    "a timestamp as milliseconds": (_set("timestamp", 1420167845000), "statement.timestamp"),
    "a stored that is not a timestamp": (_set("stored", "yesterday"), "statement.stored"),
    "version 0.9.9": (_set("version", "0.9.9"), "statement.version"),
    "version 1.1.0": (_set("version", "1.1.0"), "statement.version"),
    "version 2.0.0": (_set("version", "2.0.0"), "statement.version"),
    "version 1.0.": (_set("version", "1.0."), "statement.version"),
    "version 1.0.x in letters": (_set("version", "1.0.x"), "statement.version"),
    "version 1.00": (_set("version", "1.00"), "statement.version"),
    "version as a number": (_set("version", 1.0), "statement.version"),
    "an authority without an identifier": (
        _set("authority", {"name": "LMS"}),
        "statement.authority",
    ),
    "an authority that is an identified group": (
        _set("authority", {**ANONYMOUS_GROUP, "mbox": "mailto:g@example.com"}),
        "statement.authority",
    ),
    "an authority group of one agent": (
        _set("authority", {"objectType": "Group", "member": [agent()]}),
        "statement.authority.member",
    ),
    "an authority group of three agents": (
        _set("authority", {"objectType": "Group", "member": [agent("a"), agent("b"), agent("c")]}),
        "statement.authority.member",
    ),
    "an authority that is an activity": (
        _set("authority", {"objectType": "Activity", "id": COURSE}),
        "statement.authority.objectType",
    ),
    "attachments that are an object": (
        _set("attachments", {"usageType": "http://example.com/u"}),
        "statement.attachments",
    ),
}


def _attachment(**changes: Any) -> list[dict[str, Any]]:
    attachment: dict[str, Any] = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": SHA256,
    }
    attachment.update(changes)
    return [{key: value for key, value in attachment.items() if value is not ...}]


for _key in ("usageType", "display", "contentType", "length", "sha2"):
    REJECTED[f"an attachment without {_key}"] = (
        _set("attachments", _attachment(**{_key: ...})),
        f"statement.attachments[0].{_key}",
    )
REJECTED.update(
    {
        "an attachment usageType that is not an IRI": (
            _set("attachments", _attachment(usageType="should fail")),
            "statement.attachments[0].usageType",
        ),
        "an attachment length that is a string": (
            _set("attachments", _attachment(length="27")),
            "statement.attachments[0].length",
        ),
        "an attachment length with a fraction": (
            _set("attachments", _attachment(length=27.5)),
            "statement.attachments[0].length",
        ),
        "a negative attachment length": (
            _set("attachments", _attachment(length=-1)),
            "statement.attachments[0].length",
        ),
        "a sha2 that is not hex": (
            _set("attachments", _attachment(sha2="should fail")),
            "statement.attachments[0].sha2",
        ),
        "a contentType that is not a media type": (
            _set("attachments", _attachment(contentType="plain text")),
            "statement.attachments[0].contentType",
        ),
        "a fileUrl without a scheme": (
            _set("attachments", _attachment(fileUrl="should fail")),
            "statement.attachments[0].fileUrl",
        ),
        "an attachment display with a bad tag": (
            _set("attachments", _attachment(display={"en-US": "a", "something": "b"})),
            "statement.attachments[0].display.something",
        ),
    }
)


@pytest.mark.parametrize(("change", "path"), REJECTED.values(), ids=list(REJECTED))
def test_it_rejects(change: Change, path: str) -> None:
    assert rejected(with_change(change)).path == path


@pytest.mark.parametrize("value", [None, "statement", 12, ["a"], True])
def test_it_rejects_a_statement_that_is_not_an_object(value: object) -> None:
    assert rejected(value).path == "statement"


# --- POST bodies -------------------------------------------------------------------------


def test_a_single_statement_is_returned_as_a_list_of_one() -> None:
    statement = minimal()
    assert validate_statements_payload(statement) == [statement]


def test_an_array_of_statements_is_returned_as_it_is() -> None:
    batch = [minimal(), full_activity_statement()]
    assert validate_statements_payload(batch) is batch


def test_an_empty_array_is_accepted_and_holds_nothing() -> None:
    assert validate_statements_payload([]) == []


def test_an_error_in_a_batch_names_the_statement_by_position() -> None:
    batch = [minimal(), minimal(), with_change(_set("verb.id", "no scheme"))]
    with pytest.raises(XapiValidationError) as caught:
        validate_statements_payload(batch)
    assert caught.value.path == "statements[2].verb.id"


@pytest.mark.parametrize("payload", [None, "x", 3, [minimal(), "x"], [[minimal()]]])
def test_a_body_that_is_not_statements_is_rejected(payload: object) -> None:
    with pytest.raises(XapiValidationError):
        validate_statements_payload(payload)


def test_json_with_a_repeated_key_is_rejected() -> None:
    body = (
        '{"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": "http://a.b/v", "id": "http://a.b/w"}}'
    )
    with pytest.raises(XapiValidationError, match="more than once"):
        json.loads(body, object_pairs_hook=reject_duplicate_keys)
    assert json.loads('{"a": {"b": 1}}', object_pairs_hook=reject_duplicate_keys) == {"a": {"b": 1}}


# --- the agent parameter and identifiers -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"mbox": "mailto:anna@example.com"}',
        '{"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "a"}}',
        '{"objectType": "Group", "openid": "http://openid.example.org/1"}',
        '{"objectType": "Group", "mbox": "mailto:t@example.com",'
        ' "member": [{"mbox": "mailto:a@example.com"}]}',
    ],
)
def test_the_agent_parameter_accepts_an_agent_or_identified_group(text: str) -> None:
    assert validate_agent_parameter(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "mailto:anna@example.com",
        "{",
        "[]",
        '{"name": "Anna"}',
        '{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}',
        '{"mbox": "mailto:a@example.com", "openid": "http://openid.example.org/1"}',
        '{"mbox": "anna@example.com"}',
        '{"objectType": "Activity", "id": "http://example.com/a"}',
        '{"mbox": "mailto:a@example.com", "mbox": "mailto:b@example.com"}',
        '{"mbox": "mailto:a@example.com", "extra": 1}',
    ],
)
def test_the_agent_parameter_refuses_anything_else(text: str) -> None:
    with pytest.raises(XapiValidationError) as caught:
        validate_agent_parameter(text)
    assert caught.value.path.startswith("agent")


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ({"mbox": "mailto:anna@example.com"}, "mbox:mailto:anna@example.com"),
        (
            {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
            "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        ),
        ({"openid": "http://openid.example.org/1"}, "openid:http://openid.example.org/1"),
        (
            {"account": {"homePage": "https://sso.example.com", "name": "E-1"}},
            "account:https://sso.example.com|E-1",
        ),
        (
            {"objectType": "Group", "mbox": "mailto:t@example.com", "member": []},
            "mbox:mailto:t@example.com",
        ),
        (ANONYMOUS_GROUP, None),
    ],
)
def test_agent_ifi_gives_one_canonical_string(actor: dict[str, Any], expected: str | None) -> None:
    assert agent_ifi(actor) == expected


@given(st.text(max_size=40))
def test_a_statement_with_any_string_for_a_uuid_is_accepted_only_if_it_is_one(text: str) -> None:
    statement = with_change(_set("id", text))
    if is_uuid(text):
        validate_statement(statement)
    else:
        assert rejected(statement).path == "statement.id"
