"""Permission checks. Every view and API endpoint passes one of these.

Who may do what (docs/roles.md has the same table):

| capability            | admin | manager | channel owner | employee |
|-----------------------|-------|---------|---------------|----------|
| read the directory    | yes   | yes     | yes           | own page |
| import / export       | yes   | no      | no            | no       |
| read audiences        | yes   | yes     | yes           | no       |
| edit audiences        | yes   | yes     | no            | no       |
| manage own API tokens | yes   | yes     | yes           | yes      |
| read campaigns, calendar | yes | yes     | yes           | no       |
| plan and edit campaigns | yes  | yes     | no            | no       |
| approve touches       | yes   | no      | own channels  | no       |
| configure channels, sending rules | yes | no | no       | no       |
| own feed, preferences | yes   | yes     | yes           | yes      |
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from inward.accounts.models import Role, User

AnyUser = User | AnonymousUser


def _role(user: AnyUser) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    return Role.ADMIN if user.is_superuser else user.role


def can_read_directory(user: AnyUser) -> bool:
    return _role(user) in (Role.ADMIN, Role.MANAGER, Role.CHANNEL_OWNER)


def can_import_directory(user: AnyUser) -> bool:
    return _role(user) == Role.ADMIN


def can_read_audiences(user: AnyUser) -> bool:
    return _role(user) in (Role.ADMIN, Role.MANAGER, Role.CHANNEL_OWNER)


def can_edit_audiences(user: AnyUser) -> bool:
    return _role(user) in (Role.ADMIN, Role.MANAGER)


def can_read_campaigns(user: AnyUser) -> bool:
    return _role(user) in (Role.ADMIN, Role.MANAGER, Role.CHANNEL_OWNER)


def can_edit_campaigns(user: AnyUser) -> bool:
    return _role(user) in (Role.ADMIN, Role.MANAGER)


def can_manage_channels(user: AnyUser) -> bool:
    return _role(user) == Role.ADMIN


def can_approve_on_channel(user: AnyUser, channel_owner_ids: set[int]) -> bool:
    """Admins approve anything; channel owners approve touches on channels they own."""
    role = _role(user)
    if role == Role.ADMIN:
        return True
    return role == Role.CHANNEL_OWNER and user.pk in channel_owner_ids


def is_admin(user: AnyUser) -> bool:
    return _role(user) == Role.ADMIN


def require(allowed: bool) -> None:
    """Raise PermissionDenied (HTTP 403) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied
