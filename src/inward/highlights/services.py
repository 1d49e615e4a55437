"""Writes: pinning highlights, keeping stakeholders, logging contacts, composing and sending
digests. Views, tasks and tests all come through here.

Sending a digest has two halves. ``digest_send_start`` (in the request) freezes the digest:
one ``DigestRecipient`` per stakeholder with the route it will take, the audit entry, and
the background task enqueued when that commits. ``digest_deliver`` (in the task) sends each
waiting copy and records its outcome right after the provider answers; it claims each copy
before sending, so running it twice sends nothing twice.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inward.accounts.models import User
from inward.audit.services import audit_record
from inward.delivery.channels.base import Job, Recipient, TransportError
from inward.delivery.models import Channel, ChannelKind
from inward.highlights.images import CleanImage
from inward.highlights.models import (
    Digest,
    DigestRecipient,
    DigestStatus,
    Highlight,
    HighlightKind,
    PreferredChannel,
    RecipientStatus,
    Stakeholder,
    StakeholderContact,
)
from inward.highlights.selectors import digest_highlights
from inward.highlights.sending import (
    DigestContent,
    DigestMailer,
    DigestSlack,
    digest_content,
    email_pictures,
)


class HighlightError(Exception):
    """A change we refuse, with a message for the person who asked."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- Highlights ------------------------------------------------------------------------------

_HIGHLIGHT_FIELDS = (
    "kind",
    "title",
    "story",
    "quote_text",
    "quote_by",
    "number_value",
    "number_label",
    "image_alt",
    "campaign",
    "pinned",
)


def highlight_create(*, actor: User, image: CleanImage | None = None, **fields: Any) -> Highlight:
    """Pin a new highlight. ``fields`` are the model's editable fields; a picture
    highlight needs ``image`` (already cleaned by ``images.image_clean``)."""
    highlight = Highlight(created_by=actor, **_known(fields))
    _set_image(highlight, image)
    _check_highlight(highlight)
    highlight.save()
    return highlight


def highlight_update(
    *, actor: User, highlight: Highlight, image: CleanImage | None = None, **fields: Any
) -> Highlight:
    """The highlight changed and saved; ``image=None`` keeps the picture it has. A
    refused change (``HighlightError``) leaves ``highlight`` as it was."""
    changed = copy.copy(highlight)
    for name, value in _known(fields).items():
        setattr(changed, name, value)
    _set_image(changed, image)
    _check_highlight(changed)
    changed.save()
    return changed


def highlight_pin(*, actor: User, highlight: Highlight, pinned: bool) -> None:
    Highlight.objects.filter(pk=highlight.pk).update(pinned=pinned, updated_at=timezone.now())
    highlight.pinned = pinned


def highlight_delete(*, actor: User, highlight: Highlight) -> None:
    """Delete a highlight; digests already sent keep their recipients' records."""
    highlight.delete()


def _known(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(_HIGHLIGHT_FIELDS)
    if unknown:
        raise TypeError(f"unknown highlight fields: {sorted(unknown)}")
    return fields


def _set_image(highlight: Highlight, image: CleanImage | None) -> None:
    if image is not None:
        highlight.image = image.data
        highlight.image_type = image.content_type
        highlight.image_width = image.width
        highlight.image_height = image.height


def _check_highlight(highlight: Highlight) -> None:
    if not highlight.title.strip():
        raise HighlightError(_("Give the highlight a title."), code="title")
    if highlight.kind == HighlightKind.QUOTE and not highlight.quote_text.strip():
        raise HighlightError(_("Write the quote."), code="quote_text")
    if highlight.kind == HighlightKind.NUMBER and not highlight.number_value.strip():
        raise HighlightError(_("Give the number."), code="number_value")
    if highlight.kind == HighlightKind.PICTURE and not highlight.image_type:
        raise HighlightError(_("Choose a picture to upload."), code="picture")


# --- Stakeholders ----------------------------------------------------------------------------


def stakeholder_create(*, actor: User, **fields: Any) -> Stakeholder:
    _check_email_free(str(fields.get("email", "")), None)
    return Stakeholder.objects.create(created_by=actor, **fields)


def stakeholder_update(*, actor: User, stakeholder: Stakeholder, **fields: Any) -> Stakeholder:
    _check_email_free(str(fields.get("email", stakeholder.email)), stakeholder.pk)
    for name, value in fields.items():
        setattr(stakeholder, name, value)
    stakeholder.save()
    return stakeholder


def stakeholder_delete(*, actor: User, stakeholder: Stakeholder) -> None:
    stakeholder.delete()


def _check_email_free(address: str, own_id: int | None) -> None:
    taken = Stakeholder.objects.filter(email__iexact=address.strip())
    if own_id is not None:
        taken = taken.exclude(pk=own_id)
    if taken.exists():
        raise HighlightError(_("A stakeholder with this e-mail address exists."), code="email")


def stakeholder_contact_log(
    *, actor: User, stakeholder: Stakeholder, contacted_on: dt.date, note: str = ""
) -> StakeholderContact:
    """Record that the team was in touch outside a digest (a meeting, a call)."""
    if contacted_on > timezone.localdate():
        raise HighlightError(_("The contact date cannot be in the future."), code="contacted_on")
    return StakeholderContact.objects.create(
        stakeholder=stakeholder, contacted_on=contacted_on, note=note.strip(), created_by=actor
    )


# --- Digests: composing ----------------------------------------------------------------------


def digest_create(
    *,
    actor: User,
    title: str,
    intro: str = "",
    highlights: Iterable[Highlight] = (),
    stakeholders: Iterable[Stakeholder] = (),
    email_channel: Channel | None = None,
    slack_channel: Channel | None = None,
) -> Digest:
    with transaction.atomic():
        digest = Digest.objects.create(
            title=title.strip(),
            intro=intro.strip(),
            email_channel=_of_kind(email_channel, ChannelKind.EMAIL),
            slack_channel=_of_kind(slack_channel, ChannelKind.SLACK),
            created_by=actor,
        )
        digest.highlights.set(list(highlights))
        digest.stakeholders.set(list(stakeholders))
    return digest


def digest_update(
    *,
    actor: User,
    digest: Digest,
    title: str,
    intro: str = "",
    highlights: Iterable[Highlight] = (),
    stakeholders: Iterable[Stakeholder] = (),
    email_channel: Channel | None = None,
    slack_channel: Channel | None = None,
) -> Digest:
    """Change a draft digest; one that is sending or sent stays as it went out."""
    with transaction.atomic():
        locked = Digest.objects.select_for_update().get(pk=digest.pk)
        if locked.status != DigestStatus.DRAFT:
            raise HighlightError(_("This digest has been sent and can no longer change."))
        digest.title, digest.intro = title.strip(), intro.strip()
        digest.email_channel = _of_kind(email_channel, ChannelKind.EMAIL)
        digest.slack_channel = _of_kind(slack_channel, ChannelKind.SLACK)
        digest.save()
        digest.highlights.set(list(highlights))
        digest.stakeholders.set(list(stakeholders))
    return digest


def digest_delete(*, actor: User, digest: Digest) -> None:
    if digest.status != DigestStatus.DRAFT:
        raise HighlightError(_("A digest that was sent stays on record."))
    digest.delete()


def _of_kind(channel: Channel | None, kind: str) -> Channel | None:
    if channel is not None and channel.kind != kind:
        raise HighlightError(_("Choose a channel of the right kind."))
    return channel


@dataclass(frozen=True, slots=True)
class Route:
    """How one stakeholder will get a digest: ``kind`` is ``email`` or ``slack``; ``note``
    explains a fallback (they prefer Slack but no Slack channel is chosen)."""

    stakeholder: Stakeholder
    kind: str
    note: str = ""


def digest_routes(digest: Digest) -> list[Route]:
    """Each chosen stakeholder's route: their preferred channel, or e-mail when they prefer
    Slack and the digest has no Slack channel (e-mail always works: without an e-mail
    channel Django's mailer is used)."""
    routes: list[Route] = []
    for stakeholder in digest.stakeholders.order_by("name", "pk"):
        if stakeholder.preferred_channel == PreferredChannel.SLACK and digest.slack_channel:
            routes.append(Route(stakeholder, PreferredChannel.SLACK))
        elif stakeholder.preferred_channel == PreferredChannel.SLACK:
            note = _("prefers Slack, but no Slack channel is chosen: gets e-mail")
            routes.append(Route(stakeholder, PreferredChannel.EMAIL, note))
        else:
            routes.append(Route(stakeholder, PreferredChannel.EMAIL))
    return routes


def digest_problems(digest: Digest) -> list[str]:
    """Why the digest cannot be sent yet; empty when it can."""
    problems: list[str] = []
    if digest.status != DigestStatus.DRAFT:
        problems.append(_("This digest was sent already."))
    if not digest.highlights.exists():
        problems.append(_("Choose at least one highlight."))
    if not digest.stakeholders.exists():
        problems.append(_("Choose at least one stakeholder."))
    return problems


# --- Digests: sending ------------------------------------------------------------------------


def digest_send_start(*, actor: User, digest: Digest) -> int:
    """Freeze ``digest`` for sending and enqueue the task that sends it, on commit.

    Returns how many stakeholders it goes to. Raises ``HighlightError`` when it has no
    highlight or no stakeholder, or was sent already (a second press of "Send" finds the
    digest locked and no longer a draft).
    """
    with transaction.atomic():
        locked = Digest.objects.select_for_update().get(pk=digest.pk)
        problems = digest_problems(locked)
        if problems:
            raise HighlightError(" ".join(problems), code="not_ready")
        routes = digest_routes(locked)
        DigestRecipient.objects.bulk_create(
            DigestRecipient(digest=locked, stakeholder=route.stakeholder, channel_kind=route.kind)
            for route in routes
        )
        now = timezone.now()
        Digest.objects.filter(pk=locked.pk).update(
            status=DigestStatus.SENDING, sent_by=actor, send_started_at=now, updated_at=now
        )
        audit_record(
            actor=actor,
            action="highlights.digest_send",
            target=locked,
            summary=f"digest “{locked.title}” to {len(routes)} stakeholders",
            data={
                "stakeholders": [route.stakeholder.pk for route in routes],
                "highlights": list(locked.highlights.values_list("pk", flat=True)),
                "routes": {str(route.stakeholder.pk): route.kind for route in routes},
            },
        )
        transaction.on_commit(partial(_enqueue, locked.pk))
    digest.refresh_from_db()
    return len(routes)


def digest_retry_failed(*, actor: User, digest: Digest) -> int:
    """Send the failed copies of a sent digest again (a server was down, an address was
    wrong and is now fixed). Returns how many copies will be tried."""
    with transaction.atomic():
        locked = Digest.objects.select_for_update().get(pk=digest.pk)
        if locked.status != DigestStatus.SENT:
            raise HighlightError(_("Only a digest that finished sending can be retried."))
        now = timezone.now()
        count = locked.recipients.filter(status=RecipientStatus.FAILED).update(
            status=RecipientStatus.PENDING, error="", updated_at=now
        )
        if not count:
            raise HighlightError(_("No copy of this digest failed."))
        Digest.objects.filter(pk=locked.pk).update(
            status=DigestStatus.SENDING, finished_at=None, updated_at=now
        )
        audit_record(
            actor=actor,
            action="highlights.digest_retry",
            target=locked,
            summary=f"digest “{locked.title}”: {count} failed copies again",
            data={"copies": count},
        )
        transaction.on_commit(partial(_enqueue, locked.pk))
    digest.refresh_from_db()
    return count


def _enqueue(digest_id: int) -> None:
    # Imported here: the task module imports this one.
    from inward.highlights.tasks import digest_deliver_task

    digest_deliver_task.enqueue(digest_id=digest_id)


def digest_deliver(*, digest_id: int) -> None:
    """Send every waiting copy of a digest and record each outcome; then mark it sent.

    Call it outside a transaction. Each copy is claimed (waiting → sending) before it is
    sent, so a second run at the same time or later sends nothing twice. A copy left
    "sending" by a worker that died stays so: whether it arrived is unknown, and the page
    shows it rather than sending it again.
    """
    digest = Digest.objects.select_related("email_channel", "slack_channel", "sent_by").get(
        pk=digest_id
    )
    waiting = list(
        digest.recipients.filter(status=RecipientStatus.PENDING).select_related("stakeholder")
    )
    if waiting:
        _deliver_all(digest, waiting)
    _finish(digest)


def _deliver_all(digest: Digest, waiting: list[DigestRecipient]) -> None:
    highlights = digest_highlights(digest)
    pictures = email_pictures(digest.pk, highlights)
    # One rendering for every copy: Slack reads only the subject and the text, which
    # names each picture rather than pointing at it.
    content = digest_content(
        digest,
        highlights,
        picture_src=lambda each: f"cid:{pictures[each.pk].cid}" if each.pk in pictures else "",
        pictures=list(pictures.values()),
    )
    sender = _Sender(digest)
    try:
        for copy in waiting:
            if _claim(copy):
                _record(copy, sender.send(copy, content))
    finally:
        sender.close()


def _claim(copy: DigestRecipient) -> bool:
    return bool(
        DigestRecipient.objects.filter(pk=copy.pk, status=RecipientStatus.PENDING).update(
            status=RecipientStatus.SENDING, updated_at=timezone.now()
        )
    )


def _record(copy: DigestRecipient, error: str) -> None:
    now = timezone.now()
    status = RecipientStatus.FAILED if error else RecipientStatus.SENT
    DigestRecipient.objects.filter(pk=copy.pk).update(
        status=status, error=error[:2000], sent_at=None if error else now, updated_at=now
    )


def _finish(digest: Digest) -> None:
    copies = digest.recipients.all()
    if copies.filter(status=RecipientStatus.PENDING).exists():
        return
    now = timezone.now()
    finished = Digest.objects.filter(pk=digest.pk, status=DigestStatus.SENDING).update(
        status=DigestStatus.SENT, finished_at=now, updated_at=now
    )
    if finished:
        sent = copies.filter(status=RecipientStatus.SENT).count()
        failed = copies.filter(status=RecipientStatus.FAILED).count()
        audit_record(
            actor=digest.sent_by,
            action="highlights.digest_finish",
            target=digest,
            summary=f"digest “{digest.title}”: {sent} sent, {failed} failed",
            data={"sent": sent, "failed": failed},
        )


class _Sender:
    """The open connections of one run: one SMTP session, one Slack client."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        reply_to = digest.sent_by.email if digest.sent_by else ""
        self.mailer = DigestMailer(digest.email_channel, reply_to=reply_to)
        self.slack = DigestSlack(digest.slack_channel) if digest.slack_channel else None

    def send(self, copy: DigestRecipient, content: DigestContent) -> str:
        """Send one copy; the error to record, or "" when it went."""
        stakeholder = copy.stakeholder
        to = Recipient(person_id=0, email=stakeholder.email, name=stakeholder.name, language="")
        message_id = f"<digest.{self.digest.pk}.{copy.pk}@inward>"
        try:
            if copy.channel_kind == PreferredChannel.SLACK:
                self._slack(to, content, message_id, stakeholder.slack)
            else:
                self.mailer.send_digest(to=to, content=content, message_id=message_id)
        except TransportError as error:
            return str(error)
        return ""

    def _slack(self, to: Recipient, content: DigestContent, message_id: str, target: str) -> None:
        if self.slack is None:
            raise TransportError(_("No Slack channel is chosen."), permanent=True)
        job = Job(
            delivery_id=0,
            message_id=message_id,
            touch_key="digest",
            recipient=to,
            subject=content.subject,
            html="",
            # The subject is Slack's header block already.
            text=content.text.removeprefix(content.subject).lstrip("\n"),
        )
        self.slack.send_to(job, target=target)

    def close(self) -> None:
        self.mailer.close()
        if self.slack is not None:
            self.slack.close()
