"""Reading statements: the GET parameters, the index the filters use, the result
formats (``exact``, ``ids``, ``canonical``) and ``more`` paging.

Filters (xAPI 1.0.3, Communication 2.1.3) are answered from ``StatementIndexEntry``:
each statement is indexed, when stored, by a digest of its verb, registration, agents
and activities (see ``index_entries``). A statement that targets another (StatementRef)
inherits the target's entries, so a filter also finds the statements about a match, as
the specification asks. Results are ordered by ``stored`` then ``seq`` (store order);
``more`` carries the last row's pair, so a page is stable while new statements arrive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from inward.xapi.models import Statement, StatementIndexEntry
from inward.xapi.protocol import LrsError
from inward.xapi.validation import (
    XapiValidationError,
    agent_ifi,
    is_iri,
    is_uuid,
    parse_timestamp,
    validate_agent_parameter,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FORMATS = ("exact", "ids", "canonical")
SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}
LIST_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}
_MORE_SALT = "inward.xapi.more"
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


# --- the index -------------------------------------------------------------------------


def index_key(kind: str, value: str) -> str:
    return hashlib.md5(f"{kind}\x00{value}".encode(), usedforsecurity=False).hexdigest()


def agent_key(agent: dict[str, Any]) -> str | None:
    ifi = agent_ifi(agent)
    if ifi is None:
        return None
    return index_key("agent", f"{agent.get('objectType') or 'Agent'}|{ifi}")


def index_entries(statement: dict[str, Any]) -> set[tuple[str, bool]]:
    """``(key, related)`` pairs a stored statement is found by (without the entries it
    inherits from a StatementRef target)."""
    entries: set[tuple[str, bool]] = {(index_key("verb", statement["verb"]["id"]), False)}
    registration = (statement.get("context") or {}).get("registration")
    if registration:
        entries.add((index_key("registration", str(registration).lower()), False))
    for agent, related in _agents(statement):
        key = agent_key(agent)
        if key:
            entries.add((key, related))
    for activity_id, related in _activities(statement):
        entries.add((index_key("activity", activity_id), related))
    return entries


def _is_agent(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("objectType", "Agent") in ("Agent", "Group")


def _agents(statement: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    yield statement["actor"], False
    target = statement.get("object") or {}
    if target.get("objectType") in ("Agent", "Group"):
        yield target, False
    if isinstance(statement.get("authority"), dict):
        yield statement["authority"], True
    yield from _context_agents(statement.get("context") or {})
    if target.get("objectType") == "SubStatement":
        yield target["actor"], True
        inner = target.get("object") or {}
        if inner.get("objectType") in ("Agent", "Group"):
            yield inner, True
        yield from _context_agents(target.get("context") or {})


def _context_agents(context: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    for name in ("instructor", "team"):
        if _is_agent(context.get(name)):
            yield context[name], True


def _activities(statement: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") == "Activity":
        yield target["id"], False
    yield from _context_activities(statement.get("context") or {})
    if target.get("objectType") == "SubStatement":
        inner = target.get("object") or {}
        if inner.get("objectType", "Activity") == "Activity":
            yield inner["id"], True
        yield from _context_activities(target.get("context") or {})


def _context_activities(context: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    found = context.get("contextActivities") or {}
    for kind in _CONTEXT_ACTIVITY_KINDS:
        value = found.get(kind)
        for activity in value if isinstance(value, list) else [value] if value else []:
            if isinstance(activity, dict) and "id" in activity:
                yield activity["id"], True


# --- parameters ------------------------------------------------------------------------


@dataclass
class StatementQuery:
    """A parsed GET of many statements."""

    keys: list[tuple[str, bool]] = field(default_factory=list)  # (key, related allowed)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = DEFAULT_LIMIT
    ascending: bool = False
    format: str = "exact"
    attachments: bool = False
    raw: dict[str, str] = field(default_factory=dict)


def parse_bool(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value not in ("true", "false"):
        raise LrsError(400, f"Parameter {name} must be true or false.")
    return value == "true"


def parse_format(value: str | None) -> str:
    if value is None:
        return "exact"
    if value not in FORMATS:
        raise LrsError(400, "Parameter format must be ids, exact or canonical.")
    return value


def parse_statement_id(name: str, value: str) -> uuid.UUID:
    if not is_uuid(value):
        raise LrsError(400, f"Parameter {name} must be a UUID.")
    return uuid.UUID(value)


def parse_list_query(params: dict[str, str]) -> StatementQuery:
    query = StatementQuery(raw=dict(params))
    query.format = parse_format(params.get("format"))
    query.attachments = parse_bool("attachments", params.get("attachments"))
    query.ascending = parse_bool("ascending", params.get("ascending"))
    related_agents = parse_bool("related_agents", params.get("related_agents"))
    related_activities = parse_bool("related_activities", params.get("related_activities"))
    if "agent" in params:
        query.keys.append((_agent_filter_key(params["agent"]), related_agents))
    if "verb" in params:
        query.keys.append((index_key("verb", _iri("verb", params["verb"])), False))
    if "activity" in params:
        key = index_key("activity", _iri("activity", params["activity"]))
        query.keys.append((key, related_activities))
    if "registration" in params:
        registration = str(parse_statement_id("registration", params["registration"]))
        query.keys.append((index_key("registration", registration), False))
    query.since = parse_time("since", params.get("since"))
    query.until = parse_time("until", params.get("until"))
    query.limit = _limit(params.get("limit"))
    return query


def parse_agent(text: str) -> dict[str, Any]:
    """The ``agent`` parameter (JSON of an Agent or Group), validated; else a 400."""
    try:
        return validate_agent_parameter(text)
    except XapiValidationError as exc:
        raise LrsError(400, f"Parameter agent: {exc}") from exc


def _agent_filter_key(text: str) -> str:
    key = agent_key(parse_agent(text))
    if key is None:
        raise LrsError(400, "Parameter agent needs an Agent or Group with an identifier.")
    return key


def _iri(name: str, value: str) -> str:
    if not is_iri(value):
        raise LrsError(400, f"Parameter {name} must be an IRI.")
    return value


def parse_time(name: str, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed: dt.datetime = parse_timestamp(value)
    except (XapiValidationError, ValueError) as exc:
        raise LrsError(400, f"Parameter {name} must be an ISO 8601 timestamp.") from exc
    return parsed


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (value.isascii() and value.isdigit()):
        raise LrsError(400, "Parameter limit must be a whole number of zero or more.")
    # Beyond the cap anyway; and int() refuses more than 4,300 digits.
    number = int(value) if len(value) <= 9 else MAX_LIMIT
    return MAX_LIMIT if number == 0 else min(number, MAX_LIMIT)


# --- running it ------------------------------------------------------------------------


def statement_page(
    query: StatementQuery, after: tuple[dt.datetime, int] | None = None
) -> tuple[list[Statement], tuple[dt.datetime, int] | None]:
    """One page of unvoided statements matching ``query``, starting after the
    ``(stored, seq)`` cursor; and the cursor for the next page, if there is one."""
    rows = _filtered(query)
    if after is not None:
        stored, seq = after
        if query.ascending:
            rows = rows.filter(Q(stored__gt=stored) | Q(stored=stored, seq__gt=seq))
        else:
            rows = rows.filter(Q(stored__lt=stored) | Q(stored=stored, seq__lt=seq))
    order = ["stored", "seq"] if query.ascending else ["-stored", "-seq"]
    page = list(rows.order_by(*order)[: query.limit + 1])
    if len(page) <= query.limit:
        return page, None
    page = page[: query.limit]
    return page, (page[-1].stored, page[-1].seq)


def _filtered(query: StatementQuery) -> QuerySet[Statement]:
    rows = Statement.objects.filter(voided=False)
    for key, related in query.keys:
        entries = StatementIndexEntry.objects.filter(key=key)
        if not related:
            entries = entries.filter(related=False)
        rows = rows.filter(id__in=entries.values("statement_id"))
    if query.since is not None:
        rows = rows.filter(stored__gt=query.since)
    if query.until is not None:
        rows = rows.filter(stored__lte=query.until)
    return rows.only("id", "seq", "stored", "data")


def more_token(query: StatementQuery, cursor: tuple[dt.datetime, int]) -> str:
    return signing.dumps(
        {"p": query.raw, "s": cursor[0].isoformat(), "q": cursor[1]},
        salt=_MORE_SALT,
        compress=True,
    )


def read_more_token(token: str) -> tuple[dict[str, str], tuple[dt.datetime, int]]:
    try:
        data = signing.loads(token, salt=_MORE_SALT)
        return dict(data["p"]), (dt.datetime.fromisoformat(data["s"]), int(data["q"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LrsError(404, "This 'more' link is not one this LRS gave out.") from exc


# --- formats ---------------------------------------------------------------------------


def formatted(statement: dict[str, Any], fmt: str, languages: list[str]) -> dict[str, Any]:
    if fmt == "ids":
        return _ids_statement(statement)
    if fmt == "canonical":
        result: dict[str, Any] = _canonical(statement, languages)
        return result
    return statement


def _ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    result["actor"] = _ids_agent(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = _ids_object(statement["object"])
    if isinstance(statement.get("authority"), dict):
        result["authority"] = _ids_agent(statement["authority"])
    if isinstance(statement.get("context"), dict):
        result["context"] = _ids_context(statement["context"])
    return result


def _ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    result = {
        k: v
        for k, v in agent.items()
        if k in ("objectType", "mbox", "mbox_sha1sum", "openid", "account")
    }
    if agent.get("objectType") == "Group" and agent_ifi(agent) is None:
        result["member"] = [_ids_agent(m) for m in agent.get("member") or []]
    return result


def _ids_object(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {"id": obj["id"]}
    if kind in ("Agent", "Group"):
        return _ids_agent(obj)
    if kind == "SubStatement":
        return _ids_statement(obj)
    return obj


def _ids_context(context: dict[str, Any]) -> dict[str, Any]:
    result = dict(context)
    for name in ("instructor", "team"):
        if isinstance(context.get(name), dict):
            result[name] = _ids_agent(context[name])
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        result["contextActivities"] = {
            kind: [{"id": a["id"]} for a in (v if isinstance(v, list) else [v])]
            for kind, v in activities.items()
        }
    return result


_LANGUAGE_MAP_KEYS = ("display", "name", "description")
_INTERACTION_LISTS = ("choices", "scale", "source", "target", "steps")


def _canonical(value: Any, languages: list[str], parent: str = "") -> Any:
    if isinstance(value, list):
        return [_canonical(v, languages, parent) for v in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if (
            key in _LANGUAGE_MAP_KEYS
            and isinstance(item, dict)
            and _language_map_context(key, parent)
        ):
            result[key] = pick_language(item, languages)
        elif key in ("extensions", "result"):
            result[key] = item
        else:
            result[key] = _canonical(item, languages, key)
    return result


def _language_map_context(key: str, parent: str) -> bool:
    """Whether ``key`` under ``parent`` is a language map (not, say, an actor's name)."""
    if key == "display":
        return parent in ("verb", "attachments")
    return parent in ("definition", "attachments", *_INTERACTION_LISTS)


def pick_language(language_map: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """The one entry of a language map the reader prefers."""
    if not language_map:
        return language_map
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted == "*":
            break
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for tag in language_map:
            if tag.lower().split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    for fallback in ("und", "en-us", "en"):
        if fallback in lowered:
            return {lowered[fallback]: language_map[lowered[fallback]]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def accept_languages(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first."""
    weighted = []
    for index, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        if not tag:
            continue
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if weight > 0:
            weighted.append((-weight, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]
