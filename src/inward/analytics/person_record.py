"""Everything Inward keeps about one person's engagement, for "My data" and the admin's
record of a person: the funnel rows, the event stream, the messages sent to them (the
outbox) and the learning records an LMS sent about them, also as one JSON download.

Who may see it is the views' business (the person, and admins); nothing here checks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db.models import QuerySet

from inward.analytics.models import Attribution, EngagementEvent, RecipientFunnel
from inward.analytics.selectors import person_events, person_funnels
from inward.delivery.models import Delivery
from inward.directory.models import Person
from inward.xapi.models import Statement


def person_deliveries(person: Person) -> QuerySet[Delivery]:
    """Every message Inward wrote to its outbox for ``person``, sent or not, newest first."""
    return (
        Delivery.objects.filter(person=person)
        .select_related("touch__campaign", "channel", "variant")
        .order_by("-created_at", "-id")
    )


def person_statements(person: Person) -> QuerySet[Statement]:
    """The xAPI statements matched to ``person``, voided ones too, newest stored first."""
    return (
        Statement.objects.filter(person=person)
        .select_related("client", "offering")
        .order_by("-stored", "-seq")
    )


def statement_summary(statement: Statement) -> dict[str, str]:
    """What a statement says in words: its verb and object as the LMS named them (in the
    first language it gave), or their ids."""
    data = _mapping(statement.data)
    verb, target = _mapping(data.get("verb")), _mapping(data.get("object"))
    definition = _mapping(target.get("definition"))
    return {
        "verb": _first_name(verb.get("display")) or statement.verb_id,
        "object": _first_name(definition.get("name")) or str(target.get("id", "")),
    }


def statement_text(statement: Statement) -> str:
    """The statement as stored, as indented JSON."""
    return json.dumps(statement.data, indent=2, ensure_ascii=False, sort_keys=True)


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_name(language_map: object) -> str:
    if isinstance(language_map, dict):
        for value in language_map.values():
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def person_record(person: Person) -> dict[str, Any]:
    """All of it as plain data (the JSON download). Times are ISO 8601 in UTC."""
    return {
        "person": {
            "id": person.pk,
            "email": person.email,
            "name": person.display_name,
            "external_id": person.external_id,
        },
        "campaigns": [_funnel(funnel) for funnel in person_funnels(person)],
        "events": [_event(event) for event in person_events(person).iterator(chunk_size=2000)],
        "messages": [
            _delivery(delivery) for delivery in person_deliveries(person).iterator(chunk_size=2000)
        ],
        "learning_records": [
            _statement(statement)
            for statement in person_statements(person).iterator(chunk_size=500)
        ],
        "credited_to_campaigns": [
            _credit(credit)
            for credit in Attribution.objects.filter(person=person)
            .select_related("campaign", "touch", "offering")
            .order_by("-occurred_at", "model", "id")
        ],
    }


def _time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _funnel(funnel: RecipientFunnel) -> dict[str, Any]:
    return {
        "campaign": funnel.campaign.name,
        "stage": funnel.get_stage_display(),
        "reached_at": _time(funnel.reached_at),
        "engaged_at": _time(funnel.engaged_at),
        "acted_at": _time(funnel.acted_at),
        "completed_at": _time(funnel.completed_at),
        "advocated_at": _time(funnel.advocated_at),
    }


def _event(event: EngagementEvent) -> dict[str, Any]:
    return {
        "occurred_at": _time(event.occurred_at),
        "kind": event.kind,
        "source": event.source,
        "counted": not event.robot,
        "campaign": event.campaign.name if event.campaign else None,
        "touch": event.touch.name if event.touch else None,
        "channel": event.channel.name if event.channel else None,
        "offering": event.offering.title if event.offering else None,
        "xapi_statement_id": str(event.statement_id) if event.statement_id else None,
        "detail": event.detail,
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "campaign": delivery.touch.campaign.name,
        "touch": delivery.touch.name,
        "channel": delivery.channel.name,
        "language": delivery.variant.language if delivery.variant else None,
        "status": delivery.status,
        "suppressed_reason": delivery.suppressed_reason or None,
        "written_at": _time(delivery.created_at),
        "sent_at": _time(delivery.sent_at),
        "opened_at": _time(delivery.opened_at),
        "clicked_at": _time(delivery.clicked_at),
    }


def _statement(statement: Statement) -> dict[str, Any]:
    return {
        "stored": _time(statement.stored),
        "lms": statement.client.name if statement.client else None,
        "offering": statement.offering.title if statement.offering else None,
        "voided": statement.voided,
        "statement": statement.data,
    }


def _credit(credit: Attribution) -> dict[str, Any]:
    return {
        "occurred_at": _time(credit.occurred_at),
        "kind": credit.kind,
        "campaign": credit.campaign.name,
        "touch": credit.touch.name if credit.touch else None,
        "offering": credit.offering.title if credit.offering else None,
        "model": credit.model,
        "weight": credit.weight,
    }
