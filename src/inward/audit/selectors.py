from __future__ import annotations

from django.db import models

from inward.audit.models import AuditEntry


def audit_trail(*, target: models.Model, limit: int = 200) -> list[AuditEntry]:
    """The newest entries about ``target``, newest first."""
    entries = AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=target.pk
    ).select_related("actor")
    return list(entries[:limit])
