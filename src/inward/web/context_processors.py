from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from inward.accounts import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The main navigation, showing only the parts the signed-in role may open."""
    user = request.user
    items: list[tuple[str, str]] = []
    if user.is_authenticated:
        items.append((_("Home"), reverse("web:home")))
        if access.can_read_directory(user):
            items.append((_("Directory"), reverse("directory:list")))
        if access.can_read_audiences(user):
            items.append((_("Audiences"), reverse("audiences:list")))
            items.append((_("Personas"), reverse("audiences:personas")))
        if access.can_read_campaigns(user):
            items.append((_("Campaigns"), reverse("campaigns:list")))
            items.append((_("Calendar"), reverse("campaigns:calendar")))
            items.append((_("Learning"), reverse("learning:list")))
            items.append((_("Highlights"), reverse("highlights:list")))
        # Admins, and channel owners for their own channels: the set holds only their id.
        if access.can_approve_on_channel(user, {user.pk}):
            items.append((_("Approvals"), reverse("campaigns:approvals")))
        if access.can_import_directory(user):
            items.append((_("Import"), reverse("directory:import")))
        if access.can_manage_channels(user):
            items.append((_("Channels"), reverse("delivery:channels")))
            items.append((_("Learning records"), reverse("lrs_admin:client_list")))
        items.append((_("Feed"), reverse("feed:inbox")))
    # The longest matching prefix wins, so /directory/import/ marks only "Import" current.
    path = request.path
    matches = [url for _, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return {
        "nav_items": [
            {"label": label, "url": url, "active": url == current} for label, url in items
        ]
    }
