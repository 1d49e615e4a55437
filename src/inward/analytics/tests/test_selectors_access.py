"""Who may see what: the analytics access helpers and the minimum each viewer gets."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from inward.analytics.access import (
    access_campaign_analytics,
    access_person_engagement,
    analytics_minimum,
    can_see_person_engagement,
)
from inward.campaigns.tests.factories import make_campaign, make_people
from inward.directory.models import Person

pytestmark = pytest.mark.django_db


def test_it_lets_campaign_readers_see_analytics_cut_at_the_minimum(
    admin_user: Any, manager_user: Any, channel_owner_user: Any, employee_user: Any
) -> None:
    campaign = make_campaign(slug="spring")
    assert access_campaign_analytics(manager_user, "spring") == campaign
    assert access_campaign_analytics(channel_owner_user, "spring") == campaign
    with pytest.raises(PermissionDenied):
        access_campaign_analytics(employee_user, "spring")
    with pytest.raises(Http404):
        access_campaign_analytics(manager_user, "autumn")
    assert analytics_minimum(admin_user) == 1
    assert analytics_minimum(manager_user) == 5


def test_only_admins_and_the_person_see_person_level_engagement(
    admin_user: Any, manager_user: Any, employee_user: Any, outsider_user: Any
) -> None:
    emma = Person.objects.create(email=employee_user.email, first_name="Emma")
    other = make_people(1)[0]
    assert access_person_engagement(employee_user, emma.pk) == emma
    assert access_person_engagement(admin_user, other.pk) == other
    assert can_see_person_engagement(admin_user, emma)
    assert not can_see_person_engagement(manager_user, emma)
    for user, person in ((employee_user, other), (manager_user, emma), (outsider_user, emma)):
        with pytest.raises((Http404, PermissionDenied)):
            access_person_engagement(user, person.pk)
