"""The campaigns API under /api/v1/campaigns/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["campaigns"])
