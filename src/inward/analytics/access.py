"""Who may see campaign analytics, and whose person-level engagement.

| what                                   | admin | manager | channel owner | employee |
|----------------------------------------|-------|---------|---------------|----------|
| a campaign's funnel, cut at the minimum | exact | yes     | yes           | no       |
| one person's engagement record         | yes   | no      | no            | their own |

Group counts are cut at ``INWARD_MIN_GROUP_SIZE`` for everyone but admins
(``analytics_minimum``); nobody but an admin and the person themselves sees what one
person did.
"""

from __future__ import annotations

from django.http import Http404

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.campaigns.access import access_campaign
from inward.campaigns.models import Campaign
from inward.delivery.selectors import viewer_minimum
from inward.directory.models import Person
from inward.directory.selectors import person_for_user


def can_read_campaign_analytics(user: AnyUser) -> bool:
    return access.can_read_campaigns(user)


def analytics_minimum(user: AnyUser) -> int:
    """The smallest group ``user`` may see counted: 1 (exact) for admins."""
    return viewer_minimum(user)


def access_campaign_analytics(user: AnyUser, slug: str) -> Campaign:
    """A campaign whose analytics ``user`` may read, or PermissionDenied / Http404."""
    access.require(can_read_campaign_analytics(user))
    return access_campaign(user, slug)


def can_see_person_engagement(user: AnyUser, person: Person) -> bool:
    """Admins see anyone's record; everyone else only their own."""
    if access.is_admin(user):
        return True
    own = person_for_user(user)
    return own is not None and own.pk == person.pk


def access_person_engagement(user: AnyUser, person_id: int) -> Person:
    """The person whose engagement ``user`` may see. Someone else's record answers 404
    rather than 403 for non-admins, so it does not say who is in the directory."""
    if not user.is_authenticated:
        access.require(False)
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not can_see_person_engagement(user, person):
        raise Http404
    return person
