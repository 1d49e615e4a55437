"""The campaign state machine: every allowed status change, in one table.

Services move a campaign only through ``campaign_transition``; a change not in the table
is refused with ``CampaignError("transition", ...)``.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.campaigns.errors import CampaignError
from inward.campaigns.models import Campaign, CampaignStatus

S = CampaignStatus

# action -> (statuses it may start from, status it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.IN_REVIEW),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED),
    # An edit to an approved or scheduled journey needs its channel owners again.
    "back_to_review": (frozenset({S.APPROVED, S.SCHEDULED}), S.IN_REVIEW),
    "launch": (frozenset({S.APPROVED}), S.SCHEDULED),
    "run": (frozenset({S.SCHEDULED}), S.RUNNING),
    "complete": (frozenset({S.SCHEDULED, S.RUNNING}), S.COMPLETED),
    "cancel": (
        frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.RUNNING}),
        S.CANCELLED,
    ),
}

ACTION_WORDS = {
    "submit": gettext_lazy("submitted for review"),
    "approve": gettext_lazy("approved"),
    "back_to_review": gettext_lazy("sent back to review"),
    "launch": gettext_lazy("launched"),
    "run": gettext_lazy("started"),
    "complete": gettext_lazy("completed"),
    "cancel": gettext_lazy("cancelled"),
}

# Statuses in which the journey (touches, variants) may still be edited.
EDITABLE = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED})
# Statuses that send the campaign back to review when a touch changes.
NEEDS_REVIEW_AGAIN = TRANSITIONS["back_to_review"][0]


def transition_allowed(status: str, action: str) -> bool:
    return status in TRANSITIONS[action][0]


def transition_check(campaign: Campaign, action: str) -> str:
    """The status ``action`` leads to from the campaign's status, or CampaignError."""
    sources, target = TRANSITIONS[action]
    if campaign.status not in sources:
        raise CampaignError(
            "transition",
            _("A campaign that is %(status)s cannot be %(action)s.")
            % {"status": campaign.get_status_display().lower(), "action": ACTION_WORDS[action]},
        )
    return target


def campaign_transition(
    *, campaign: Campaign, action: str, actor: User | None, summary: str = ""
) -> Campaign:
    """Move the campaign along ``action`` and audit it as ``campaign.<action>``.

    Call inside the transaction that makes the rest of the change.
    """
    before = campaign.status
    campaign.status = transition_check(campaign, action)
    fields = ["status", "updated_at"]
    if action == "launch":
        campaign.launched_at = timezone.now()
        fields.append("launched_at")
    campaign.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"campaign.{action}",
        target=campaign,
        summary=summary or f"{before} → {campaign.status}",
        data={"from": before, "to": campaign.status},
    )
    return campaign
