"""The review side of the state machine: when a campaign becomes approved, and when an
edit sends it back to its channel owners."""

from __future__ import annotations

from inward.accounts.models import User
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
