"""The intranet feed: a message becomes an item in the employee's inbox in Inward itself.

No network. Idempotent per delivery: the feed item's one-to-one link to its delivery means
a retried job finds the item already there and writes nothing.
"""

from __future__ import annotations

from inward.delivery.channels.base import Job, Transport, TransportError
from inward.delivery.models import FeedItem

SUBJECT_LIMIT = 300


class IntranetTransport(Transport):
    kind = "intranet"

    def send(self, job: Job) -> None:
        """Write the feed item. ``job.html`` is already sanitised by the renderer. A job
        without a delivery (``delivery_id`` 0, a test message) always writes a new item."""
        if job.recipient is None:
            raise TransportError("A feed item needs a recipient.", permanent=True)
        fields = {
            "person_id": job.recipient.person_id,
            "subject": job.subject[:SUBJECT_LIMIT],
            "body_html": job.html,
            "critical": job.critical,
        }
        if job.delivery_id <= 0:
            FeedItem.objects.create(**fields)
            return
        FeedItem.objects.get_or_create(delivery_id=job.delivery_id, defaults=fields)
