"""Stored statements for the matching and admin tests, written straight to the table
(the LRS protocol has its own tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.db.models import Max
from django.utils import timezone

from inward.xapi.models import LrsClient, Statement

ADL = "http://adlnet.gov/expapi/verbs/"
COURSE = "https://lms.example.com/course/security-basics"
MODULE = COURSE + "/module/1"


def statement(
    actor: dict[str, Any],
    verb: str = ADL + "completed",
    obj: str = COURSE,
    *,
    context: dict[str, Any] | None = None,
    result: dict[str, Any] | None = None,
    voided: bool = False,
    client: LrsClient | None = None,
    stored: dt.datetime | None = None,
) -> Statement:
    sid = uuid.uuid4()
    stored = stored or timezone.now()
    timestamp = stored - dt.timedelta(hours=1)
    data: dict[str, Any] = {
        "id": str(sid),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": obj},
        "timestamp": timestamp.isoformat(),
        "stored": stored.isoformat(),
    }
    if context:
        data["context"] = context
    if result:
        data["result"] = result
    seq = (Statement.objects.aggregate(top=Max("seq"))["top"] or 0) + 1
    return Statement.objects.create(
        id=sid,
        seq=seq,
        client=client,
        stored=stored,
        timestamp=timestamp,
        data=data,
        verb_id=verb,
        voided=voided,
    )


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def mbox(email: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{email}"}


def account(name: str) -> dict[str, Any]:
    return {"account": {"homePage": "https://lms.example.com", "name": name}}
