"""Background tasks of highlights: thin wrappers that take ids and call a service."""

from __future__ import annotations

from django.tasks import task

from inward.highlights.services import digest_deliver


@task()
def digest_deliver_task(digest_id: int) -> None:
    """Send a digest's waiting copies; safe to run twice (see ``digest_deliver``)."""
    digest_deliver(digest_id=digest_id)
