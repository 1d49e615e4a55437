"""Journey writes: touches, their variants, and channel owners' approvals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.models import User
from inward.audiences.models import Persona
from inward.audiences.rules import RuleError
from inward.audiences.rules.conditions import condition_rule_clean
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import (
    ApprovalComment,
    ApprovalStatus,
    Campaign,
    CampaignStatus,
    Condition,
    Timing,
    Touch,
    Variant,
)
from inward.campaigns.selectors import touch_version
from inward.campaigns.services import _common
from inward.campaigns.services.campaigns import campaign_reschedule
from inward.campaigns.services.review import campaign_reopen, review_settle, touch_changed
from inward.campaigns.states import NEEDS_REVIEW_AGAIN
from inward.delivery.models import Channel

TOUCH_FIELDS = frozenset(
    {
        "name",
        "channel",
        "stage",
        "timing",
        "send_at",
        "offset_days",
        "send_time",
        "local_time",
        "condition",
        "condition_touch",
        "condition_rule",
        "recipients",
        "mandatory",
        "critical",
        "kit_role",
        "event_starts_at",
        "event_ends_at",
        "event_location",
    }
)


def _check_touch(touch: Touch) -> None:
    if not touch.name.strip():
        raise CampaignError("name_missing", _("A touch needs a name."))
    if touch.timing not in Timing.values:
        raise CampaignError("timing", _("Choose when the touch is sent."))
    if touch.condition != Condition.ALL:
        other = touch.condition_touch
        if other is None or other.campaign_id != touch.campaign_id or other.pk == touch.pk:
            raise CampaignError(
                "condition", _("A condition needs an earlier touch of the same campaign.")
            )
    starts, ends = touch.event_starts_at, touch.event_ends_at
    if starts and ends and ends <= starts:
        raise CampaignError("event", _("The event must end after it starts."))
    if touch.condition_rule:
        try:
            condition_rule_clean(touch.condition_rule)
        except RuleError as error:
            raise CampaignError(
                "condition_rule", _("The “only if” rule: %(error)s") % {"error": error}
            ) from None


@transaction.atomic
def touch_create(
    *, actor: User | None, campaign: Campaign, channel: Channel, name: str, **fields: Any
) -> Touch:
    """A new touch at the end of the journey, waiting for its channel owner's approval.
    Adding one to an approved or scheduled campaign sends the campaign back to review."""
    _common.require_editor(actor)
    _common.unknown_fields(fields, TOUCH_FIELDS)
    _common.lock_campaign(campaign)
    _common.require_editable(campaign)
    last = campaign.touches.aggregate(p=Max("position"))["p"]
    touch = Touch(
        campaign=campaign,
        channel=channel,
        name=name,
        position=0 if last is None else last + 1,
        **fields,
    )
    _check_touch(touch)
    touch.save()
    _common.audit(actor, "touch.create", campaign, f"added {touch.name}", touch=touch.pk)
    campaign_reschedule(campaign=campaign)
    touch.refresh_from_db(fields=["scheduled_at"])
    touch_changed(actor=actor, touch=touch, summary="new touch")
    return touch


@transaction.atomic
def touch_update(*, actor: User | None, touch: Touch, **fields: Any) -> list[str]:
    """Change a touch; returns what changed (empty: nothing written). A change to an
    approved touch needs approval again (``touch_changed``). Locks the campaign and the
    touch, so an approval of the touch waits for the change or sees it."""
    _common.require_editor(actor)
    _common.unknown_fields(fields, TOUCH_FIELDS)
    _common.lock_touch(touch)
    if all(getattr(touch, name) == value for name, value in fields.items()):
        return []  # even for a campaign past editing: a file applied again changes nothing
    _common.require_editable(touch.campaign)
    changed = _common.assign(touch, fields)
    _check_touch(touch)
    touch.save(update_fields=[*changed, "updated_at"])
    data = {name: _common.printable(getattr(touch, name)) for name in changed}
    _common.audit(
        actor, "touch.update", touch.campaign, f"{touch.name}: {', '.join(changed)}",
        touch=touch.pk, **data,
    )  # fmt: skip
    campaign_reschedule(campaign=touch.campaign)
    touch.refresh_from_db(fields=["scheduled_at"])
    touch_changed(actor=actor, touch=touch, summary=", ".join(changed))
    return changed


@transaction.atomic
def touch_delete(*, actor: User | None, touch: Touch) -> None:
    """Remove a touch not yet written to the outbox. Touches that depended on it (a
    condition) then go to everyone, and are audited as such. The journey of an approved
    or scheduled campaign changed shape: it goes back to review (``campaign_reopen``)."""
    _common.require_editor(actor)
    campaign = touch.campaign
    _common.lock_touch(touch)
    _common.require_editable(campaign)
    if touch.materialised_at is not None:
        raise CampaignError("touch_sent", _("This touch has gone out; it cannot be removed."))
    dependants = list(campaign.touches.filter(condition_touch=touch).values_list("name", flat=True))
    campaign.touches.filter(condition_touch=touch).update(
        condition=Condition.ALL, condition_touch=None, updated_at=timezone.now()
    )
    _common.audit(
        actor, "touch.delete", campaign, f"removed {touch.name}", touch=touch.pk,
        conditions_dropped=dependants,
    )  # fmt: skip
    name = touch.name
    touch.delete()
    campaign_reschedule(campaign=campaign)
    if campaign.status in NEEDS_REVIEW_AGAIN:
        campaign_reopen(actor=actor, campaign=campaign, summary=f"removed {name}")
    else:
        review_settle(campaign=campaign, actor=actor)


@transaction.atomic
def touches_reorder(*, actor: User | None, campaign: Campaign, order: Sequence[int]) -> None:
    """Put the touches in the order of the ids in ``order`` (every touch, once).

    Times that count from the previous touch move with the new order, so an approved or
    scheduled campaign goes back to review (``campaign_reopen``). The same order again
    writes nothing.
    """
    _common.require_editor(actor)
    _common.lock_campaign(campaign)
    _common.require_editable(campaign)
    touches = {t.pk: t for t in campaign.touches.order_by("position", "id")}
    if sorted(order) != sorted(touches):
        raise CampaignError("order", _("The new order must list every touch once."))
    if list(order) == list(touches):
        return
    for position, pk in enumerate(order):
        touches[pk].position = position
    Touch.objects.bulk_update(touches.values(), ["position"])
    _common.audit(actor, "touch.reorder", campaign, "reordered the journey", order=list(order))
    campaign_reschedule(campaign=campaign)
    if campaign.status in NEEDS_REVIEW_AGAIN:
        campaign_reopen(actor=actor, campaign=campaign, summary="reordered the journey")


def _compile(subject: str, body: str) -> None:
    from inward.campaigns.rendering import TemplateProblem, compile_variant

    try:
        compile_variant(subject=subject, body=body)
    except TemplateProblem as problem:
        # str() reads "body, line 3: ..." so the place travels with the message.
        raise CampaignError(
            "template", str(problem), field=problem.field, line=problem.line
        ) from None


@transaction.atomic
def variant_save(
    *,
    actor: User | None,
    touch: Touch,
    language: str,
    persona: Persona | None,
    subject: str,
    body: str,
    arm: str = "",
) -> Variant:
    """Create or change the words of ``touch`` for (language, persona, test version
    ``arm``); ``language=""`` with no persona is the fallback (one per arm in an A/B test).
    Templates are compiled now: a syntax error or an unknown variable is a
    CampaignError("template") with ``field`` and ``line``. Locks the campaign and the touch
    (see ``touch_update``)."""
    _common.require_editor(actor)
    _common.lock_touch(touch)
    language = language.strip()
    variant = Variant.objects.filter(
        touch=touch, language=language, persona=persona, arm=arm
    ).first()
    if variant is not None and (variant.subject, variant.body) == (subject, body):
        return variant
    _common.require_editable(touch.campaign)
    if not subject.strip():
        raise CampaignError("subject_missing", _("A message needs a subject."), field="subject")
    _compile(subject, body)
    created = variant is None
    if variant is None:
        variant = Variant(touch=touch, language=language, persona=persona, arm=arm)
    variant.subject, variant.body = subject, body
    variant.save()
    label = f"{language or 'fallback'}{f' / {persona.name}' if persona else ''}"
    label += f" / version {arm}" if arm else ""
    verb = "added" if created else "changed"
    _common.audit(
        actor, "variant.save", touch.campaign, f"{touch.name}: {verb} {label}",
        touch=touch.pk, variant=variant.pk,
    )  # fmt: skip
    touch_changed(actor=actor, touch=touch, summary=f"{verb} {label}")
    return variant


@transaction.atomic
def variant_delete(*, actor: User | None, variant: Variant) -> None:
    """Remove a variant. The fallback of a campaign past its draft stays (a touch must
    always have words to fall back to)."""
    _common.require_editor(actor)
    touch = variant.touch
    campaign = touch.campaign
    _common.lock_touch(touch)
    _common.require_editable(campaign)
    fallback = variant.language == "" and variant.persona_id is None
    others = touch.variants.filter(language="", persona=None).exclude(pk=variant.pk)
    if fallback and not others.exists() and campaign.status != CampaignStatus.DRAFT:
        raise CampaignError(
            "fallback_required", _("The fallback message cannot be removed after drafting.")
        )
    summary = f"{touch.name}: removed {variant.language or 'fallback'}"
    _common.audit(actor, "variant.delete", campaign, summary, touch=touch.pk, variant=variant.pk)
    variant.delete()
    touch_changed(actor=actor, touch=touch, summary="removed a variant")


def _require_approver(actor: User | None, touch: Touch) -> None:
    if actor is None:
        return
    owners = set(touch.channel.owners.values_list("pk", flat=True))
    access.require(access.can_approve_on_channel(actor, owners))


def _decide(
    *, actor: User | None, touch: Touch, decision: str, comment: str, version: str | None
) -> ApprovalComment:
    """Record ``decision`` on ``touch``, holding the campaign's row and then the touch's
    until the transaction ends: an edit of the touch waits, or has committed and is seen
    (``version`` no longer matches), and two owners deciding at once settle the campaign
    one after the other, the second seeing the first's approval."""
    _require_approver(actor, touch)
    _common.lock_touch(touch)
    if touch.campaign.status != CampaignStatus.IN_REVIEW:
        raise CampaignError("not_in_review", _("Only a campaign in review can be approved."))
    if version is not None and version != touch_version(_fresh(touch)):
        raise CampaignError("stale", _("This touch changed after you opened it; review it again."))
    now = timezone.now()
    approved = decision == ApprovalStatus.APPROVED
    touch.approval_status = decision
    touch.approved_by = actor if approved else None
    touch.approved_at = now if approved else None
    touch.save(update_fields=["approval_status", "approved_by", "approved_at", "updated_at"])
    return ApprovalComment.objects.create(
        touch=touch, author=actor, decision=decision, body=comment.strip()
    )


def _fresh(touch: Touch) -> Touch:
    """``touch`` as committed, with what ``touch_version`` reads loaded anew."""
    return Touch.objects.select_related("campaign").get(pk=touch.pk)


@transaction.atomic
def touch_approve(
    *, actor: User | None, touch: Touch, comment: str = "", version: str | None = None
) -> Touch:
    """An owner of the touch's channel (or an admin) approves it; when every touch of the
    campaign is approved, the campaign is approved.

    ``version`` is ``touch_version(touch)`` of what the approver was shown; when the
    touch (or what its messages carry) changed since, CampaignError("stale"). Only
    callers that read the touch and approve it in one go (the console) leave it out."""
    _decide(
        actor=actor, touch=touch, decision=ApprovalStatus.APPROVED, comment=comment,
        version=version,
    )  # fmt: skip
    _common.audit(
        actor, "touch.approve", touch.campaign, f"approved {touch.name}",
        touch=touch.pk, comment=comment,
    )  # fmt: skip
    review_settle(campaign=touch.campaign, actor=actor)
    return touch


@transaction.atomic
def touch_request_changes(
    *, actor: User | None, touch: Touch, comment: str, version: str | None = None
) -> Touch:
    """An owner of the touch's channel (or an admin) sends it back with a comment saying
    what to change. The campaign stays in review; an edit puts the touch back to waiting.
    ``version`` as for ``touch_approve``."""
    if not comment.strip():
        raise CampaignError("comment_missing", _("Say what should change."), field="comment")
    _decide(
        actor=actor, touch=touch, decision=ApprovalStatus.CHANGES_REQUESTED, comment=comment,
        version=version,
    )  # fmt: skip
    _common.audit(
        actor, "touch.request_changes", touch.campaign, f"changes requested on {touch.name}",
        touch=touch.pk, comment=comment,
    )  # fmt: skip
    return touch


@transaction.atomic
def touch_comment(*, actor: User | None, touch: Touch, body: str) -> ApprovalComment:
    """A comment on a touch without a decision (authors answering owners, and back)."""
    if not body.strip():
        raise CampaignError("comment_missing", _("Write a comment."), field="comment")
    if actor is not None and not (
        access.can_edit_campaigns(actor)
        or access.can_approve_on_channel(
            actor, set(touch.channel.owners.values_list("pk", flat=True))
        )
    ):
        access.require(False)
    return ApprovalComment.objects.create(touch=touch, author=actor, body=body.strip())
