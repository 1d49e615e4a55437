"""Campaign writes: create, edit the brief, submit, launch, cancel, and the worker's
status moves. Status changes go through ``inward.campaigns.states``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inward.accounts.models import User
from inward.audiences.models import Audience, Persona
from inward.campaigns import scheduling
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import (
    ApprovalStatus,
    Blackout,
    Campaign,
    CampaignPersona,
    CampaignStatus,
    OwnerTeam,
    Purpose,
    Touch,
)
from inward.campaigns.services import _common
from inward.campaigns.services.calendar_invites import calendar_resend
from inward.campaigns.services.review import campaign_reopen, require_not_running, review_settle
from inward.campaigns.states import campaign_transition, transition_check
from inward.delivery.models import ChannelKind, Delivery, DeliveryStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Fields campaign_create and campaign_update accept (besides ``exclusions``).
CAMPAIGN_FIELDS = frozenset(
    {
        "name",
        "owner_team",
        "purpose",
        "audience",
        "offering",
        "learning_offering",
        "external_campaign",
        "starts_at",
        "ends_at",
        "time_zone",
        "brief_channels",
        "brief_engagement",
        "goal_metric",
        "goal_target",
        "brief_duration",
    }
)
# A change to one of these moves the touches.
TIMING_FIELDS = frozenset({"starts_at", "time_zone", "external_campaign"})
# A change to one of these changes what recipients get (who, when, the words of
# ``{{ campaign.name }}``): channel owners review it again.
REVIEWED_FIELDS: dict[str, StrOrPromise] = {
    "name": gettext_lazy("name"),
    "audience": gettext_lazy("audience"),
    "exclusions": gettext_lazy("exclusions"),
    "starts_at": gettext_lazy("start"),
    "ends_at": gettext_lazy("end"),
    "time_zone": gettext_lazy("time zone"),
    "external_campaign": gettext_lazy("external campaign"),
}


def _check_slug(slug: str) -> None:
    try:
        validate_slug(slug)
    except ValidationError:
        raise CampaignError(
            "slug_invalid", _("A slug has only letters, digits, hyphens and underscores.")
        ) from None
    if len(slug) > 100:
        raise CampaignError("slug_invalid", _("The slug is too long."))
    if Campaign.objects.filter(slug=slug).exists():
        raise CampaignError(
            "slug_taken", _('A campaign with the slug "%(slug)s" exists.') % {"slug": slug}
        )


def _check_fields(campaign: Campaign) -> None:
    if not campaign.name.strip():
        raise CampaignError("name_missing", _("A campaign needs a name."))
    if campaign.owner_team not in OwnerTeam.values:
        raise CampaignError("owner_team", _("Choose an owner team."))
    if campaign.purpose not in Purpose.values:
        raise CampaignError("purpose", _("Choose a purpose."))
    scheduling.zone(campaign.time_zone)
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        raise CampaignError("dates", _("The campaign must end after it starts."))


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    slug: str,
    name: str,
    owner_team: str,
    purpose: str,
    **fields: Any,
) -> Campaign:
    """A new draft campaign. ``fields`` are any of ``CAMPAIGN_FIELDS`` and ``exclusions``
    (audiences)."""
    _common.require_editor(actor)
    exclusions: Iterable[Audience] = fields.pop("exclusions", None) or ()
    _common.unknown_fields(fields, CAMPAIGN_FIELDS)
    _check_slug(slug)
    campaign = Campaign(
        slug=slug, name=name, owner_team=owner_team, purpose=purpose, created_by=actor, **fields
    )
    _check_fields(campaign)
    campaign.save()
    campaign.exclusions.set(list(exclusions))
    _common.audit(actor, "campaign.create", campaign, f"created {campaign.name}")
    return campaign


@transaction.atomic
def campaign_update(
    *,
    actor: User | None,
    campaign: Campaign,
    **fields: Any,
) -> list[str]:
    """Change campaign fields (``CAMPAIGN_FIELDS``; ``exclusions=[...]`` replaces the list).

    Returns the names of what changed (empty: nothing was written, nothing audited, even
    for a campaign past editing). A change of start, time zone or external campaign moves
    the touches. A change to what recipients get (``REVIEWED_FIELDS``) needs every touch
    approved again and sends an approved or scheduled campaign back to review; once the
    campaign runs it is refused. Locks the campaign row.
    """
    _common.require_editor(actor)
    exclusions: Iterable[Audience] | None = fields.pop("exclusions", None)
    _common.unknown_fields(fields, CAMPAIGN_FIELDS)
    fields = {name: value for name, value in fields.items() if getattr(campaign, name) != value}
    new_exclusions = _exclusions_change(campaign, exclusions)
    if not fields and new_exclusions is None:
        return []
    _common.lock_campaign(campaign)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        _common.require_editable(campaign)
    touched = {*fields, *(["exclusions"] if new_exclusions is not None else [])}
    reviewed = [name for name in REVIEWED_FIELDS if name in touched]
    if reviewed:
        require_not_running(campaign, ", ".join(str(REVIEWED_FIELDS[n]) for n in reviewed))
    changed = _common.assign(campaign, fields)
    _check_fields(campaign)
    # updated_at moves for the exclusions too: approvers' versions notice it.
    campaign.save(update_fields=[*changed, "updated_at"])
    if new_exclusions is not None:
        campaign.exclusions.set(new_exclusions)
        changed.append("exclusions")
    data = {name: _common.printable(fields.get(name)) for name in changed}
    _common.audit(actor, "campaign.update", campaign, f"changed {', '.join(changed)}", **data)
    if TIMING_FIELDS & set(changed):
        campaign_reschedule(campaign=campaign)
    if reviewed:
        campaign_reopen(actor=actor, campaign=campaign, summary=f"changed {', '.join(reviewed)}")
    return changed


def _exclusions_change(
    campaign: Campaign, exclusions: Iterable[Audience] | None
) -> list[int] | None:
    """The audience ids to exclude, or None when ``exclusions`` leaves them as they are."""
    if exclusions is None:
        return None
    wanted = {audience.pk for audience in exclusions}
    if wanted == set(campaign.exclusions.values_list("pk", flat=True)):
        return None
    return sorted(wanted)


@transaction.atomic
def campaign_persona_set(
    *, actor: User | None, campaign: Campaign, persona: Persona, wiifm: str
) -> bool:
    """Write the what's-in-it-for-me of ``persona`` in this campaign; True if it changed.

    Messages carry it (``{{ persona.wiifm }}``): a change needs the touches approved
    again, like ``campaign_update``'s reviewed fields, and is refused once running."""
    _common.require_editor(actor)
    row = CampaignPersona.objects.filter(campaign=campaign, persona=persona).first()
    if row is not None and row.wiifm == wiifm:
        return False
    _common.lock_campaign(campaign)
    require_not_running(campaign, _("what's-in-it-for-me"))
    if row is None:
        CampaignPersona.objects.create(campaign=campaign, persona=persona, wiifm=wiifm)
    else:
        row.wiifm = wiifm
        row.save(update_fields=["wiifm", "updated_at"])
    _common.audit(
        actor, "campaign.persona", campaign, f"wiifm for {persona.name}", persona=persona.pk
    )
    campaign_reopen(actor=actor, campaign=campaign, summary=f"changed wiifm of {persona.name}")
    return True


@transaction.atomic
def campaign_persona_remove(*, actor: User | None, campaign: Campaign, persona: Persona) -> None:
    """Drop ``persona``'s what's-in-it-for-me; like ``campaign_persona_set``, the touches
    need approval again, and a running campaign refuses."""
    _common.require_editor(actor)
    rows = CampaignPersona.objects.filter(campaign=campaign, persona=persona)
    if not rows.exists():
        return
    _common.lock_campaign(campaign)
    require_not_running(campaign, _("what's-in-it-for-me"))
    rows.delete()
    _common.audit(
        actor, "campaign.persona_remove", campaign, f"removed {persona.name}", persona=persona.pk
    )
    campaign_reopen(actor=actor, campaign=campaign, summary=f"removed wiifm of {persona.name}")


@transaction.atomic
def campaign_audience_changed(*, actor: User | None, campaign: Campaign) -> None:
    """The rule of the campaign's own audience changed (a campaign file's inline rule):
    who gets the messages changed, as with a new ``audience`` in ``campaign_update``."""
    _common.require_editor(actor)
    _common.lock_campaign(campaign)
    require_not_running(campaign, str(REVIEWED_FIELDS["audience"]))
    campaign_reopen(actor=actor, campaign=campaign, summary="changed the audience rule")


def campaign_brief_missing(campaign: Campaign) -> list[str]:
    """Translated labels of the parts of the strategy brief that are still empty."""
    checks = [
        (campaign.brief_channels, _("Channels this audience uses")),
        (campaign.brief_engagement, _("Who engages today")),
        (campaign.goal_metric, _("Goal metric")),
        (campaign.goal_target, _("Goal target")),
        (campaign.starts_at, _("Start date")),
        (campaign.ends_at, _("End date")),
        (campaign.brief_duration, _("Why it runs this long")),
    ]
    missing = [label for value, label in checks if not (str(value).strip() if value else "")]
    has_wiifm = (
        CampaignPersona.objects.filter(campaign=campaign).exclude(wiifm__regex=r"^\s*$").exists()
    )
    if not has_wiifm:
        missing.append(_("What's in it for at least one persona"))
    return missing


def campaign_submit_problems(campaign: Campaign) -> list[str]:
    """Why the campaign cannot go to review yet (empty when it can)."""
    problems = [_("Brief: %(part)s") % {"part": p} for p in campaign_brief_missing(campaign)]
    if campaign.audience_id is None:
        problems.append(_("Choose an audience."))
    touches = list(campaign.touches.filter(cancelled_at__isnull=True).select_related("channel"))
    if not touches:
        problems.append(_("Add at least one touch."))
    with_fallback = set(
        campaign.touches.filter(variants__language="", variants__persona__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for touch in touches:
        if touch.pk not in with_fallback:
            problems.append(
                _("Touch “%(name)s” needs a fallback message (no language, no persona).")
                % {"name": touch.name}
            )
        if touch.channel.kind == ChannelKind.CALENDAR and not (
            touch.event_starts_at and touch.event_ends_at
        ):
            problems.append(
                _("Touch “%(name)s” is a calendar invite and needs an event start and end.")
                % {"name": touch.name}
            )
    return problems


@transaction.atomic
def campaign_submit(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Draft → in review. Refused (CampaignError "incomplete") while the brief has gaps,
    there are no touches, or a touch lacks a fallback variant."""
    _common.require_editor(actor)
    transition_check(campaign, "submit")
    problems = campaign_submit_problems(campaign)
    if problems:
        raise CampaignError("incomplete", " ".join(problems))
    campaign_transition(campaign=campaign, action="submit", actor=actor)
    # Touches approved before (a campaign sent back to draft) need no second look.
    review_settle(campaign=campaign, actor=actor)
    return campaign


def _blackout_days(campaign: Campaign, touches: list[Touch]) -> dict[int, Blackout]:
    tz = scheduling.zone(campaign.time_zone)
    days = {t.pk: t.scheduled_at.astimezone(tz).date() for t in touches if t.scheduled_at}
    blackouts = {b.date: b for b in Blackout.objects.filter(date__in=set(days.values()))}
    return {pk: blackouts[day] for pk, day in days.items() if day in blackouts}


@transaction.atomic
def campaign_launch(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Approved → scheduled: fixes every touch's time; the scheduler does the rest.

    Refused when a touch has no time, or falls on a blackout day and is not mandatory.
    Touches whose time has passed go out on the scheduler's next tick.
    """
    _common.require_editor(actor)
    _common.lock_campaign(campaign)
    transition_check(campaign, "launch")
    if campaign.audience_id is None:
        raise CampaignError("incomplete", _("Choose an audience."))
    touches = _journey(campaign)
    if not touches:
        raise CampaignError("incomplete", _("Add at least one touch."))
    not_approved = [t.name for t in touches if t.approval_status != ApprovalStatus.APPROVED]
    if not_approved:
        raise CampaignError(
            "not_approved",
            _("Not approved yet: %(names)s.") % {"names": ", ".join(not_approved)},
        )
    _fix_times(campaign, touches)
    _refuse_blackouts(campaign, touches)
    campaign_transition(campaign=campaign, action="launch", actor=actor)
    return campaign


def _journey(campaign: Campaign) -> list[Touch]:
    return list(
        campaign.touches.filter(cancelled_at__isnull=True)
        .select_related("channel")
        .order_by("position", "id")
    )


def _fix_times(campaign: Campaign, touches: list[Touch]) -> None:
    times = scheduling.journey_times(campaign, touches)
    for touch in touches:
        if times[touch.pk] is None:
            raise CampaignError(
                "timing",
                _("Touch “%(name)s” has no time: %(why)s.")
                % {"name": touch.name, "why": scheduling.timing_problem(touch)},
            )
        touch.scheduled_at = times[touch.pk]
    Touch.objects.bulk_update(touches, ["scheduled_at"])


def _refuse_blackouts(campaign: Campaign, touches: list[Touch]) -> None:
    hits = _blackout_days(campaign, [t for t in touches if not t.mandatory])
    if hits:
        names = [
            f"{t.name} ({hits[t.pk].date.isoformat()}: {hits[t.pk].reason})"
            for t in touches
            if t.pk in hits
        ]
        raise CampaignError(
            "blackout",
            _("These touches fall on blackout days; move them or make them mandatory: %(l)s.")
            % {"l": "; ".join(names)},
        )


@transaction.atomic
def campaign_cancel(*, actor: User | None, campaign: Campaign) -> int:
    """Stop a campaign: waiting deliveries are cancelled (one UPDATE), touches are marked
    cancelled, and calendar invites already sent get a cancellation (a new generation of
    deliveries the sender sends as METHOD:CANCEL). Returns how many deliveries it
    cancelled. Deliveries being sent right now finish."""
    _common.require_editor(actor)
    _common.lock_campaign(campaign)
    transition_check(campaign, "cancel")
    now = timezone.now()
    cancelled = Delivery.objects.filter(
        touch__campaign=campaign, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, updated_at=now)
    campaign.touches.filter(cancelled_at__isnull=True).update(cancelled_at=now, updated_at=now)
    invites = campaign.touches.filter(channel__kind=ChannelKind.CALENDAR).select_related("channel")
    withdrawn = sum(calendar_resend(touch=touch, due_at=now) for touch in invites)
    campaign_transition(
        campaign=campaign,
        action="cancel",
        actor=actor,
        summary=f"cancelled {cancelled} waiting deliveries; {withdrawn} invites withdrawn",
    )
    return cancelled


def campaign_mark_running(*, campaign: Campaign, actor: User | None = None) -> Campaign:
    """Scheduled → running (the scheduler, when the first touch goes out). A campaign that
    is running already is left as it is. Reads the status under the campaign's lock: one
    sent back to review meanwhile is refused (CampaignError), not overwritten."""
    with transaction.atomic():
        _common.lock_campaign(campaign)
        if campaign.status == CampaignStatus.RUNNING:
            return campaign
        return campaign_transition(campaign=campaign, action="run", actor=actor)


def campaign_mark_completed(*, campaign: Campaign, actor: User | None = None) -> Campaign:
    """Scheduled or running → completed (the scheduler, when every touch went out).
    A completed campaign is left as it is. Reads the status under the campaign's lock."""
    with transaction.atomic():
        _common.lock_campaign(campaign)
        if campaign.status == CampaignStatus.COMPLETED:
            return campaign
        return campaign_transition(campaign=campaign, action="complete", actor=actor)


def campaign_reschedule(*, campaign: Campaign) -> int:
    """Resolve every touch's ``scheduled_at`` again; touches already written to the outbox
    keep theirs. Returns how many touches moved."""
    touches = list(campaign.touches.order_by("position", "id"))
    times = scheduling.journey_times(campaign, touches)
    moved = [
        touch
        for touch in touches
        if touch.materialised_at is None and _set_time(touch, times[touch.pk])
    ]
    Touch.objects.bulk_update(moved, ["scheduled_at"])
    return len(moved)


def _set_time(touch: Touch, when: dt.datetime | None) -> bool:
    if touch.scheduled_at == when:
        return False
    touch.scheduled_at = when
    return True


def touch_reschedule(*, touch: Touch) -> Touch:
    """Resolve ``touch``'s time (its whole journey, since later touches may count from it)."""
    campaign_reschedule(campaign=touch.campaign)
    touch.refresh_from_db(fields=["scheduled_at"])
    return touch
