"""Calendar invites: an e-mail carrying an iCalendar object, over the e-mail channel's path.

The job's ``event`` says what the invite is for; ``event.sequence`` grows with each update
and ``event.cancelled`` turns the invite into a cancellation (METHOD:CANCEL). Configured
like an e-mail channel (the same SMTP settings, or ``EMAIL_URL``); the organizer is the
channel's sender address.
"""

from __future__ import annotations

from email.utils import parseaddr

from inward.delivery.channels.base import Job, TransportError
from inward.delivery.channels.calendar.ics import Party, ics_invite, ics_method
from inward.delivery.channels.email.transport import EmailTransport, recipient_of


class CalendarTransport(EmailTransport):
    kind = "calendar"

    def send(self, job: Job) -> None:
        if job.event is None:
            raise TransportError("A calendar invite needs an event.", permanent=True)
        recipient = recipient_of(job)
        name, address = parseaddr(self.from_addr)
        ics = ics_invite(
            event=job.event,
            summary=job.subject,
            description=job.text,
            organizer=Party(name=name, email=address),
            attendee=Party(name=recipient.name, email=recipient.email),
        )
        self.send_email(job, ics=ics, ics_method=ics_method(job.event))
