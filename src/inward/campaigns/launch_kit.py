"""The external launch kit: the internal journey that goes with a customer launch.

Four touches timed from the external campaign's launch (so they move when it moves):
an early warning to the audience a week before, a manager briefing (talking points and a
calendar invite) three days before, the launch-day message, and a feedback request a week
after. Every generated touch is a normal touch: editable, approved like any other.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from inward.accounts.models import User
from inward.campaigns import scheduling
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import (
    Campaign,
    ExternalCampaign,
    KitRole,
    Recipients,
    Stage,
    Timing,
    Touch,
)
from inward.campaigns.services import _common
from inward.campaigns.services.campaigns import campaign_update
from inward.campaigns.services.touches import touch_create, variant_save
from inward.delivery.models import Channel, ChannelKind

_BRACE = re.compile(r"[{}]")


@dataclass(frozen=True)
class KitStep:
    role: str
    name: str
    stage: str
    days: int
    time: dt.time
    kinds: tuple[str, ...]  # channel kinds to use, first that exists
    recipients: str
    subject: str
    body: str


def _steps() -> list[KitStep]:
    # Words are English templates; the external name is filled in when generated (not a
    # Jinja variable: the whitelist has no such thing, and it does not change per person).
    return [
        KitStep(
            KitRole.EARLY_WARNING, _("Early warning"), Stage.AWARENESS, -7, dt.time(10, 0),
            (ChannelKind.EMAIL, ChannelKind.INTRANET), Recipients.AUDIENCE,
            _("Coming next week: %(name)s"),
            _("Hi {{ person.first_name }},\n\nNext week we launch **%(name)s** to our "
              "customers. You hear it here first, so you can answer their questions.\n\n"
              "{{ persona.wiifm }}"),
        ),
        KitStep(
            KitRole.MANAGER_BRIEFING, _("Manager briefing"), Stage.INTEREST, -3, dt.time(9, 0),
            (ChannelKind.CALENDAR, ChannelKind.EMAIL), Recipients.MANAGERS,
            _("Briefing for managers: %(name)s"),
            _("Hi {{ person.first_name }},\n\nBefore **%(name)s** launches, a short briefing "
              "so you can tell your team what changes.\n\nTalking points:\n\n"
              "- What launches, and when\n- What customers will ask, and what we answer\n"
              "- What changes for your team, and who to ask\n"),
        ),
        KitStep(
            KitRole.LAUNCH_DAY, _("Launch day"), Stage.ACTION, 0, dt.time(9, 0),
            (ChannelKind.INTRANET, ChannelKind.EMAIL), Recipients.AUDIENCE,
            _("Today: %(name)s is live"),
            _("Hi {{ person.first_name }},\n\n**%(name)s** is live for customers today. "
              "Thank you for being ready for it."),
        ),
        KitStep(
            KitRole.FEEDBACK, _("Feedback request"), Stage.ADVOCACY, 7, dt.time(10, 0),
            (ChannelKind.EMAIL, ChannelKind.INTRANET), Recipients.AUDIENCE,
            _("How did the %(name)s launch go for you?"),
            _("Hi {{ person.first_name }},\n\nA week after **%(name)s**: what did customers "
              "ask, and what did you miss? Reply to this message and tell us."),
        ),
    ]  # fmt: skip


def _channel_for(kinds: tuple[str, ...]) -> Channel:
    for kind in kinds:
        channel = Channel.objects.filter(kind=kind, enabled=True).order_by("pk").first()
        if channel is not None:
            return channel
    channel = Channel.objects.filter(enabled=True).order_by("pk").first()
    if channel is None:
        raise CampaignError("no_channel", _("Set up a channel before generating a launch kit."))
    return channel


def _literal(text: str) -> str:
    """``text`` as plain words inside a Jinja template: each brace becomes an expression
    printing it (``{{ '{' }}``), so ``{{``, ``{%`` and ``{#`` in a name are words, not
    template syntax. Not HTML entities: the subject is plain text, where ``&#123;``
    would be shown as is."""
    return _BRACE.sub(lambda brace: "{{ '" + brace.group() + "' }}", text)


@transaction.atomic
def launch_kit_generate(
    *,
    actor: User | None,
    campaign: Campaign,
    external: ExternalCampaign,
    channels: dict[str, Channel] | None = None,
) -> list[Touch]:
    """Link ``campaign`` to ``external`` and add the kit's touches it does not have yet
    (one per ``KitRole``; generating twice adds nothing). ``channels`` picks a channel per
    role; otherwise the first enabled channel of a fitting kind. Returns the new touches."""
    _common.require_editor(actor)
    _common.require_editable(campaign)
    if campaign.external_campaign_id != external.pk:
        campaign_update(actor=actor, campaign=campaign, external_campaign=external)
    have = set(campaign.touches.exclude(kit_role="").values_list("kit_role", flat=True))
    tz = scheduling.zone(campaign.time_zone)
    name = _literal(external.name)
    created = []
    for step in _steps():
        if step.role in have:
            continue
        channel = (channels or {}).get(step.role) or _channel_for(step.kinds)
        touch = touch_create(
            actor=actor, campaign=campaign, channel=channel, name=str(step.name),
            stage=step.stage, timing=Timing.EXTERNAL_LAUNCH, offset_days=step.days,
            send_time=step.time, recipients=step.recipients, kit_role=step.role,
            **_event(step, channel, external, tz),
        )  # fmt: skip
        variant_save(
            actor=actor, touch=touch, language="", persona=None,
            subject=step.subject % {"name": name}, body=step.body % {"name": name},
        )  # fmt: skip
        created.append(touch)
    _common.audit(
        actor, "launch_kit.generate", campaign, f"launch kit for {external.name}",
        external=external.pk, touches=[t.pk for t in created],
    )  # fmt: skip
    return created


def _event(
    step: KitStep, channel: Channel, external: ExternalCampaign, tz: ZoneInfo
) -> dict[str, object]:
    """A briefing on a calendar channel is a 30-minute event at the touch's send time
    (moved with the launch by ``external_campaign_move``)."""
    if step.role != KitRole.MANAGER_BRIEFING or channel.kind != ChannelKind.CALENDAR:
        return {}
    starts = scheduling.after_anchor(external.launch_at, days=step.days + 1, time=step.time, tz=tz)
    return {
        "event_starts_at": starts,
        "event_ends_at": starts + dt.timedelta(minutes=30),
        "event_location": _("Online"),
    }
