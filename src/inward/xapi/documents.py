"""Documents an LMS keeps in the LRS: State, Activity Profile and Agent Profile
(xAPI 1.0.3, Communication 2.2 to 2.7).

A document is opaque bytes with a content type, found by its scope (kind, activity,
agent, registration) and its id. PUT replaces, POST merges two JSON objects (top-level
keys of the new one win), DELETE removes. ETags are the SHA-1 of the content; the
precondition headers (If-Match, If-None-Match) are honoured on every write, and the
profile resources refuse a PUT without one (409 over an existing document, else 400).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from inward.xapi.models import Document, LrsClient
from inward.xapi.protocol import LrsError
from inward.xapi.query import agent_key, index_key
from inward.xapi.validation import XapiValidationError, parse_json


@dataclass(frozen=True)
class Scope:
    kind: str
    activity_id: str = ""
    agent: dict[str, Any] | None = None
    registration: uuid.UUID | None = None

    @property
    def key(self) -> str:
        agent = agent_key(self.agent) if self.agent else ""
        return index_key(
            "document", f"{self.kind}|{self.activity_id}|{agent}|{self.registration or ''}"
        )

    @property
    def needs_precondition(self) -> bool:
        return self.kind != Document.Kind.STATE


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}


def check_preconditions(current: Document | None, pre: Preconditions) -> None:
    """Raise 412 when If-Match / If-None-Match do not hold for ``current``."""
    if pre.if_match is not None:
        tags = _tags(pre.if_match)
        if current is None or ("*" not in tags and current.etag not in tags):
            raise LrsError(412, "If-Match does not match the document's current ETag.")
    if pre.if_none_match is not None:
        tags = _tags(pre.if_none_match)
        if current is not None and ("*" in tags or current.etag in tags):
            raise LrsError(412, "If-None-Match: the document already exists.")


def document_get(scope: Scope, document_id: str) -> Document | None:
    return Document.objects.filter(scope=scope.key, document_id=document_id).first()


def document_ids(scope: Scope, since: dt.datetime | None) -> list[str]:
    rows = Document.objects.filter(scope=scope.key)
    if since is not None:
        rows = rows.filter(updated_at__gt=since)
    return list(rows.order_by("document_id").values_list("document_id", flat=True))


def document_put(
    *,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    pre: Preconditions,
    client: LrsClient,
    merge: bool,
) -> None:
    """Store (PUT) or merge (POST) one document."""
    try:
        with transaction.atomic():
            current = (
                Document.objects.select_for_update()
                .filter(scope=scope.key, document_id=document_id)
                .first()
            )
            check_preconditions(current, pre)
            if not merge and scope.needs_precondition and not pre.given:
                _refuse_unconditional_put(current)
            if merge:
                content, content_type = _merged(current, content, content_type)
            _save(current, scope, document_id, content, content_type, client)
    except IntegrityError as exc:
        raise LrsError(409, "The document was created meanwhile; read it and try again.") from exc


def _refuse_unconditional_put(current: Document | None) -> None:
    if current is not None:
        raise LrsError(
            409,
            "This document exists: send If-Match with its ETag so that a concurrent change "
            "is not lost.",
        )
    raise LrsError(400, "PUT a profile with If-None-Match: * (new) or If-Match (a change).")


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    # parse_json: also refuses deep nesting and numbers beyond int()'s digit limit,
    # which json.loads answers with RecursionError or a bare ValueError.
    try:
        value = parse_json(content)
    except XapiValidationError as exc:
        raise LrsError(400, f"The {what} is not valid JSON ({exc.detail}).") from exc
    if not isinstance(value, dict):
        raise LrsError(400, f"The {what} is not a JSON object, so it cannot be merged.")
    return value


def _merged(current: Document | None, content: bytes, content_type: str) -> tuple[bytes, str]:
    if _is_json(content_type):
        new = _json_object(content, "posted document")
    elif current is not None:
        raise LrsError(400, "Only JSON documents can be merged; PUT other content instead.")
    else:
        return content, content_type
    if current is None:
        return content, content_type
    if not _is_json(current.content_type):
        raise LrsError(400, "The stored document is not JSON, so it cannot be merged.")
    merged = {**_json_object(bytes(current.content), "stored document"), **new}
    return json.dumps(merged).encode(), "application/json"


def _save(
    current: Document | None,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    client: LrsClient,
) -> None:
    etag = hashlib.sha1(content, usedforsecurity=False).hexdigest()
    now = timezone.now()
    if current is None:
        Document.objects.create(
            kind=scope.kind,
            scope=scope.key,
            document_id=document_id,
            activity_id=scope.activity_id,
            agent=scope.agent,
            registration=scope.registration,
            content=content,
            content_type=content_type,
            etag=etag,
            client=client,
            updated_at=now,
        )
        return
    Document.objects.filter(pk=current.pk).update(
        content=content, content_type=content_type, etag=etag, client=client, updated_at=now
    )


def document_delete(*, scope: Scope, document_id: str | None, pre: Preconditions) -> None:
    """Delete one document, or (without an id) every document in the scope."""
    with transaction.atomic():
        rows = Document.objects.select_for_update().filter(scope=scope.key)
        if document_id is None:
            rows.delete()
            return
        current = rows.filter(document_id=document_id).first()
        check_preconditions(current, pre)
        if current is not None:
            current.delete()
