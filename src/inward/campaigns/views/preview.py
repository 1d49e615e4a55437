"""The variant preview: the words being edited, rendered for one person, with the message
check. Nothing is saved; template problems are shown with their line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from inward.audiences.models import Persona
from inward.audiences.privacy import rule_view
from inward.audiences.rules import RuleError
from inward.audiences.selectors import rule_people
from inward.campaigns.models import Campaign, CampaignPersona, Touch, Variant
from inward.campaigns.rendering import (
    RenderedMessage,
    TemplateProblem,
    compile_variant,
    message_context,
    variant_for,
)
from inward.campaigns.rendering.check import message_check
from inward.delivery.models import Preference
from inward.directory.models import Person
from inward.directory.selectors import person_for_user


def preview_context(
    request: HttpRequest, campaign: Campaign, data: Any, *, touch: Touch | None = None
) -> dict[str, Any]:
    """``preview_person``, and either ``problem`` (a TemplateProblem) or ``rendered``;
    ``check`` (the message check) whenever there is a subject or body. For a touch with
    test versions (A/B), ``preview_version`` is the one that person gets."""
    subject, body = str(data.get("subject", "")), str(data.get("body", ""))
    person = _person(request, campaign, data.get("preview_person"))
    wiifm = _wiifm(campaign, data.get("persona"))
    context: dict[str, Any] = {"preview_person": person, "campaign": campaign}
    if touch is not None and person is not None:
        context["preview_version"] = _version_for(touch, person)
    if not (subject.strip() or body.strip()):
        return context
    language = str(data.get("language", "")) or (person.language if person else "") or "en"
    context["check"] = message_check(subject=subject, body=body, language=language, wiifm=wiifm)
    try:
        compiled = compile_variant(subject=subject, body=body)
    except TemplateProblem as problem:
        context["problem"] = problem
        return context
    if person is not None:
        ctx = message_context(person=person, persona_wiifm=wiifm, campaign_name=campaign.name)
        try:
            context["rendered"] = compiled.render(ctx)
        except TemplateProblem as problem:
            context["problem"] = problem
    return context


def _version_for(touch: Touch, person: Person) -> Variant | None:
    """The test version (A, B, ...) of ``touch`` that ``person`` gets, chosen as the
    outbox chooses it (``delivery.materialise``); None when their words are not split."""
    variants = list(touch.variants.all())
    if not any(v.arm for v in variants):
        return None
    preferred = Preference.objects.filter(person=person).values_list("language", flat=True)
    try:
        chosen = variant_for(
            variants,
            language=preferred.first() or person.language or "",
            persona_id=_persona_of(variants, person),
            split_key=f"{touch.pk}:{person.pk}",
        )
    except LookupError:
        return None
    return chosen if chosen.arm else None


def _persona_of(variants: list[Variant], person: Person) -> int | None:
    """The first persona (by id, as the outbox does) with a variant here that ``person``
    is in, or None."""
    personas = Persona.objects.filter(
        pk__in={v.persona_id for v in variants if v.persona_id is not None},
        audience__isnull=False,
    ).select_related("audience")
    for persona in personas.order_by("pk"):
        assert persona.audience is not None
        try:
            if rule_people(rule=persona.audience.rule).filter(pk=person.pk).exists():
                return persona.pk
        except RuleError:
            continue  # a broken persona audience: the outbox refuses it, not the preview
    return None


@dataclass(frozen=True)
class Sample:
    """A saved variant as one reader would get it (``rendered``), or why it cannot be.
    ``yours``: the signed-in user gets this test version (A/B) of the touch."""

    variant: Variant
    rendered: RenderedMessage | None
    problem: str = ""
    yours: bool = False


def variant_samples(
    request: HttpRequest,
    touches: list[Touch],
    wiifm: dict[tuple[int, int], str],
    *,
    mark_yours: bool = False,
) -> dict[int, list[Sample]]:
    """Each touch's variants rendered for the signed-in user's record (else the first
    person in the directory), keyed by touch id. ``wiifm`` maps (campaign id, persona id)
    to the campaign's line for that persona. Variants are prefetched by the caller.
    ``mark_yours`` marks the version the user would get (a few queries per touch: for
    the touch page, not for the approval inbox's list)."""
    own = person_for_user(request.user)
    person = own or _anyone()
    samples: dict[int, list[Sample]] = {}
    for touch in touches:
        yours = _version_for(touch, own) if own is not None and mark_yours else None
        samples[touch.pk] = [
            _sample(variant, touch, person, wiifm, yours=variant == yours)
            for variant in touch.variants.all()
        ]
    return samples


def _sample(
    variant: Variant,
    touch: Touch,
    person: Person | None,
    wiifm: dict[tuple[int, int], str],
    *,
    yours: bool = False,
) -> Sample:
    if person is None:
        return Sample(variant, None)
    line = wiifm.get((touch.campaign_id, variant.persona_id or 0), "")
    ctx = message_context(person=person, persona_wiifm=line, campaign_name=touch.campaign.name)
    try:
        return Sample(
            variant,
            compile_variant(subject=variant.subject, body=variant.body).render(ctx),
            yours=yours,
        )
    except TemplateProblem as problem:
        return Sample(variant, None, problem.message, yours=yours)


def _anyone() -> Person | None:
    return Person.objects.select_related("department", "site", "manager").order_by("pk").first()


def _person(request: HttpRequest, campaign: Campaign, chosen: Any) -> Person | None:
    """The chosen person; else the signed-in user; else someone in the audience; else
    anyone. Not someone in an audience picked by what people did unless the viewer is an
    admin: showing who is in it would show what that person did."""
    people = Person.objects.select_related("department", "site", "manager")
    if str(chosen or "").isdigit() and (person := people.filter(pk=int(chosen)).first()):
        return person
    if person := person_for_user(request.user):
        return person
    if (
        campaign.audience is not None
        and not rule_view(request.user, campaign.audience.rule).private
    ):
        try:
            if member := rule_people(rule=campaign.audience.rule).first():
                return people.filter(pk=member.pk).first()
        except RuleError:
            pass  # a broken audience rule is shown on the audience page, not here
    return _anyone()


def _wiifm(campaign: Campaign, persona_id: Any) -> str:
    if not str(persona_id or "").isdigit():
        return ""
    row = CampaignPersona.objects.filter(campaign=campaign, persona_id=int(persona_id)).first()
    if row is not None and row.wiifm:
        return row.wiifm
    return Persona.objects.filter(pk=int(persona_id)).values_list("wiifm", flat=True).first() or ""
