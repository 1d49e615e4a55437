"""Writes for channels: create and update, validated per kind, audited without secrets.

The UI, the API and commands all come through here, so a channel is checked the same way
whichever door it enters by. Secrets are write-only: an update merges only the secrets it
is given, so "leave blank to keep" works, and no audit entry ever holds a secret's value.
An update that moves the channel elsewhere (another SMTP server, port, security or user
name; another Slack API address) drops the stored secrets unless new ones come with it,
so an admin cannot send the stored password to a server of their choosing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from inward.accounts import access
from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.delivery.channels.registry import (
    channel_config_errors,
    channel_secrets_merge,
    channel_settings_clean,
    cleared_note,
)
from inward.delivery.models import Channel


def _check(
    *,
    kind: str,
    name: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, Any],
    cleared: Iterable[str] = (),
) -> None:
    """Raise ValidationError with a message per field (``name`` or a config/secret key).

    A secret in ``cleared`` that is now missing says why it is missing.
    """
    problems = channel_config_errors(kind, dict(config), dict(secrets))
    for secret in cleared:
        if secret in problems:
            problems[secret] = cleared_note(kind, secret)
    errors = {field: [message] for field, message in problems.items()}
    if not name.strip():
        errors["name"] = [_("A channel needs a name.")]
    if errors:
        raise ValidationError(errors)


def _require_admin(actor: User | None) -> None:
    """Code run by the system passes no actor; people must be allowed to manage channels."""
    if actor is not None:
        access.require(access.can_manage_channels(actor))


def _check_slug(slug: str) -> None:
    try:
        validate_slug(slug)
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from None
    if Channel.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [_("Another channel already uses this slug.")]})


def _audit_data(
    channel: Channel, secret_keys: Iterable[str], cleared: Iterable[str] = ()
) -> dict[str, Any]:
    """What changed, safe to keep forever: config and names of secrets, never their values."""
    return {
        "kind": channel.kind,
        "name": channel.name,
        "config": channel.config,
        "secrets_set": sorted(secret_keys),
        "secrets_cleared": sorted(cleared),
        "owners": sorted(channel.owners.values_list("username", flat=True)),
        "rate_per_minute": channel.rate_per_minute,
        "enabled": channel.enabled,
    }


@transaction.atomic
def channel_create(
    *,
    actor: User | None,
    kind: str,
    slug: str,
    name: str,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    owners: Iterable[User] = (),
    rate_per_minute: int | None = None,
    enabled: bool = True,
) -> Channel:
    """Create a channel. Raises ValidationError (messages by field: ``slug``, ``name`` or a
    setting of the kind) or PermissionDenied for an actor who is no admin."""
    _require_admin(actor)
    _check_slug(slug)
    config, secrets = channel_settings_clean(kind, dict(config or {}), dict(secrets or {}))
    secrets = {k: v for k, v in secrets.items() if v}
    _check(kind=kind, name=name, config=config, secrets=secrets)
    channel = Channel.objects.create(
        kind=kind,
        slug=slug,
        name=name,
        config=config,
        secrets=secrets,
        rate_per_minute=rate_per_minute,
        enabled=enabled,
    )
    channel.owners.set(list(owners))
    audit_record(
        actor=actor,
        action="channel.create",
        target=channel,
        summary=f"Channel {channel.name} ({channel.kind}) created",
        data=_audit_data(channel, secrets),
    )
    return channel


@transaction.atomic
def channel_update(
    *,
    actor: User | None,
    channel: Channel,
    name: str,
    config: Mapping[str, Any],
    secrets: Mapping[str, str] | None = None,
    owners: Iterable[User] = (),
    rate_per_minute: int | None = None,
    enabled: bool = True,
) -> Channel:
    """Update a channel. ``secrets`` holds only the secrets to replace: a key that is
    missing or blank keeps its stored value, unless a setting that says where the secrets
    go changed (``FieldSpec.endpoint``): then every stored secret not given anew is
    dropped, and a required one must be given. Kind and slug never change. Raises
    ValidationError (messages by field) or PermissionDenied for an actor who is no admin."""
    _require_admin(actor)
    config, given = channel_settings_clean(channel.kind, dict(config), dict(secrets or {}))
    merge = channel_secrets_merge(
        channel.kind,
        stored_config=channel.config,
        config=config,
        stored_secrets=channel.secrets,
        given=given,
    )
    _check(
        kind=channel.kind, name=name, config=config, secrets=merge.secrets, cleared=merge.cleared
    )
    changed = {k: v for k, v in given.items() if v}
    channel.name = name
    channel.config = config
    channel.secrets = merge.secrets
    channel.rate_per_minute = rate_per_minute
    channel.enabled = enabled
    channel.save()
    channel.owners.set(list(owners))
    audit_record(
        actor=actor,
        action="channel.update",
        target=channel,
        summary=f"Channel {channel.name} updated",
        data=_audit_data(channel, changed, merge.cleared),
    )
    return channel
