"""Writes for audiences and personas. Rules are checked and stored in canonical text."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from inward.accounts.models import User
from inward.audiences.models import Audience, Persona
from inward.audiences.rules import parse_rule, rule_to_text
from inward.audiences.selectors import audience_users, rule_context

log = logging.getLogger("inward.audiences")


def rule_canonical(*, rule: str, slug: str | None = None) -> str:
    """The canonical text of a rule that parses and compiles, saved audiences included.

    Raises RuleSyntaxError or RuleError (unknown field, unknown audience, a cycle through
    ``in_audience`` back to ``slug``).
    """
    node = parse_rule(rule)
    rule_context(slug=slug).rule_q(node)
    return rule_to_text(node)


# Path segments under /audiences/ that an audience slug would shadow.
RESERVED_SLUGS = frozenset({"new", "count", "builder", "personas"})


def _check_slug(slug: str) -> None:
    validate_slug(slug)
    if slug in RESERVED_SLUGS:
        raise ValidationError(f'the slug "{slug}" is reserved', code="slug_reserved")
    if len(slug) > Audience._meta.get_field("slug").max_length:  # type: ignore[operator]
        raise ValidationError("the slug is too long", code="slug_too_long")


def _check_name(name: str) -> None:
    if not name.strip():
        raise ValidationError("an audience needs a name", code="name_missing")
    if len(name) > Audience._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError("the name is too long", code="name_too_long")


def _actor_name(actor: User | None) -> str:
    return actor.username if actor is not None else "system"


@transaction.atomic
def audience_create(
    *, slug: str, name: str, rule: str, description: str = "", actor: User | None
) -> Audience:
    _check_slug(slug)
    _check_name(name)
    if Audience.objects.filter(slug=slug).exists():
        raise ValidationError(f'an audience with slug "{slug}" exists', code="slug_taken")
    audience = Audience.objects.create(
        slug=slug,
        name=name,
        description=description,
        rule=rule_canonical(rule=rule, slug=slug),
        created_by=actor,
    )
    log.info("audience.create %s by %s", slug, _actor_name(actor))
    return audience


@transaction.atomic
def audience_update(
    *, audience: Audience, name: str, rule: str, description: str, actor: User | None
) -> Audience:
    _check_name(name)
    audience.rule = rule_canonical(rule=rule, slug=audience.slug)
    audience.name = name
    audience.description = description
    audience.save(update_fields=["rule", "name", "description", "updated_at"])
    log.info("audience.update %s by %s", audience.slug, _actor_name(actor))
    return audience


@transaction.atomic
def audience_delete(*, audience: Audience, actor: User | None) -> None:
    """Delete an audience no other audience refers to (ValidationError otherwise)."""
    users = audience_users(slug=audience.slug)
    if users:
        raise ValidationError(
            f"audience {audience.slug} is used by {', '.join(users)}", code="audience_in_use"
        )
    audience.delete()
    log.info("audience.delete %s by %s", audience.slug, _actor_name(actor))


def persona_create(
    *,
    name: str,
    needs: str = "",
    pain_points: str = "",
    wiifm: str = "",
    audience: Audience | None = None,
    actor: User | None,
) -> Persona:
    persona = Persona.objects.create(
        name=name, needs=needs, pain_points=pain_points, wiifm=wiifm, audience=audience
    )
    log.info("persona.create %s by %s", persona.pk, _actor_name(actor))
    return persona


def persona_update(
    *,
    persona: Persona,
    name: str,
    needs: str,
    pain_points: str,
    wiifm: str,
    audience: Audience | None,
    actor: User | None,
) -> Persona:
    persona.name, persona.needs, persona.pain_points = name, needs, pain_points
    persona.wiifm, persona.audience = wiifm, audience
    persona.save()
    log.info("persona.update %s by %s", persona.pk, _actor_name(actor))
    return persona


def persona_delete(*, persona: Persona, actor: User | None) -> None:
    log.info("persona.delete %s by %s", persona.pk, _actor_name(actor))
    persona.delete()
