"""Writes for campaigns: the one entry point for each business operation.

Views, the API, the command, the file format and the scheduler all call these. Each
checks the actor's permission (``actor=None`` is the system), changes state through the
table in ``inward.campaigns.states``, and writes an audit entry. Refusals are
``CampaignError(code, message)``.
"""

# Last: the launch kit builds on the services above.
from inward.campaigns.launch_kit import launch_kit_generate
from inward.campaigns.services.calendar_invites import calendar_resend, touch_event_move
from inward.campaigns.services.campaigns import (
    CAMPAIGN_FIELDS,
    campaign_audience_changed,
    campaign_brief_missing,
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_mark_completed,
    campaign_mark_running,
    campaign_persona_remove,
    campaign_persona_set,
    campaign_reschedule,
    campaign_submit,
    campaign_submit_problems,
    campaign_update,
    touch_reschedule,
)
from inward.campaigns.services.external import (
    blackout_create,
    blackout_delete,
    external_campaign_create,
    external_campaign_move,
    external_campaign_update,
)
from inward.campaigns.services.touches import (
    TOUCH_FIELDS,
    touch_approve,
    touch_comment,
    touch_create,
    touch_delete,
    touch_request_changes,
    touch_update,
    touches_reorder,
    variant_delete,
    variant_save,
)

__all__ = [
    "CAMPAIGN_FIELDS",
    "TOUCH_FIELDS",
    "blackout_create",
    "blackout_delete",
    "calendar_resend",
    "campaign_audience_changed",
    "campaign_brief_missing",
    "campaign_cancel",
    "campaign_create",
    "campaign_launch",
    "campaign_mark_completed",
    "campaign_mark_running",
    "campaign_persona_remove",
    "campaign_persona_set",
    "campaign_reschedule",
    "campaign_submit",
    "campaign_submit_problems",
    "campaign_update",
    "external_campaign_create",
    "external_campaign_move",
    "external_campaign_update",
    "launch_kit_generate",
    "touch_approve",
    "touch_comment",
    "touch_create",
    "touch_delete",
    "touch_event_move",
    "touch_request_changes",
    "touch_reschedule",
    "touch_update",
    "touches_reorder",
    "variant_delete",
    "variant_save",
]
