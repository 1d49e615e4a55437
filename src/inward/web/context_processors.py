from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.access import AnyUser

type Links = list[tuple[str, str]]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The main navigation, showing only the parts the signed-in role may open.

    ``nav_items`` are the links shown side by side; ``settings_items`` are the admin pages
    (import, channels, the LMS connections) grouped under one "Settings" menu, so the bar
    fits on a 1280-pixel screen. Each item says whether it is the current page: the longest
    matching prefix wins, so /directory/import/ marks only "Import people" current.
    """
    user = request.user
    main = _main_links(user) if user.is_authenticated else []
    settings = _settings_links(user) if user.is_authenticated else []
    current = _current(request.path, [url for _, url in main + settings])
    return {
        "nav_items": _items(main, current),
        "settings_items": _items(settings, current),
        "settings_active": any(url == current for _, url in settings),
    }


def _main_links(user: AnyUser) -> Links:
    links: Links = [(_("Home"), reverse("web:home"))]
    if access.can_read_directory(user):
        links.append((_("Directory"), reverse("directory:list")))
    if access.can_read_audiences(user):
        links.append((_("Audiences"), reverse("audiences:list")))
        links.append((_("Personas"), reverse("audiences:personas")))
    if access.can_read_campaigns(user):
        links.append((_("Campaigns"), reverse("campaigns:list")))
        links.append((_("Calendar"), reverse("campaigns:calendar")))
        links.append((_("Learning"), reverse("learning:list")))
        links.append((_("Highlights"), reverse("highlights:list")))
    # Admins, and channel owners for their own channels: the set holds only their id.
    if access.can_approve_on_channel(user, {user.pk} if user.pk is not None else set()):
        links.append((_("Approvals"), reverse("campaigns:approvals")))
    links.append((_("Feed"), reverse("feed:inbox")))
    return links


def _settings_links(user: AnyUser) -> Links:
    links: Links = []
    if access.can_import_directory(user):
        links.append((_("Import people"), reverse("directory:import")))
    if access.can_manage_channels(user):
        links.append((_("Channels"), reverse("delivery:channels")))
        links.append((_("LMS connections (xAPI)"), reverse("lrs_admin:client_list")))
    return links


def _current(path: str, urls: list[str]) -> str | None:
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    return max(matches, key=len, default=None)


def _items(links: Links, current: str | None) -> list[dict[str, Any]]:
    return [{"label": label, "url": url, "active": url == current} for label, url in links]
