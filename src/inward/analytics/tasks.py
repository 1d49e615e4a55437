"""Background tasks of analytics: thin wrappers that call a service; safe to run twice."""

from __future__ import annotations

from django.tasks import task

from inward.analytics.retention import analytics_housekeeping


@task()
def analytics_housekeeping_task() -> None:
    """Roll up events past retention and repair "reached" stages (``retention.py``)."""
    analytics_housekeeping()
