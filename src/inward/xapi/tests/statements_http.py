"""A small real-HTTP client for the LRS tests (urllib against ``live_server``)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import Any

VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Lrs:
    base: str  # e.g. http://localhost:1234/xapi
    key: str
    secret: str

    def auth(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        version: bool = True,
    ) -> Answer:
        sent = {**(VERSION_HEADER if version else {}), **(self.auth() if auth else {})}
        sent.update(headers or {})
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=body, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def post(self, statements: Any, **kwargs: Any) -> Answer:
        body = json.dumps(statements).encode()
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return self.request("POST", "/statements", body=body, headers=headers, **kwargs)

    def put(self, statement: Any, statement_id: str, **kwargs: Any) -> Answer:
        body = json.dumps(statement).encode()
        headers = {"Content-Type": "application/json"}
        return self.request(
            "PUT", f"/statements?statementId={statement_id}", body=body, headers=headers, **kwargs
        )

    def get(self, query: str = "", **kwargs: Any) -> Answer:
        return self.request("GET", "/statements" + (f"?{query}" if query else ""), **kwargs)


def statement(
    *,
    mbox: str = "mailto:learner@example.com",
    verb: str = "http://adlnet.gov/expapi/verbs/completed",
    activity: str = "http://example.com/courses/onboarding",
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actor": {"objectType": "Agent", "mbox": mbox, "name": "A Learner"},
        "verb": {"id": verb, "display": {"en-US": "completed", "nl-NL": "voltooide"}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {"name": {"en-US": "Onboarding", "nl-NL": "Inwerken"}},
        },
    }
    data.update(extra)
    return data


def new_id() -> str:
    return str(uuid.uuid4())
