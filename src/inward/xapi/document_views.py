"""The document resources (State, Activity Profile, Agent Profile) and the Activities and
Agents resources under ``/xapi/`` (xAPI 1.0.3, Communication 2.2 to 2.7)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from django.utils.http import http_date

from inward.xapi.documents import (
    Preconditions,
    Scope,
    document_delete,
    document_get,
    document_ids,
    document_put,
)
from inward.xapi.models import Document, LrsClient, Statement, StatementIndexEntry
from inward.xapi.protocol import LrsError, LrsRequest, json_response
from inward.xapi.query import index_key, parse_agent, parse_statement_id, parse_time
from inward.xapi.validation import MEDIA_TYPE_RE, is_iri
from inward.xapi.views import lrs_endpoint, strip_for_head

ACTIVITY_SOURCES = 500  # statements read to describe one activity


@lrs_endpoint(statements=False)
def state(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    params = lrs.param_dict({"activityId", "agent", "registration", "stateId", "since"})
    scope = Scope(
        kind=Document.Kind.STATE,
        activity_id=_activity_id(params),
        agent=_agent(params),
        registration=_registration(params),
    )
    return _document_resource(lrs, client, scope, params, "stateId")


@lrs_endpoint(statements=False)
def activity_profile(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    params = lrs.param_dict({"activityId", "profileId", "since"})
    scope = Scope(kind=Document.Kind.ACTIVITY_PROFILE, activity_id=_activity_id(params))
    return _document_resource(lrs, client, scope, params, "profileId")


@lrs_endpoint(statements=False)
def agent_profile(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    params = lrs.param_dict({"agent", "profileId", "since"})
    scope = Scope(kind=Document.Kind.AGENT_PROFILE, agent=_agent(params))
    return _document_resource(lrs, client, scope, params, "profileId")


@lrs_endpoint(statements=False)
def activities(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    if lrs.method not in ("GET", "HEAD"):
        raise LrsError(405, "The activities resource is read with GET.")
    activity_id = _activity_id(lrs.param_dict({"activityId"}))
    return strip_for_head(lrs, json_response(describe_activity(activity_id)))


@lrs_endpoint(statements=False)
def agents(lrs: LrsRequest, client: LrsClient) -> HttpResponse:
    if lrs.method not in ("GET", "HEAD"):
        raise LrsError(405, "The agents resource is read with GET.")
    agent = _agent(lrs.param_dict({"agent"}))
    person: dict[str, Any] = {"objectType": "Person"}
    if agent.get("name"):
        person["name"] = [agent["name"]]
    for ifi in ("mbox", "mbox_sha1sum", "openid", "account"):
        if ifi in agent:
            person[ifi] = [agent[ifi]]
    return strip_for_head(lrs, json_response(person))


# --- shared ----------------------------------------------------------------------------


def _document_resource(
    lrs: LrsRequest, client: LrsClient, scope: Scope, params: dict[str, str], id_name: str
) -> HttpResponse:
    document_id = params.get(id_name)
    pre = Preconditions(lrs.header("if-match"), lrs.header("if-none-match"))
    if lrs.method in ("GET", "HEAD"):
        return strip_for_head(lrs, _read(scope, document_id, params.get("since")))
    if lrs.method == "DELETE":
        if document_id is None and scope.needs_precondition:
            raise LrsError(400, f"DELETE needs a {id_name} parameter.")
        document_delete(scope=scope, document_id=document_id, pre=pre)
        return HttpResponse(status=204)
    if lrs.method not in ("PUT", "POST"):
        raise LrsError(405, f"This resource does not take {lrs.method}.")
    if document_id is None:
        raise LrsError(400, f"{lrs.method} needs a {id_name} parameter.")
    document_put(
        scope=scope,
        document_id=document_id,
        content=lrs.body,
        content_type=_content_type(lrs.content_type),
        pre=pre,
        client=client,
        merge=lrs.method == "POST",
    )
    return HttpResponse(status=204)


def _read(scope: Scope, document_id: str | None, since: str | None) -> HttpResponse:
    if document_id is None:
        return json_response(document_ids(scope, parse_time("since", since)))
    document = document_get(scope, document_id)
    if document is None:
        raise LrsError(404, "No such document.")
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["ETag"] = f'"{document.etag}"'
    response["Last-Modified"] = http_date(document.updated_at.timestamp())
    return response


def _content_type(value: str) -> str:
    """The Content-Type a document is kept and served with: a media type, at most 255
    characters (the column), printable (it is sent back as a header)."""
    if not value:
        return "application/octet-stream"
    if len(value) > 255 or not value.isprintable() or not MEDIA_TYPE_RE.fullmatch(value):
        raise LrsError(400, "The Content-Type must be a media type of at most 255 characters.")
    return value


def _activity_id(params: dict[str, str]) -> str:
    value = params.get("activityId")
    if value is None:
        raise LrsError(400, "The activityId parameter is required.")
    if not is_iri(value):
        raise LrsError(400, "Parameter activityId must be an IRI.")
    return value


def _agent(params: dict[str, str]) -> dict[str, Any]:
    if "agent" not in params:
        raise LrsError(400, "The agent parameter is required.")
    return parse_agent(params["agent"])


def _registration(params: dict[str, str]) -> uuid.UUID | None:
    value = params.get("registration")
    return None if value is None else parse_statement_id("registration", value)


def describe_activity(activity_id: str) -> dict[str, Any]:
    """The Activity with everything statements have said about its definition, later
    statements winning (language maps are merged language by language)."""
    key = index_key("activity", activity_id)
    rows = (
        Statement.objects.filter(
            id__in=StatementIndexEntry.objects.filter(key=key).values("statement_id")
        )
        .order_by("-stored", "-seq")
        .values_list("data", flat=True)[:ACTIVITY_SOURCES]
    )
    definition: dict[str, Any] = {}
    for data in reversed(list(rows)):
        for activity in _activities_in(data):
            if activity.get("id") == activity_id and isinstance(activity.get("definition"), dict):
                _merge_definition(definition, activity["definition"])
    result: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        result["definition"] = definition
    return result


def _activities_in(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for statement in (data, data.get("object") or {}):
        target = statement.get("object")
        if isinstance(target, dict) and target.get("objectType", "Activity") == "Activity":
            found.append(target)
        context = statement.get("context") or {}
        for value in (context.get("contextActivities") or {}).values():
            found += [
                a for a in (value if isinstance(value, list) else [value]) if isinstance(a, dict)
            ]
    return found


def _merge_definition(into: dict[str, Any], definition: dict[str, Any]) -> None:
    for name, value in definition.items():
        if name in ("name", "description") and isinstance(value, dict):
            into[name] = {**into.get(name, {}), **value}
        else:
            into[name] = json.loads(json.dumps(value))
