"""A digest's words, and the two ways it travels: e-mail and Slack.

A digest is not a campaign delivery (no outbox row, no tracking), so it borrows the
channels' connection code rather than the sender:

- E-mail goes through the e-mail transport (``DigestMailer`` is an ``EmailTransport``):
  the chosen e-mail ``Channel``'s SMTP server, or ``EMAIL_URL`` when there is no channel or
  it names no server. The campaign transport's MIME skeleton has no room for pictures, so
  the message is built here with the standard library: a plain-text part and an HTML part,
  with the pictures attached inline (``multipart/related``, ``cid:``); its bytes go through
  the transport's own SMTP transaction. When the server is Django's non-SMTP backend
  (``console://``, tests' ``locmem``), Django's mailer sends it instead.
- Slack goes through the chosen Slack ``Channel``'s transport (the same bot token, API
  address, error handling and Block Kit), posting to the stakeholder's own Slack id (a
  user or channel id) or, without one, a direct message found by their e-mail address.
  Pictures are not posted to Slack (they would need a public address); the words are.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime

import nh3
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from inward.campaigns.rendering.mime import email_html_document
from inward.delivery.channels.base import Job, Recipient, TransportError
from inward.delivery.channels.email.transport import EmailTransport, display_address
from inward.delivery.channels.slack.transport import SlackTransport
from inward.delivery.models import Channel, ChannelKind
from inward.highlights.images import EXTENSIONS, CleanImage, image_for_email
from inward.highlights.models import Digest, Highlight

_TAGS = {"h1", "h2", "h3", "p", "br", "strong", "em", "blockquote", "figure", "figcaption"}
_TAGS |= {"img", "a", "hr", "div", "span", "ul", "li", "section", "footer"}
_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}, "a": {"href"}}
_SCHEMES = {"http", "https", "mailto", "cid"}
SHOWN_WIDTH = 600  # pixels a picture takes in an e-mail (most mail clients' width)


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture as the message carries it: ``cid`` names it in the HTML."""

    cid: str
    image: CleanImage
    filename: str


@dataclass(frozen=True, slots=True)
class DigestContent:
    """``html`` is a fragment (the preview shows it in the page; e-mails wrap it)."""

    subject: str
    html: str
    text: str
    pictures: list[Picture] = field(default_factory=list)


def digest_content(
    digest: Digest,
    highlights: list[Highlight],
    *,
    picture_src: Callable[[Highlight], str],
    pictures: list[Picture] | None = None,
) -> DigestContent:
    """The digest as sanitised HTML and as plain text. ``picture_src`` gives each picture
    highlight's ``src``: a ``cid:`` for an e-mail, the authorised picture view for a
    preview."""
    context = {
        "digest": digest,
        "items": [_item(each, picture_src(each)) for each in highlights],
    }
    html = render_to_string("highlights/email/digest.html", context)
    text = render_to_string("highlights/email/digest.txt", context)
    return DigestContent(
        subject=digest.title,
        html=html_clean(html),
        text=text.strip() + "\n",
        pictures=pictures or [],
    )


def _item(highlight: Highlight, src: str) -> dict[str, object]:
    """One highlight as the templates tell it; a picture at most ``SHOWN_WIDTH`` wide."""
    width, height = highlight.image_width, highlight.image_height
    if width > SHOWN_WIDTH:
        width, height = SHOWN_WIDTH, round(height * SHOWN_WIDTH / width)
    return {"highlight": highlight, "src": src, "width": width, "height": height}


def html_clean(html: str) -> str:
    """Only the tags a digest uses, no scripts, styles or event handlers, links to
    http(s), mailto and inline pictures (``cid:``) only."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        strip_comments=True,
    )


def email_pictures(digest_id: int, highlights: list[Highlight]) -> dict[int, Picture]:
    """Each picture highlight's e-mail-sized copy, by highlight id, loaded in one query."""
    ids = [each.pk for each in highlights if each.has_picture]
    rows = Highlight.objects.filter(pk__in=ids).values_list(
        "pk", "image", "image_type", "image_width", "image_height"
    )
    pictures: dict[int, Picture] = {}
    for pk, data, content_type, width, height in rows:
        if not data:
            continue
        small = image_for_email(CleanImage(bytes(data), content_type, width, height))
        filename = f"highlight-{pk}.{EXTENSIONS.get(small.content_type, 'bin')}"
        pictures[pk] = Picture(
            cid=f"highlight-{pk}.{digest_id}@inward", image=small, filename=filename
        )
    return pictures


# --- E-mail ----------------------------------------------------------------------------------


class DigestMailer(EmailTransport):
    """The e-mail transport, sending digests: ``send_digest`` many, then ``close``. Raises
    ``TransportError`` (``permanent`` for a 5xx answer or an address no retry will fix).
    Without an e-mail channel, an unsaved one with no settings stands in, so the server is
    ``EMAIL_URL``'s (or Django's non-SMTP mailer). ``reply_to`` applies when the channel
    names none."""

    def __init__(self, channel: Channel | None, *, reply_to: str = "") -> None:
        super().__init__(channel or Channel(kind=ChannelKind.EMAIL))
        self.reply_to = self.reply_to or reply_to or None

    def send_digest(self, *, to: Recipient, content: DigestContent, message_id: str) -> None:
        if self.server is None:
            self._send_digest_with_django(to, content, message_id)
            return
        try:
            message = mime_message(
                content,
                from_addr=self.from_addr,
                to=to,
                reply_to=self.reply_to or "",
                message_id=message_id,
            )
            data = message.as_bytes()
        except (ValueError, IndexError) as error:
            raise TransportError(f"The message cannot be built: {error}", permanent=True) from error
        self._transact(to.email, data)

    def _send_digest_with_django(
        self, to: Recipient, content: DigestContent, message_id: str
    ) -> None:
        message = EmailMultiAlternatives(
            subject=content.subject,
            body=content.text,
            from_email=self.from_addr,
            to=[display_address(to.name, to.email)],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers={"Message-ID": message_id},
        )
        message.attach_alternative(email_html_document(content.html), "text/html")
        for picture in content.pictures:
            message.attach(_inline_part(picture))
        try:
            message.message()  # a header with a line break (Subject, To) raises here
        except ValueError as error:
            raise TransportError(f"The message cannot be built: {error}", permanent=True) from error
        try:
            self._django_mailer().send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(f"The mail backend failed: {error}", permanent=False) from error


def mime_message(
    content: DigestContent, *, from_addr: str, to: Recipient, reply_to: str, message_id: str
) -> EmailMessage:
    """``multipart/alternative``: the text, then the HTML with its pictures
    (``multipart/related``). Header values with line breaks raise ``ValueError``."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = from_addr
    message["To"] = Address(display_name=to.name, addr_spec=to.email)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = content.subject
    message["Date"] = format_datetime(timezone.now().astimezone(dt.UTC))
    message["Message-ID"] = message_id
    message.set_content(content.text)
    message.add_alternative(email_html_document(content.html), subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for picture in content.pictures:
        maintype, subtype = picture.image.content_type.split("/", 1)
        html_part.add_related(
            picture.image.data,
            maintype=maintype,
            subtype=subtype,
            cid=f"<{picture.cid}>",
            filename=picture.filename,
            disposition="inline",
        )
    return message


def _inline_part(picture: Picture) -> MIMEPart:
    part = MIMEPart()
    maintype, subtype = picture.image.content_type.split("/", 1)
    part.set_content(
        picture.image.data,
        maintype=maintype,
        subtype=subtype,
        cid=f"<{picture.cid}>",
        filename=picture.filename,
        disposition="inline",
    )
    return part


# --- Slack -----------------------------------------------------------------------------------


class DigestSlack(SlackTransport):
    """The Slack transport, posting to a stakeholder's own Slack id when they have one
    (``target``), else to the Slack user with their e-mail address. The channel's own
    "post in a channel" setting is for campaigns and does not apply to digests."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.target = ""

    def send_to(self, job: Job, *, target: str) -> None:
        self.target = target.strip()
        try:
            self.send(job)
        finally:
            self.target = ""

    def _target(self, job: Job) -> str:
        if self.target:
            return self.target
        if job.recipient is None or not job.recipient.email:
            raise TransportError("A Slack direct message needs a recipient.", permanent=True)
        return self.user_id(job.recipient.email)
