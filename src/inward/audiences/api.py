"""/api/v1/audiences: saved audiences, live counts and explanations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.accounts.models import User
from inward.api import ApiError
from inward.audiences import services
from inward.audiences.models import Audience
from inward.audiences.privacy import rule_view
from inward.audiences.rules import rule_from_json, rule_to_text
from inward.audiences.rules.explain import Explanation
from inward.audiences.selectors import (
    audience_by_slug,
    audience_list,
    rule_count,
    rule_explain,
    rules_count,
    saved_audience_rules,
)
from inward.directory.selectors import person_by_email

router = Router(tags=["audiences"])


class AudienceOut(Schema):
    slug: str
    name: str
    description: str
    rule: str
    count: int | None = Field(
        description=(
            "People the rule picks now; null when the saved rule no longer works, or when "
            "it is hidden (see fewer_than)."
        )
    )
    fewer_than: int | None = Field(
        default=None,
        description=(
            "Set when the rule uses what people did (opened, clicked, enrolled, completed) "
            "and the count is under the minimum group size: only admins see it exactly."
        ),
    )


class AudienceIn(Schema):
    slug: str
    name: str
    description: str = ""
    rule: str | None = None
    rule_json: dict[str, Any] | None = None


class AudienceChange(Schema):
    name: str
    description: str = ""
    rule: str | None = None
    rule_json: dict[str, Any] | None = None


class RuleIn(Schema):
    rule: str | None = None
    rule_json: dict[str, Any] | None = None


class CountOut(Schema):
    # Null, with fewer_than set, for a behaviour rule's small count (admins see it).
    count: int | None
    fewer_than: int | None = None


class ExplanationOut(Schema):
    text: str
    matched: bool
    children: list[ExplanationOut]
    note: str = ""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _rule_text(body: RuleIn | AudienceIn | AudienceChange) -> str:
    """The rule from ``rule`` (text) or ``rule_json``; exactly one must be given."""
    if (body.rule is None) == (body.rule_json is None):
        raise ApiError(400, "rule_missing", 'Give either "rule" or "rule_json".')
    if body.rule_json is not None:
        return rule_to_text(rule_from_json(body.rule_json))
    assert body.rule is not None
    return body.rule


def _out(
    user: AnyUser,
    audience: Audience,
    count: int | None,
    audience_rules: Mapping[str, str] | None = None,
) -> AudienceOut:
    """``count`` is None when the saved rule no longer works (an audience it uses is gone);
    a behaviour rule's small count is hidden from non-admins (``audiences.privacy``)."""
    view = rule_view(user, audience.rule, audience_rules=audience_rules)
    shown = None if count is None else view.count(count)
    return AudienceOut(
        slug=audience.slug,
        name=audience.name,
        description=audience.description,
        rule=audience.rule,
        count=shown,
        fewer_than=view.minimum if count is not None and shown is None else None,
    )


def _counted(user: AnyUser, audience: Audience) -> AudienceOut:
    return _out(user, audience, rules_count(rules=[audience.rule])[0])


def _audience(slug: str) -> Audience:
    audience = audience_by_slug(slug=slug)
    if audience is None:
        raise Http404
    return audience


@router.get("/", response=list[AudienceOut])
def list_audiences(request: HttpRequest) -> list[AudienceOut]:
    access.require(access.can_read_audiences(request.user))
    audiences = list(audience_list())
    counts = rules_count(rules=[audience.rule for audience in audiences])
    pairs = zip(audiences, counts, strict=True)
    known = saved_audience_rules()
    return [_out(request.user, audience, count, known) for audience, count in pairs]


@router.post("/", response={201: AudienceOut})
def create_audience(request: HttpRequest, body: AudienceIn) -> Status[AudienceOut]:
    access.require(access.can_edit_audiences(request.user))
    audience = services.audience_create(
        slug=body.slug,
        name=body.name,
        rule=_rule_text(body),
        description=body.description,
        actor=_user(request),
    )
    return Status(201, _counted(request.user, audience))


@router.post("/count", response=CountOut)
def count_rule(request: HttpRequest, body: RuleIn) -> CountOut:
    access.require(access.can_read_audiences(request.user))
    rule = _rule_text(body)
    count = rule_count(rule=rule)
    view = rule_view(request.user, rule)
    shown = view.count(count)
    return CountOut(count=shown, fewer_than=view.minimum if shown is None else None)


@router.get("/{slug}", response=AudienceOut)
def get_audience(request: HttpRequest, slug: str) -> AudienceOut:
    access.require(access.can_read_audiences(request.user))
    return _counted(request.user, _audience(slug))


@router.put("/{slug}", response=AudienceOut)
def update_audience(request: HttpRequest, slug: str, body: AudienceChange) -> AudienceOut:
    access.require(access.can_edit_audiences(request.user))
    audience = _audience(slug)
    services.audience_update(
        audience=audience,
        name=body.name,
        rule=_rule_text(body),
        description=body.description,
        actor=_user(request),
    )
    return _counted(request.user, audience)


@router.delete("/{slug}", response={204: None})
def delete_audience(request: HttpRequest, slug: str) -> Status[None]:
    access.require(access.can_edit_audiences(request.user))
    services.audience_delete(audience=_audience(slug), actor=_user(request))
    return Status(204, None)


@router.get("/{slug}/explain", response=ExplanationOut)
def explain_audience(request: HttpRequest, slug: str, email: str) -> Explanation:
    access.require(access.can_read_audiences(request.user))
    audience = _audience(slug)
    if rule_view(request.user, audience.rule).private:
        raise ApiError(
            403,
            "behaviour_private",
            "This rule uses what people did; only admins can ask why someone is in or out.",
        )
    person = person_by_email(email=email)
    if person is None:
        raise ApiError(404, "person_not_found", f"No one in the directory has the address {email}.")
    return rule_explain(rule=audience.rule, person=person)
