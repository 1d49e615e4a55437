"""Writes for the offerings catalogue: create, update, delete, and what's in it for each
persona. Every change is in the audit trail.

The slug never changes once an offering exists: rules (``enrolled("slug")``), campaign
files and LMS mappings refer to it. An offering that campaigns promote, or that a saved
audience or a touch condition names, cannot be deleted.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.models import User
from inward.audiences.models import Persona
from inward.audiences.rules.conditions import rules_naming_offering
from inward.audit.services import audit_record
from inward.learning.errors import OfferingError
from inward.learning.models import Offering, OfferingKind, OfferingPersona

# Fields offering_create and offering_update accept (besides the slug, set once).
OFFERING_FIELDS = frozenset(
    {"title", "kind", "description", "activity_id", "url", "owner", "starts_on", "ends_on"}
)


def _require_editor(actor: User | None) -> None:
    """Admins and managers edit the catalogue; ``None`` is the system (files, the demo)."""
    if actor is not None:
        access.require(access.can_edit_campaigns(actor))


def _slug_problem(slug: str) -> OfferingError | None:
    try:
        validate_slug(slug)
    except ValidationError:
        return OfferingError(
            "slug_invalid",
            _("A slug has only letters, digits, hyphens and underscores."),
            field="slug",
        )
    if len(slug) > 100:
        return OfferingError("slug_invalid", _("The slug is too long."), field="slug")
    if slug in RESERVED_SLUGS:
        return OfferingError(
            "slug_invalid", _("This slug is reserved; choose another."), field="slug"
        )
    if Offering.objects.filter(slug=slug).exists():
        return OfferingError(
            "slug_taken", _("Another offering already uses this slug."), field="slug"
        )
    return None


# Path words under /learning/ that an offering slug would shadow.
RESERVED_SLUGS = frozenset({"new"})


def _field_problems(offering: Offering) -> list[OfferingError]:
    problems = []
    if not offering.title.strip():
        problems.append(
            OfferingError("title_missing", _("An offering needs a title."), field="title")
        )
    if offering.kind not in OfferingKind.values:
        problems.append(
            OfferingError("kind", _("Choose what kind of offering this is."), field="kind")
        )
    problems += _address_problems(offering)
    starts, ends = offering.starts_on, offering.ends_on
    if starts and ends and ends < starts:
        problems.append(
            OfferingError("dates", _("The end cannot come before the start."), field="ends_on")
        )
    return problems


def _address_problems(offering: Offering) -> list[OfferingError]:
    """A required, unique activity id and an optional link, both full addresses."""
    problems = []
    for name in ("activity_id", "url"):
        value = getattr(offering, name)
        if name == "activity_id" or value:
            try:
                URLValidator()(value)
            except ValidationError:
                message = _("Give a full address starting with https://.")
                problems.append(OfferingError(name, message, field=name))
    taken = Offering.objects.filter(activity_id=offering.activity_id).exclude(pk=offering.pk)
    if not any(p.field == "activity_id" for p in problems) and taken.exists():
        message = _("Another offering already has this activity id.")
        problems.append(OfferingError("activity_id_taken", message, field="activity_id"))
    return problems


def _refuse(problems: Iterable[OfferingError | None]) -> None:
    """Raise the first problem, carrying the rest, so a form can show them all at once."""
    found = [problem for problem in problems if problem is not None]
    if found:
        first, *others = found
        raise OfferingError(first.code, first.message, field=first.field, others=others)


def _printable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, User):
        return value.username
    return value


@transaction.atomic
def offering_create(*, actor: User | None, slug: str, **fields: Any) -> Offering:
    """A new offering. ``fields`` are any of ``OFFERING_FIELDS``."""
    _require_editor(actor)
    _unknown(fields)
    offering = Offering(slug=slug, **fields)
    _refuse([_slug_problem(slug), *_field_problems(offering)])
    try:
        with transaction.atomic():
            offering.save()
    except IntegrityError:  # taken between the check and the write
        raise OfferingError(
            "slug_taken", _("An offering with this slug or activity id exists."), field="slug"
        ) from None
    audit_record(
        actor=actor,
        action="offering.create",
        target=offering,
        summary=f"created {offering.title}",
        data={"slug": slug, "activity_id": offering.activity_id},
    )
    return offering


@transaction.atomic
def offering_update(*, actor: User | None, offering: Offering, **fields: Any) -> list[str]:
    """Change offering fields; returns the names of those that changed (none: nothing
    written or audited)."""
    _require_editor(actor)
    _unknown(fields)
    changed = [name for name, value in fields.items() if getattr(offering, name) != value]
    if not changed:
        return []
    # Checked on a copy: a refused change leaves the caller's offering as it was (the
    # form page shows its saved title).
    candidate = copy.copy(offering)
    for name in changed:
        setattr(candidate, name, fields[name])
    _refuse(_field_problems(candidate))
    for name in changed:
        setattr(offering, name, fields[name])
    offering.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action="offering.update",
        target=offering,
        summary=f"changed {', '.join(changed)}",
        data={name: _printable(fields[name]) for name in changed},
    )
    return changed


def offering_delete_problems(offering: Offering) -> list[str]:
    """Why ``offering`` cannot be deleted now (empty: it can)."""
    problems = []
    campaigns = list(offering.campaigns.order_by("name").values_list("name", flat=True))
    if campaigns:
        problems.append(
            _("Campaigns promote it: %(names)s. Link them to another offering first.")
            % {"names": ", ".join(campaigns)}
        )
    rules = rules_naming_offering(offering.slug)
    if rules:
        problems.append(
            _("Rules name it: %(names)s. Change those rules first.")
            % {"names": ", ".join(use.label for use in rules)}
        )
    return problems


@transaction.atomic
def offering_delete(*, actor: User | None, offering: Offering) -> None:
    """Delete an offering nothing uses (OfferingError ``in_use`` otherwise). Its events
    stay, without the offering."""
    _require_editor(actor)
    Offering.objects.select_for_update().filter(pk=offering.pk).first()
    problems = offering_delete_problems(offering)
    if problems:
        raise OfferingError("in_use", " ".join(problems))
    audit_record(
        actor=actor,
        action="offering.delete",
        target=offering,
        summary=f"deleted {offering.title}",
        data={"slug": offering.slug, "activity_id": offering.activity_id},
    )
    offering.delete()


@transaction.atomic
def offering_personas_set(
    *, actor: User | None, offering: Offering, wiifm: dict[int, str]
) -> list[str]:
    """Set what's in it for each persona (persona id → one line); personas left out or
    given an empty line lose theirs. Returns the names of the personas whose line
    changed."""
    _require_editor(actor)
    wanted = {pk: text.strip() for pk, text in wiifm.items() if text.strip()}
    current = dict(offering.persona_lines.values_list("persona_id", "wiifm"))
    changed_ids = {pk for pk in set(wanted) | set(current) if wanted.get(pk) != current.get(pk)}
    if not changed_ids:
        return []
    names = dict(Persona.objects.filter(pk__in=changed_ids).values_list("pk", "name"))
    unknown = changed_ids - set(names)
    if unknown:
        raise OfferingError("persona", _("One of the personas no longer exists."))
    for pk in changed_ids:
        if pk in wanted:
            OfferingPersona.objects.update_or_create(
                offering=offering, persona_id=pk, defaults={"wiifm": wanted[pk][:500]}
            )
        else:
            OfferingPersona.objects.filter(offering=offering, persona_id=pk).delete()
    changed = sorted(names[pk] for pk in changed_ids)
    audit_record(
        actor=actor,
        action="offering.personas",
        target=offering,
        summary=f"what's in it for me: {', '.join(changed)}",
        data={names[pk]: wanted.get(pk, "") for pk in changed_ids},
    )
    return changed


def _unknown(fields: dict[str, Any]) -> None:
    extra = sorted(set(fields) - OFFERING_FIELDS)
    if extra:
        raise TypeError(f"unknown fields: {', '.join(extra)}")
