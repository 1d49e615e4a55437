"""From stored xAPI statements to people, offerings and engagement events.

A statement's actor is a known person when its identifier names them (see ``docs/xapi.md``):
``mbox`` ``mailto:<their e-mail>``, an ``account`` whose ``name`` is their e-mail or their
directory external id, or an ``mbox_sha1sum`` of ``mailto:<their e-mail>``. Its offering is
the catalogue offering whose activity id is the statement's object, or else one of the
object's parent or grouping activities in ``context.contextActivities``.

Matching is per batch: one query for the people of all actors in a batch, one for the
offerings, one bulk update and one ``record_events`` call.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from inward.analytics import sql
from inward.analytics.events import EventIn, record_events, retract_statement_events
from inward.analytics.models import EventKind, EventSource
from inward.directory.models import Person
from inward.learning.models import Offering
from inward.xapi.models import Statement
from inward.xapi.validation import VOIDED_VERB

ADL = "http://adlnet.gov/expapi/verbs/"
IN_CHUNK = 10_000  # identifiers per IN (...) list

# Verb IRI -> event kind. Verbs not listed are stored but make no event. Sources: the ADL
# vocabulary (adlnet.gov/expapi/verbs), cmi5 (w3id.org/xapi/adl/verbs/satisfied), the
# Total Learning Architecture / LMS profile (w3id.org/xapi/tla/verbs/registered), the
# Tin Can registry's learning-plan enrolment, and Activity Streams' share.
VERB_KINDS: dict[str, str] = {
    ADL + "registered": EventKind.ENROLLED,
    "https://w3id.org/xapi/tla/verbs/registered": EventKind.ENROLLED,
    "http://www.tincanapi.co.uk/verbs/enrolled_onto_learning_plan": EventKind.ENROLLED,
    ADL + "launched": EventKind.STARTED,
    ADL + "initialized": EventKind.STARTED,
    ADL + "attempted": EventKind.STARTED,
    ADL + "completed": EventKind.COMPLETED,
    "https://w3id.org/xapi/adl/verbs/satisfied": EventKind.COMPLETED,
    ADL + "passed": EventKind.PASSED,
    ADL + "shared": EventKind.RECOMMENDED,
    "http://activitystrea.ms/schema/1.0/share": EventKind.RECOMMENDED,
}

# Completing or passing a part of an offering (the offering is only the object's parent or
# grouping) shows the person has started the offering, not finished it.
_PART_KIND: dict[str, str] = {
    EventKind.COMPLETED: EventKind.STARTED,
    EventKind.PASSED: EventKind.STARTED,
}


@dataclass(frozen=True)
class ActorKeys:
    """What an actor can be matched on: a lower-case e-mail, an account name (compared
    with e-mails lower-cased and with external ids as is), or an mbox SHA-1."""

    email: str | None = None
    account_name: str | None = None
    mbox_sha1: str | None = None


def actor_keys(actor: Any) -> ActorKeys:
    """The identifiers of an Agent (not a Group: a group is nobody in particular)."""
    if not isinstance(actor, dict) or actor.get("objectType", "Agent") != "Agent":
        return ActorKeys()
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        return ActorKeys(email=mbox[len("mailto:") :].strip().lower() or None)
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str):
        return ActorKeys(account_name=account["name"].strip() or None)
    sha1 = actor.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return ActorKeys(mbox_sha1=sha1.strip().lower() or None)
    return ActorKeys()


def actor_ifi(actor: Any) -> str:
    """The actor's inverse functional identifier as one line, for people to read."""
    if not isinstance(actor, dict):
        return ""
    if isinstance(actor.get("mbox"), str):
        return str(actor["mbox"])
    account = actor.get("account")
    if isinstance(account, dict):
        return f"{account.get('name', '')} @ {account.get('homePage', '')}"
    for key in ("mbox_sha1sum", "openid"):
        if isinstance(actor.get(key), str):
            return f"{key}: {actor[key]}"
    if actor.get("objectType") == "Group":
        return f"Group: {actor.get('name', '')}".strip()
    return ""


def object_activity_id(data: Mapping[str, Any]) -> str | None:
    obj = data.get("object")
    if not isinstance(obj, dict) or obj.get("objectType", "Activity") != "Activity":
        return None
    activity_id = obj.get("id")
    return activity_id if isinstance(activity_id, str) else None


def context_activity_ids(data: Mapping[str, Any]) -> list[str]:
    """Parent then grouping activity ids, in the order the statement gives them."""
    context = data.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(activities, dict):
        return []
    ids: list[str] = []
    for key in ("parent", "grouping"):
        entries = activities.get(key)
        if isinstance(entries, dict):  # 0.95-style single object; tolerated
            entries = [entries]
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                ids.append(entry["id"])
    return ids


def event_kind(data: Mapping[str, Any]) -> str | None:
    """The event kind a statement's verb (or result) stands for, or None."""
    verb = data.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    kind = VERB_KINDS.get(verb_id) if isinstance(verb_id, str) else None
    if kind is not None:
        return kind
    result = data.get("result")
    if isinstance(result, dict) and result.get("completion") is True:
        return EventKind.COMPLETED
    return None


# --- people ---------------------------------------------------------------------------


class _Sha1Map:
    """``sha1("mailto:" + email)`` -> person id, built on demand for the whole directory
    (hashing 100,000 addresses takes about 50 ms) and rebuilt on a miss once it is a
    minute old, so a person added to the directory is found within a minute."""

    MAX_AGE = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built_at: float | None = None
        self._map: dict[str, int] = {}

    def lookup(self, digests: set[str]) -> dict[str, int]:
        with self._lock:
            now = time.monotonic()
            missing = not digests <= self._map.keys()
            if self._built_at is None or (missing and now - self._built_at > self.MAX_AGE):
                self._map = self._build()
                self._built_at = now
            return {d: self._map[d] for d in digests if d in self._map}

    def clear(self) -> None:
        with self._lock:
            self._built_at = None
            self._map = {}

    @staticmethod
    def _build() -> dict[str, int]:
        rows = Person.objects.values_list("id", "email").iterator(chunk_size=5000)
        return {_mbox_sha1(email): pk for pk, email in rows}


def _mbox_sha1(email: str) -> str:
    # SHA-1 because xAPI defines mbox_sha1sum so; it protects nothing here.
    return hashlib.sha1(f"mailto:{email.lower()}".encode(), usedforsecurity=False).hexdigest()


def _verified(by_sha1: dict[str, int]) -> dict[str, int]:
    """Keep the map's answers that still hold: a person deleted or with a new address
    since the map was built is dropped (and the map rebuilt next time). One query."""
    if not by_sha1:
        return {}
    emails = dict(Person.objects.filter(pk__in=by_sha1.values()).values_list("pk", "email"))
    kept = {d: pk for d, pk in by_sha1.items() if pk in emails and _mbox_sha1(emails[pk]) == d}
    if len(kept) < len(by_sha1):
        sha1_people.clear()
    return kept


sha1_people = _Sha1Map()


def match_people(keys: Iterable[ActorKeys]) -> dict[ActorKeys, int]:
    """Person id per actor, for the actors that name a person; one query (plus the SHA-1
    map when an actor is known only by ``mbox_sha1sum``)."""
    keys = set(keys)
    emails = {k.email for k in keys if k.email}
    names = {k.account_name for k in keys if k.account_name}
    emails |= {name.lower() for name in names}
    by_email: dict[str, int] = {}
    by_external: dict[str, int] = {}
    for pk, email, external_id in _people_rows(sorted(emails), sorted(names)):
        by_email[email.lower()] = pk
        if external_id:
            by_external[external_id] = pk
    digests = {k.mbox_sha1 for k in keys if k.mbox_sha1}
    by_sha1 = _verified(sha1_people.lookup(digests)) if digests else {}
    found: dict[ActorKeys, int] = {}
    for k in keys:
        person_id = _person_of(k, by_email, by_external, by_sha1)
        if person_id is not None:
            found[k] = person_id
    return found


def _people_rows(emails: list[str], names: list[str]) -> Iterator[tuple[int, str, str | None]]:
    # One query for a batch; more only past IN_CHUNK identifiers (SQLite allows 32,766
    # parameters in a statement).
    for start in range(0, max(len(emails), len(names)), IN_CHUNK):
        yield from (
            Person.objects.alias(email_ci=Lower("email"))
            .filter(
                Q(email_ci__in=emails[start : start + IN_CHUNK])
                | Q(external_id__in=names[start : start + IN_CHUNK])
            )
            .values_list("id", "email", "external_id")
        )


def _person_of(
    k: ActorKeys, by_email: dict[str, int], by_external: dict[str, int], by_sha1: dict[str, int]
) -> int | None:
    if k.email:
        return by_email.get(k.email)
    if k.account_name:
        # An external id is the more specific claim: prefer it over an e-mail match.
        return by_external.get(k.account_name) or by_email.get(k.account_name.lower())
    if k.mbox_sha1:
        return by_sha1.get(k.mbox_sha1)
    return None


# --- offerings ------------------------------------------------------------------------


def match_offerings(activity_ids: Iterable[str]) -> dict[str, int]:
    """Offering id per activity id, for the activity ids in the catalogue; one query."""
    wanted = sorted({a for a in activity_ids if a and len(a) <= 500})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        found.update(
            Offering.objects.filter(activity_id__in=chunk).values_list("activity_id", "id")
        )
    return found


# --- statements -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    person_id: int | None
    offering_id: int | None
    direct: bool  # the offering is the object itself, not a parent or grouping


def _match_all(statements: Sequence[Statement]) -> list[_Match]:
    keys = [actor_keys(s.data.get("actor")) for s in statements]
    objects = [object_activity_id(s.data) for s in statements]
    contexts = [context_activity_ids(s.data) for s in statements]
    people = match_people(keys)
    offerings = match_offerings([a for a in objects if a] + [a for ids in contexts for a in ids])
    matches = []
    for key, obj, ctx in zip(keys, objects, contexts, strict=True):
        direct = offerings.get(obj) if obj else None
        via = next((offerings[a] for a in ctx if a in offerings), None)
        matches.append(_Match(people.get(key), direct or via, direct is not None))
    return matches


def match_statements(statements: Sequence[Statement]) -> list[EventIn]:
    """Set ``person_id`` and ``offering_id`` on the statements in memory (no write) and
    return the events they stand for, for a caller that matches before it inserts and
    then passes the events to ``record_events``."""
    matches = _match_all(statements)
    for statement, found in zip(statements, matches, strict=True):
        statement.person_id = found.person_id
        statement.offering_id = found.offering_id
    return _events(statements, matches)


def _events(statements: Sequence[Statement], matches: Sequence[_Match]) -> list[EventIn]:
    """One event per statement by a known person, about a known offering, with a verb
    that means something here; none for statements already voided, in the database or
    by a voiding statement in the same batch."""
    events = []
    voided_here = _voided_in_batch(statements)
    for statement, found in zip(statements, matches, strict=True):
        if found.person_id is None or found.offering_id is None:
            continue
        if statement.voided or statement.id in voided_here:
            continue
        kind = event_kind(statement.data)
        if kind is None:
            continue
        if not found.direct:
            kind = _PART_KIND.get(kind, kind)
        events.append(
            EventIn(
                kind=kind,
                occurred_at=statement.timestamp,
                source=EventSource.XAPI,
                person_id=found.person_id,
                offering_id=found.offering_id,
                statement_id=statement.id,
                detail={"verb": statement.verb_id, "object": object_activity_id(statement.data)},
            )
        )
    return events


def _voided_in_batch(statements: Sequence[Statement]) -> set[uuid.UUID]:
    targets = set()
    for statement in statements:
        obj = statement.data.get("object")
        if statement.verb_id != VOIDED_VERB or not isinstance(obj, dict):
            continue
        if obj.get("objectType") == "StatementRef":
            try:
                targets.add(uuid.UUID(str(obj.get("id"))))
            except ValueError:
                continue
    return targets


def ingest_stored(statements: Sequence[Statement]) -> None:
    """Match newly stored statements to people and offerings, save the matches (one bulk
    update) and record their engagement events. Call it in the transaction that stored
    them; statements already voided make no event."""
    _ingest(statements)


def _ingest(statements: Sequence[Statement]) -> int:
    if not statements:
        return 0
    matches = _match_all(statements)
    changed = []
    for statement, found in zip(statements, matches, strict=True):
        if (statement.person_id, statement.offering_id) != (found.person_id, found.offering_id):
            statement.person_id = found.person_id
            statement.offering_id = found.offering_id
            changed.append(statement)
    if changed:
        _save_matches(changed)
    events = _events(statements, matches)
    if events:
        record_events(events)
    return len(changed)


def _save_matches(statements: Sequence[Statement]) -> None:
    """Write ``person_id`` and ``offering_id`` of many statements, one UPDATE … FROM
    (VALUES …) per 500: Django's bulk_update builds a CASE per row, about 1 s per 1,000
    rows here, which would be most of an ingest batch's time."""
    table = connection.ops.quote_name(Statement._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(statements), sql.CHUNK):
            chunk = statements[start : start + sql.CHUNK]
            cursor.execute(_update_from_values(table, len(chunk)), _match_params(chunk))


def _update_from_values(table: str, rows: int) -> str:
    if sql.postgres():
        values = ", ".join(["(%s::uuid, %s::bigint, %s::bigint)"] * rows)
        return (
            f"UPDATE {table} AS s SET person_id = v.p, offering_id = v.o "  # noqa: S608
            f"FROM (VALUES {values}) AS v(id, p, o) WHERE s.id = v.id"
        )
    values = ", ".join(["(%s, %s, %s)"] * rows)
    return (
        f"UPDATE {table} SET person_id = v.column2, offering_id = v.column3 "  # noqa: S608
        f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
    )


def _match_params(statements: Sequence[Statement]) -> list[Any]:
    params: list[Any] = []
    for statement in statements:
        params += [sql.uuid_param(statement.id), statement.person_id, statement.offering_id]
    return params


def rematch(
    *,
    client_id: int | None = None,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Match again the statements that lack a person or an offering (not voided), after
    people joined the directory or offerings the catalogue, and record the events of
    those that now match. Returns how many statements changed.

    ``progress``, if given, is called after each batch with how many statements have
    been looked at and how many there are (counted at the start, one more query; raised
    to the first number if statements arrive meanwhile).

    Safe to run twice and beside ingest: a statement without a person or an offering
    has no events, so nothing is recorded twice. Each batch is its own transaction.
    """
    pending = Statement.objects.filter(
        Q(person__isnull=True) | Q(offering__isnull=True), voided=False
    )
    if client_id is not None:
        pending = pending.filter(client_id=client_id)
    total = pending.count() if progress else 0
    changed, done, last_seq = 0, 0, None
    while True:
        page = pending if last_seq is None else pending.filter(seq__gt=last_seq)
        batch = list(page.order_by("seq")[:batch_size])
        if not batch:
            return changed
        with transaction.atomic():
            changed += _ingest(batch)
        last_seq = batch[-1].seq
        done += len(batch)
        if progress:
            progress(done, max(done, total))


def ingest_voided(statement_ids: Sequence[uuid.UUID]) -> None:
    """Take back the events of statements that have just been voided."""
    if statement_ids:
        retract_statement_events(list(statement_ids))
