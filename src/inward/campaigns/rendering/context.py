"""What a message may say about its reader: the whitelisted variables and their values.

Templates see dotted names (``person.first_name``); compiled templates look them up as
flat keys (``person__first_name``) so rendering does no attribute access at all. A
``MessageContext`` holds those flat keys, every one of them always present, so a
compiled template can never render a blank where a variable was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from inward.directory.models import Person

#: Every variable a subject or body may use, with what it holds. ``manager`` on its own is
#: the manager's name, empty when there is none, so ``{% if manager %}`` reads naturally.
ALLOWED_VARIABLES: Mapping[str, _StrPromise] = {
    "person.first_name": _("First name (the preferred name when they gave one)"),
    "person.last_name": _("Last name"),
    "person.name": _("Full name as they like to be called"),
    "person.email": _("E-mail address"),
    "person.job_title": _("Job title"),
    "person.department": _("Department (its own name, not the whole path)"),
    "person.site": _("Site"),
    "person.language": _("Language code, e.g. nl or en-GB"),
    "manager": _("The manager's full name; empty when the person has no manager"),
    "manager.first_name": _("The manager's first name"),
    "manager.last_name": _("The manager's last name"),
    "manager.name": _("The manager's full name"),
    "manager.email": _("The manager's e-mail address"),
    "persona.wiifm": _("What's in it for this persona"),
    "campaign.name": _("The campaign's name"),
    "links.preferences": _("Link to the reader's channel preferences"),
    "links.feed": _("Link to the reader's Inward feed"),
}

#: The links every context carries; a caller may pass more (``links.<name>``), which a
#: template may use when it is compiled with ``extra_links=[name]``.
STANDARD_LINKS = ("preferences", "feed")


def flat_key(path: str) -> str:
    """The context key of a dotted variable path: ``person.first_name`` → ``person__first_name``."""
    return path.replace(".", "__")


@dataclass(frozen=True, slots=True)
class MessageContext:
    """The values one reader's message is rendered with, keyed by ``flat_key(path)``."""

    values: Mapping[str, str]

    def get(self, path: str) -> str:
        """The value of a dotted variable path (for previews and tests)."""
        return self.values[flat_key(path)]


def _full_name(first: str, last: str, fallback: str) -> str:
    return f"{first} {last}".strip() or fallback


def _context(
    *,
    person: tuple[str, str, str, str, str, str, str],
    manager: tuple[str, str, str],
    persona_wiifm: str,
    campaign_name: str,
    links: Mapping[str, str] | None,
) -> MessageContext:
    first, last, email, job_title, department, site, language = person
    manager_first, manager_last, manager_email = manager
    manager_name = f"{manager_first} {manager_last}".strip() or manager_email
    values = {
        "person__first_name": first,
        "person__last_name": last,
        "person__name": _full_name(first, last, email),
        "person__email": email,
        "person__job_title": job_title,
        "person__department": department.rsplit("/", 1)[-1],
        "person__site": site,
        "person__language": language,
        "manager": manager_name,
        "manager__first_name": manager_first,
        "manager__last_name": manager_last,
        "manager__name": manager_name,
        "manager__email": manager_email,
        "persona__wiifm": persona_wiifm,
        "campaign__name": campaign_name,
        "links__preferences": "",
        "links__feed": "",
    }
    if links:
        for name, url in links.items():
            values["links__" + name] = url
    return MessageContext(values=values)


def message_context(
    *,
    person: Person,
    persona_wiifm: str = "",
    campaign_name: str = "",
    links: Mapping[str, str] | None = None,
) -> MessageContext:
    """The context for one ``Person`` instance (previews, tests).

    Reads ``person.department``, ``person.site`` and ``person.manager``: select them
    related when building many. ``links`` maps names to absolute URLs; ``preferences``
    and ``feed`` are empty strings unless given.
    """
    manager = person.manager
    return _context(
        person=(
            person.preferred_name or person.first_name,
            person.last_name,
            person.email,
            person.job_title,
            person.department.path if person.department else "",
            person.site.name if person.site else "",
            person.language,
        ),
        manager=(
            (manager.preferred_name or manager.first_name, manager.last_name, manager.email)
            if manager
            else ("", "", "")
        ),
        persona_wiifm=persona_wiifm,
        campaign_name=campaign_name,
        links=links,
    )


#: The ``Person.objects.values(...)`` keys ``message_context_from_row`` reads.
ROW_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "job_title",
    "department__path",
    "site__name",
    "language",
    "time_zone",
    "manager__first_name",
    "manager__preferred_name",
    "manager__last_name",
    "manager__email",
)


def message_context_from_row(
    row: Mapping[str, Any],
    *,
    persona_wiifm: str = "",
    campaign_name: str = "",
    links: Mapping[str, str] | None = None,
) -> MessageContext:
    """The context from one ``Person.objects.values(*ROW_FIELDS)`` row, for hot loops.

    Reads the keys in ``ROW_FIELDS`` except ``id`` and ``time_zone`` (there for the
    caller); a missing key or ``None`` (no department, site or manager) counts as "".
    Gives the same values as ``message_context`` for the same person.
    """
    get = row.get
    return _context(
        person=(
            get("preferred_name") or get("first_name") or "",
            get("last_name") or "",
            get("email") or "",
            get("job_title") or "",
            get("department__path") or "",
            get("site__name") or "",
            get("language") or "",
        ),
        manager=(
            get("manager__preferred_name") or get("manager__first_name") or "",
            get("manager__last_name") or "",
            get("manager__email") or "",
        ),
        persona_wiifm=persona_wiifm,
        campaign_name=campaign_name,
        links=links,
    )
