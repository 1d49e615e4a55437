"""Who may see and change highlights, stakeholders and digests, and permission-checked
fetches that return the object or raise ``PermissionDenied`` / ``Http404``.

| capability                                   | admin | manager | channel owner | employee |
|----------------------------------------------|-------|---------|---------------|----------|
| read highlights, stakeholders, digests       | yes   | yes     | yes           | no       |
| pin highlights, edit stakeholders, send digests | yes | yes    | no            | no       |

The same people as reading and planning campaigns: highlights are campaign results.
"""

from __future__ import annotations

from django.http import Http404

from inward.accounts import access
from inward.accounts.access import AnyUser
from inward.highlights.models import Digest, Highlight, Stakeholder


def can_read_highlights(user: AnyUser) -> bool:
    return access.can_read_campaigns(user)


def can_edit_highlights(user: AnyUser) -> bool:
    return access.can_edit_campaigns(user)


def access_highlight(
    user: AnyUser, highlight_id: int, *, edit: bool = False, picture: bool = False
) -> Highlight:
    """The highlight without its stored picture's bytes unless ``picture`` is asked for
    (saving it then leaves the picture as it is)."""
    access.require(can_edit_highlights(user) if edit else can_read_highlights(user))
    highlights = Highlight.objects.select_related("campaign", "created_by")
    highlight = (highlights if picture else highlights.defer("image")).filter(pk=highlight_id)
    return _found(highlight.first())


def access_stakeholder(user: AnyUser, stakeholder_id: int, *, edit: bool = False) -> Stakeholder:
    access.require(can_edit_highlights(user) if edit else can_read_highlights(user))
    return _found(Stakeholder.objects.filter(pk=stakeholder_id).first())


def access_digest(user: AnyUser, digest_id: int, *, edit: bool = False) -> Digest:
    access.require(can_edit_highlights(user) if edit else can_read_highlights(user))
    digest = Digest.objects.select_related("email_channel", "slack_channel", "sent_by")
    return _found(digest.filter(pk=digest_id).first())


def _found[M](found: M | None) -> M:
    if found is None:
        raise Http404
    return found
