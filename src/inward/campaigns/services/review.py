"""The review side of the state machine: when a campaign becomes approved, and when an
edit sends it back to its channel owners."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts.models import User
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import ApprovalStatus, Campaign, CampaignStatus, Touch
from inward.campaigns.services import _common
from inward.campaigns.states import NEEDS_REVIEW_AGAIN, campaign_transition


def review_settle(*, campaign: Campaign, actor: User | None) -> None:
    """In review with every touch approved → approved."""
    if campaign.status != CampaignStatus.IN_REVIEW:
        return
    touches = campaign.touches.filter(cancelled_at__isnull=True)
    if touches.exists() and not touches.exclude(approval_status=ApprovalStatus.APPROVED).exists():
        campaign_transition(
            campaign=campaign, action="approve", actor=actor, summary="every touch approved"
        )


def touch_changed(*, actor: User | None, touch: Touch, summary: str) -> None:
    """An edit to ``touch`` (or its words), or a new touch: it needs approval (again), and
    an approved or scheduled campaign goes back to review. Audited as ``touch.reopen``."""
    if touch.approval_status != ApprovalStatus.PENDING:
        Touch.objects.filter(pk=touch.pk).update(
            approval_status=ApprovalStatus.PENDING, approved_by=None, approved_at=None
        )
        touch.approval_status = ApprovalStatus.PENDING
        touch.approved_by = None
        touch.approved_at = None
        _common.audit(
            actor,
            "touch.reopen",
            touch.campaign,
            f"{touch.name} needs approval again: {summary}",
            touch=touch.pk,
        )
    campaign = touch.campaign
    if campaign.status in NEEDS_REVIEW_AGAIN:
        campaign_transition(
            campaign=campaign,
            action="back_to_review",
            actor=actor,
            summary=f"{touch.name} changed after approval",
        )


def require_not_running(campaign: Campaign, what: str) -> None:
    """Refuse a change to what recipients get (``what``, for the message) once the
    campaign is running: part of the audience already has the earlier touches, and no
    one could review the change before it reached the rest."""
    if campaign.status == CampaignStatus.RUNNING:
        raise CampaignError(
            "not_editable",
            _(
                "This campaign is running, so its %(what)s can no longer change. Cancel it "
                "and plan a new campaign instead."
            )
            % {"what": what},
        )


def campaign_reopen(*, actor: User | None, campaign: Campaign, summary: str) -> None:
    """A change that touches every message (audience, name, dates, a persona's
    what's-in-it-for-me, the shape of the journey): every approved touch needs approval
    again (each audited as ``touch.reopen``), and an approved or scheduled campaign goes
    back to review. Call with the campaign locked (``_common.lock_campaign``)."""
    approved = list(
        campaign.touches.filter(
            cancelled_at__isnull=True, approval_status=ApprovalStatus.APPROVED
        ).values_list("pk", "name")
    )
    Touch.objects.filter(pk__in=[pk for pk, _name in approved]).update(
        approval_status=ApprovalStatus.PENDING,
        approved_by=None,
        approved_at=None,
        updated_at=timezone.now(),
    )
    for pk, name in approved:
        _common.audit(
            actor, "touch.reopen", campaign, f"{name} needs approval again: {summary}", touch=pk
        )
    if campaign.status in NEEDS_REVIEW_AGAIN:
        campaign_transition(
            campaign=campaign,
            action="back_to_review",
            actor=actor,
            summary=f"{summary} after approval",
        )
