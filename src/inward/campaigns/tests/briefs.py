"""Test helpers for campaign services tests: a campaign ready for review."""

from __future__ import annotations

from typing import Any

from inward.audiences.models import Persona
from inward.campaigns.models import Campaign, CampaignPersona
from inward.campaigns.tests.factories import make_campaign


def complete_brief(campaign: Campaign) -> Campaign:
    campaign.brief_channels = "E-mail, the feed"
    campaign.brief_engagement = "Most read e-mail in the morning"
    campaign.goal_metric = "Course completions"
    campaign.goal_target = "80%"
    campaign.brief_duration = "Two weeks: the enrolment window"
    campaign.save()
    persona, _ = Persona.objects.get_or_create(name="Seller Sam")
    CampaignPersona.objects.create(campaign=campaign, persona=persona, wiifm="More deals")
    return campaign


def ready_campaign(**fields: Any) -> Campaign:
    return complete_brief(make_campaign(**fields))
