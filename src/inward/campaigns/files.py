"""Campaigns as files: ``campaign_apply_file`` creates or updates a campaign from YAML.

The format is documented in ``docs/campaign-files.md``. Applying a file twice changes
nothing the second time. The file is read whole and every reference checked before
anything is written; then everything is written in one transaction, or nothing is.
Touches are matched to the campaign's touches by name (``name``, defaulting to ``key``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from inward.accounts.models import User
from inward.audiences import services as audience_services
from inward.audiences.models import Audience, Persona
from inward.audiences.rules import RuleError, parse_rule
from inward.audiences.rules.conditions import condition_rule_clean
from inward.campaigns import scheduling, services
from inward.campaigns.errors import CampaignError, CampaignFileError
from inward.campaigns.file_reading import Problems, Reader, join, load
from inward.campaigns.models import (
    Campaign,
    CampaignPersona,
    Condition,
    ExternalCampaign,
    OwnerTeam,
    Purpose,
    Recipients,
    Stage,
    Timing,
    Touch,
)
from inward.delivery.models import Channel
from inward.learning import services as offering_services
from inward.learning.errors import OfferingError
from inward.learning.models import Offering, OfferingKind

TOP_KEYS = {
    "slug", "name", "owner_team", "purpose", "goal", "brief", "learning_offering", "offering",
    "audience", "exclude", "starts", "ends", "time_zone", "personas", "external", "touches",
}  # fmt: skip
TOUCH_KEYS = {
    "key", "name", "channel", "stage", "at", "after_start", "after_launch", "after_previous",
    "local_time", "condition", "only_if", "recipients", "mandatory", "critical", "event",
    "variants",
}  # fmt: skip
# Test versions of an A/B test (``Variant.arm``).
ARMS = ("A", "B", "C", "D")
TIMINGS = {
    "at": Timing.ABSOLUTE,
    "after_start": Timing.CAMPAIGN_START,
    "after_launch": Timing.EXTERNAL_LAUNCH,
    "after_previous": Timing.AFTER_PREVIOUS,
}


@dataclass
class ApplyReport:
    """What applying a file did. ``changes`` is one line per change, in order."""

    slug: str
    created: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changes

    def summary(self) -> str:
        if self.unchanged:
            return f"campaign {self.slug}: unchanged"
        verb = "created" if self.created else "updated"
        return "\n".join([f"campaign {self.slug}: {verb}", *(f"  {c}" for c in self.changes)])


@dataclass
class VariantPlan:
    path: str
    language: str
    persona: Persona | None
    arm: str
    subject: str
    body: str


@dataclass
class TouchPlan:
    path: str
    key: str
    name: str
    fields: dict[str, Any]
    condition_key: str | None
    variants: list[VariantPlan]


@dataclass
class Plan:
    slug: str
    fields: dict[str, Any]
    audience_rule: str | None
    personas: list[tuple[str, Persona, str]]
    external: dict[str, Any] | None
    offering: dict[str, Any] | None
    touches: list[TouchPlan]


def campaign_apply_file(*, path_or_text: str | Path, actor: User | None) -> ApplyReport:
    """Create or update the campaign the file describes. Raises CampaignFileError (with
    every problem, each "path: message (line N)") and then nothing was written."""
    text = path_or_text.read_text("utf-8") if isinstance(path_or_text, Path) else path_or_text
    try:
        data, lines = load(text)
    except yaml.YAMLError as error:
        raise CampaignFileError([f"not valid YAML: {error}"]) from None
    problems = Problems(lines)
    plan = _plan(Reader(data, "", problems), problems)
    if problems:
        raise CampaignFileError(problems.items)
    with transaction.atomic():
        report = _Applier(plan, actor, problems).run()
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise CampaignFileError(problems.items)
    return report


def _plan(top: Reader, problems: Problems) -> Plan:
    top.known(TOP_KEYS)
    slug = top.text("slug", required=True)
    tz_name = top.text("time_zone", default="Europe/Amsterdam")
    try:
        tz = scheduling.zone(tz_name)
    except CampaignError as error:
        problems.add("time_zone", error.message)
        tz = ZoneInfo("UTC")
    goal, brief = top.child("goal"), top.child("brief")
    goal.known({"metric", "target"})
    brief.known({"channels", "engagement", "duration"})
    fields: dict[str, Any] = {
        "name": top.text("name", required=True),
        "owner_team": top.choice("owner_team", OwnerTeam.values),
        "purpose": top.choice("purpose", Purpose.values),
        "goal_metric": goal.text("metric"),
        "goal_target": goal.text("target"),
        "brief_channels": brief.text("channels"),
        "brief_engagement": brief.text("engagement"),
        "brief_duration": brief.text("duration"),
        "learning_offering": top.text("learning_offering"),
        "starts_at": top.moment("starts", tz),
        "ends_at": top.moment("ends", tz),
        "time_zone": tz_name,
        "exclusions": _exclusions(top, problems),
    }
    offering, offering_spec = _offering(top, problems)
    if offering is not None:
        fields["offering"] = offering
    audience, rule = _audience(top, problems)
    if audience is not None:
        fields["audience"] = audience
    return Plan(
        slug=slug,
        fields=fields,
        audience_rule=rule,
        personas=_personas(top, problems),
        external=_external(top, tz),
        offering=offering_spec,
        touches=_touches(top, problems, tz),
    )


def _audience(top: Reader, problems: Problems) -> tuple[Audience | None, str | None]:
    value = top.data.get("audience")
    if value is None:
        return None, None
    if isinstance(value, dict):
        inline = top.child("audience")
        inline.known({"rule"})
        return None, inline.text("rule", required=True)
    audience = Audience.objects.filter(slug=str(value)).first()
    if audience is None:
        problems.add("audience", f'no saved audience with slug "{value}"')
    return audience, None


OFFERING_KEYS = {
    "slug", "title", "kind", "description", "activity_id", "url", "starts_on", "ends_on",
}  # fmt: skip


def _offering(top: Reader, problems: Problems) -> tuple[Offering | None, dict[str, Any] | None]:
    """``offering: slug`` names one in the catalogue; ``offering: {slug, title, ...}``
    describes it, to be created (or its given fields updated) when the file is applied."""
    value = top.data.get("offering")
    if value is None:
        return None, None
    if isinstance(value, dict):
        entry = top.child("offering")
        entry.known(OFFERING_KEYS)
        spec: dict[str, Any] = {"slug": entry.text("slug", required=True)}
        for key in ("title", "activity_id"):
            spec[key] = entry.text(key, required=True)
        spec["kind"] = entry.choice("kind", OfferingKind.values)
        spec.update({key: entry.text(key) for key in ("description", "url") if entry.has(key)})
        spec.update({key: entry.day(key) for key in ("starts_on", "ends_on") if entry.has(key)})
        return None, spec
    slug = top.text("offering")
    offering = Offering.objects.filter(slug=slug).first()
    if offering is None:
        problems.add("offering", f'no learning offering with slug "{slug}"')
    return offering, None


def _exclusions(top: Reader, problems: Problems) -> list[Audience]:
    slugs = [str(slug) for slug in top.items("exclude")]
    found = {a.slug: a for a in Audience.objects.filter(slug__in=slugs)}
    for index, slug in enumerate(slugs):
        if slug not in found:
            problems.add(f"exclude[{index}]", f'no saved audience with slug "{slug}"')
    return [found[slug] for slug in slugs if slug in found]


def _persona(name: str, path: str, problems: Problems) -> Persona | None:
    persona = Persona.objects.filter(name=name).first()
    if persona is None:
        problems.add(path, f'no persona called "{name}"')
    return persona


def _personas(top: Reader, problems: Problems) -> list[tuple[str, Persona, str]]:
    result = []
    for index, item in enumerate(top.items("personas")):
        entry = Reader(item, f"personas[{index}]", problems)
        entry.known({"persona", "wiifm"})
        name = entry.text("persona", required=True)
        persona = _persona(name, join(entry.path, "persona"), problems) if name else None
        if persona is not None:
            result.append((entry.path, persona, entry.text("wiifm")))
    return result


def _external(top: Reader, tz: ZoneInfo) -> dict[str, Any] | None:
    if not top.has("external"):
        return None
    external = top.child("external")
    external.known({"slug", "name", "launch_at", "description"})
    return {
        "slug": external.text("slug", required=True),
        "name": external.text("name", required=True),
        "description": external.text("description"),
        "launch_at": external.moment("launch_at", tz, required=True),
    }


def _touches(top: Reader, problems: Problems, tz: ZoneInfo) -> list[TouchPlan]:
    plans: list[TouchPlan] = []
    keys: set[str] = set()
    channels = {c.slug: c for c in Channel.objects.all()}
    for index, item in enumerate(top.items("touches")):
        plan = _touch(Reader(item, f"touches[{index}]", problems), channels, tz)
        if plan.key in keys:
            problems.add(join(plan.path, "key"), f'"{plan.key}" is used by an earlier touch')
        if plan.condition_key is not None and plan.condition_key not in keys:
            problems.add(
                join(plan.path, "condition.touch"),
                f'no earlier touch with key "{plan.condition_key}"',
            )
        keys.add(plan.key)
        plans.append(plan)
    names = [p.name for p in plans]
    for plan in plans:
        if names.count(plan.name) > 1:
            problems.add(join(plan.path, "name"), f'two touches are called "{plan.name}"')
    return plans


def _touch(entry: Reader, channels: dict[str, Channel], tz: ZoneInfo) -> TouchPlan:
    entry.known(TOUCH_KEYS)
    problems = entry.problems
    key = entry.text("key", required=True)
    channel_slug = entry.text("channel", required=True)
    channel = channels.get(channel_slug)
    if channel is None and channel_slug:
        problems.add(join(entry.path, "channel"), f'no channel with slug "{channel_slug}"')
    fields: dict[str, Any] = {
        "channel": channel,
        "stage": entry.choice("stage", Stage.values, default=Stage.AWARENESS),
        "local_time": entry.flag("local_time"),
        "recipients": entry.choice("recipients", Recipients.values, default=Recipients.AUDIENCE),
        "mandatory": entry.flag("mandatory"),
        "critical": entry.flag("critical"),
        **_timing(entry, tz),
        **_event(entry, tz),
    }
    condition = entry.child("condition")
    condition_key = None
    if entry.has("condition"):
        condition.known({"if", "touch"})
        fields["condition"] = condition.choice("if", [c for c in Condition.values if c != "all"])
        condition_key = condition.text("touch", required=True)
    else:
        fields["condition"] = Condition.ALL
    if entry.has("only_if"):
        fields["condition_rule"] = _only_if(entry)
    return TouchPlan(
        path=entry.path,
        key=key,
        name=entry.text("name", default=key),
        fields=fields,
        condition_key=condition_key,
        variants=_variants(entry),
    )


def _only_if(entry: Reader) -> str:
    """The touch's condition rule as written; its syntax is checked now, the campaigns and
    offerings it names when it is applied (it may name the campaign the file creates)."""
    rule = entry.text("only_if")
    try:
        parse_rule(rule)
    except RuleError as error:
        entry.problems.add(
            join(entry.path, "only_if"), _rule_problem(error), line_in_value=error.line
        )
    return rule


def _rule_problem(error: RuleError) -> str:
    """A rule's mistake, placed within the rule (the line is added as the file's line)."""
    if error.column is None:
        return error.message
    return f"{error.message} (at column {error.column} of the rule)"


def _timing(entry: Reader, tz: ZoneInfo) -> dict[str, Any]:
    given = [key for key in TIMINGS if entry.has(key)]
    if len(given) != 1:
        entry.problems.add(entry.path, "say when, with one of: " + ", ".join(TIMINGS))
        return {}
    key = given[0]
    if key == "at":
        when = entry.moment("at", tz)
        return {"timing": Timing.ABSOLUTE, "send_at": when, "offset_days": 0, "send_time": None}
    relative = entry.child(key)
    relative.known({"days", "time"})
    return {
        "timing": TIMINGS[key],
        "send_at": None,
        "offset_days": relative.integer("days"),
        "send_time": relative.clock("time"),
    }


def _event(entry: Reader, tz: ZoneInfo) -> dict[str, Any]:
    event = entry.child("event")
    if not entry.has("event"):
        return {"event_starts_at": None, "event_ends_at": None, "event_location": ""}
    event.known({"starts", "ends", "location"})
    return {
        "event_starts_at": event.moment("starts", tz, required=True),
        "event_ends_at": event.moment("ends", tz, required=True),
        "event_location": event.text("location"),
    }


def _variants(entry: Reader) -> list[VariantPlan]:
    plans = []
    for index, item in enumerate(entry.items("variants")):
        variant = Reader(item, join(join(entry.path, "variants"), index), entry.problems)
        variant.known({"language", "persona", "arm", "subject", "body"})
        persona_name = variant.text("persona")
        persona = (
            _persona(persona_name, join(variant.path, "persona"), entry.problems)
            if persona_name
            else None
        )
        plans.append(
            VariantPlan(
                path=variant.path,
                language=variant.text("language"),
                persona=persona,
                arm=_arm(variant),
                subject=variant.text("subject", required=True),
                body=variant.text("body", required=True),
            )
        )
    return plans


def _arm(variant: Reader) -> str:
    """The optional test version, A to D ("a" is read as "A"); "" when not given."""
    arm = variant.text("arm").strip().upper()
    if arm and arm not in ARMS:
        variant.problems.add(join(variant.path, "arm"), f'"{arm}" is not one of: A, B, C, D')
        return ""
    return arm


def _variant_label(language: str, arm: str) -> str:
    return f"{language or 'fallback'}{f' version {arm}' if arm else ''}"


class _Failed:
    """What ``_Applier.attempt`` returns when the service refused."""


class _Reported(Exception):
    """A refusal already added to the problems, with its own path."""


FAILED = _Failed()


class _Applier:
    """Writes a checked plan through the services; a refusal becomes a problem at the
    path it came from (the caller rolls everything back then)."""

    def __init__(self, plan: Plan, actor: User | None, problems: Problems) -> None:
        self.plan, self.actor, self.problems = plan, actor, problems
        self.report = ApplyReport(slug=plan.slug)
        self.rule_changed = False

    def attempt(self, path: str, work: Callable[..., Any], **kwargs: Any) -> Any:
        """``work(**kwargs)`` in a savepoint; FAILED (and a problem at ``path``) if it
        was refused, so later parts are still checked."""
        try:
            with transaction.atomic():
                return work(**kwargs)
        except CampaignError as error:
            self._refused(path, error)
        except ValidationError as error:
            self.problems.add(path, " ".join(error.messages))
        except RuleError as error:
            self.problems.add(path, str(error))
        except _Reported:
            pass
        return FAILED

    def _refused(self, path: str, error: CampaignError) -> None:
        if error.code == "template" and error.field:
            # Point at the subject or body itself, and the line inside it.
            message = error.message.split(": ", 1)[-1]
            self.problems.add(join(path, error.field), message, line_in_value=error.line)
        else:
            self.problems.add(path, error.message)

    def run(self) -> ApplyReport:
        fields = dict(self.plan.fields)
        if self.plan.audience_rule is not None:
            fields["audience"] = self.attempt("audience.rule", self.inline_audience)
        if self.plan.external is not None:
            fields["external_campaign"] = self.attempt("external", self.external)
        if self.plan.offering is not None:
            fields["offering"] = self.attempt("offering", self.offering)
        if any(fields.get(k) is FAILED for k in ("audience", "external_campaign", "offering")):
            return self.report
        campaign = self.attempt("", self.campaign, fields=fields)
        if campaign is FAILED:
            return self.report
        if self.rule_changed and not self.report.created:
            self.attempt(
                "audience.rule", services.campaign_audience_changed,
                actor=self.actor, campaign=campaign,
            )  # fmt: skip
        self.personas(campaign)
        self.touches(campaign)
        return self.report

    def inline_audience(self) -> Audience:
        slug = f"{self.plan.slug}-audience"[:100]
        rule = self.plan.audience_rule or ""
        audience = Audience.objects.filter(slug=slug).first()
        if audience is None:
            self.report.changes.append(f"created audience {slug}")
            name = f"Audience of {self.plan.fields['name']}"
            return audience_services.audience_create(
                slug=slug, name=name, rule=rule, actor=self.actor
            )
        if audience.rule != audience_services.rule_canonical(rule=rule, slug=slug):
            audience_services.audience_update(
                audience=audience, name=audience.name, rule=rule,
                description=audience.description, actor=self.actor,
            )  # fmt: skip
            self.report.changes.append(f"changed the rule of audience {slug}")
            self.rule_changed = True
        return audience

    def external(self) -> ExternalCampaign:
        wanted = self.plan.external or {}
        external = ExternalCampaign.objects.filter(slug=wanted["slug"]).first()
        if external is None:
            self.report.changes.append(f"created external campaign {wanted['slug']}")
            return services.external_campaign_create(actor=self.actor, **wanted)
        changed = services.external_campaign_update(
            actor=self.actor, external=external, name=wanted["name"],
            description=wanted["description"], launch_at=wanted["launch_at"],
        )  # fmt: skip
        if changed:
            self.report.changes.append(f"external campaign: {', '.join(changed)}")
        return external

    def offering(self) -> Offering:
        """The offering the file describes: created, or the fields the file gives updated."""
        wanted = dict(self.plan.offering or {})
        slug = wanted.pop("slug")
        offering = Offering.objects.filter(slug=slug).first()
        try:
            if offering is None:
                self.report.changes.append(f"created learning offering {slug}")
                return offering_services.offering_create(actor=self.actor, slug=slug, **wanted)
            changed = offering_services.offering_update(
                actor=self.actor, offering=offering, **wanted
            )
        except OfferingError as error:
            path = join("offering", error.field) if error.field else "offering"
            self.problems.add(path, error.message)
            raise _Reported from None
        if changed:
            self.report.changes.append(f"learning offering {slug}: {', '.join(changed)}")
        return offering

    def campaign(self, fields: dict[str, Any]) -> Campaign:
        campaign = Campaign.objects.filter(slug=self.plan.slug).first()
        if campaign is None:
            self.report.created = True
            wanted = {k: v for k, v in fields.items() if v is not None}
            return services.campaign_create(actor=self.actor, slug=self.plan.slug, **wanted)
        # What the file leaves out, it means to be empty.
        fields.setdefault("audience", None)
        fields.setdefault("external_campaign", None)
        if campaign.offering_id is not None:
            fields.setdefault("offering", None)
        changed = services.campaign_update(actor=self.actor, campaign=campaign, **fields)
        if changed:
            self.report.changes.append(f"changed {', '.join(changed)}")
        return campaign

    def personas(self, campaign: Campaign) -> None:
        kept = set()
        for path, persona, wiifm in self.plan.personas:
            kept.add(persona.pk)
            changed = self.attempt(
                path, services.campaign_persona_set,
                actor=self.actor, campaign=campaign, persona=persona, wiifm=wiifm,
            )  # fmt: skip
            if changed is True:
                self.report.changes.append(f"wiifm of {persona.name}")
        stale = CampaignPersona.objects.filter(campaign=campaign).exclude(persona__in=kept)
        for row in stale.select_related("persona"):
            services.campaign_persona_remove(
                actor=self.actor, campaign=campaign, persona=row.persona
            )
            self.report.changes.append(f"removed persona {row.persona.name}")

    def touches(self, campaign: Campaign) -> None:
        existing = {t.name: t for t in campaign.touches.all()}
        by_key: dict[str, Touch] = {}
        for plan in self.plan.touches:
            condition = by_key.get(plan.condition_key) if plan.condition_key else None
            touch = self.attempt(
                plan.path, self.touch,
                campaign=campaign, touch=existing.get(plan.name), plan=plan, condition=condition,
            )  # fmt: skip
            if touch is not FAILED:
                by_key[plan.key] = touch
                self.variants(touch, plan)
        wanted = {plan.name for plan in self.plan.touches}
        for name, touch in existing.items():
            if name in wanted:
                continue
            if (
                self.attempt("touches", services.touch_delete, actor=self.actor, touch=touch)
                is None
            ):
                self.report.changes.append(f"removed touch {name}")
        self.order(campaign, [by_key[p.key] for p in self.plan.touches if p.key in by_key])

    def touch(
        self, *, campaign: Campaign, touch: Touch | None, plan: TouchPlan, condition: Touch | None
    ) -> Touch:
        fields = {**plan.fields, "condition_touch": condition}
        if "condition_rule" in fields:
            fields["condition_rule"] = self.only_if(plan, fields["condition_rule"])
        elif touch is not None and touch.condition_rule:
            fields["condition_rule"] = ""  # left out of the file: no condition rule
        if touch is None:
            self.report.changes.append(f"added touch {plan.name}")
            return services.touch_create(
                actor=self.actor, campaign=campaign, name=plan.name, **fields
            )
        changed = services.touch_update(actor=self.actor, touch=touch, **fields)
        if changed:
            self.report.changes.append(f"touch {plan.name}: {', '.join(changed)}")
        return touch

    def only_if(self, plan: TouchPlan, rule: str) -> str:
        """The canonical text of a touch's ``only_if`` rule, checked now that the campaign
        exists; a mistake is a problem at ``touches[N].only_if``."""
        try:
            return condition_rule_clean(rule)
        except RuleError as error:
            path = join(plan.path, "only_if")
            self.problems.add(path, _rule_problem(error), line_in_value=error.line)
            raise _Reported from None

    def variants(self, touch: Touch, plan: TouchPlan) -> None:
        before = {(v.language, v.persona_id, v.arm): v for v in touch.variants.all()}
        for wanted in plan.variants:
            persona_id = wanted.persona.pk if wanted.persona else None
            old = before.pop((wanted.language, persona_id, wanted.arm), None)
            saved = self.attempt(
                wanted.path, services.variant_save,
                actor=self.actor, touch=touch, language=wanted.language, persona=wanted.persona,
                subject=wanted.subject, body=wanted.body, arm=wanted.arm,
            )  # fmt: skip
            same = old is not None and (old.subject, old.body) == (wanted.subject, wanted.body)
            if saved is not FAILED and not same:
                label = _variant_label(wanted.language, wanted.arm)
                self.report.changes.append(f"touch {plan.name}: words for {label}")
        # Removed last: dropping version A of a fallback is allowed once version B is in.
        for old in before.values():
            path = join(plan.path, "variants")
            if self.attempt(path, services.variant_delete, actor=self.actor, variant=old) is None:
                label = _variant_label(old.language, old.arm)
                self.report.changes.append(f"touch {plan.name}: removed words for {label}")

    def order(self, campaign: Campaign, touches: list[Touch]) -> None:
        current = list(campaign.touches.order_by("position", "id").values_list("pk", flat=True))
        wanted = [t.pk for t in touches]
        if current == wanted or sorted(current) != sorted(wanted):
            return
        self.attempt(
            "touches", services.touches_reorder, actor=self.actor, campaign=campaign, order=wanted
        )
        self.report.changes.append("reordered the touches")
