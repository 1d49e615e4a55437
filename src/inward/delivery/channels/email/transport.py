"""E-mail over SMTP: one connection per batch, bytes from a skeleton prepared once.

The server is the channel's own (``host``, ``port``, ``security``, ``username`` in config,
``password`` in secrets) or, when ``host`` is empty, the one in ``EMAIL_URL``
(``settings.MAILERS["default"]``). When ``EMAIL_URL`` is not SMTP (``console://`` while
developing, ``memory://`` in tests) messages go through Django's mail backend instead, so
they land where Django's mail always does.

Errors: a 5xx answer is permanent and carries the server's reason; 4xx answers, timeouts
and dropped connections are transient (the next send connects anew).
"""

from __future__ import annotations

import email.message
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr, quote
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME

from inward.campaigns.rendering import EmailSkeleton
from inward.delivery.channels.base import Job, Recipient, Transport, TransportError
from inward.delivery.models import Channel

SECURITY_CHOICES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
TIMEOUT_SECONDS = 30.0
# A kept connection idle for longer than this is checked with NOOP before use: servers
# drop idle clients, and a message must not fail only because the line went quiet.
IDLE_CHECK_SECONDS = 10.0
_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MAX_REPLY_LINE = 8192  # as smtplib


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to connect. ``security`` is one of ``SECURITY_CHOICES``."""

    host: str
    port: int
    security: str
    username: str = ""
    password: str = ""
    timeout: float = TIMEOUT_SECONDS
    ca_file: str = ""


def smtp_settings(channel: Channel) -> SmtpSettings | None:
    """The SMTP server for ``channel``; None means "use Django's (non-SMTP) mail backend"."""
    config = channel.config
    host = str(config.get("host") or "").strip()
    if not host:
        return _email_url_settings()
    security = str(config.get("security") or "starttls")
    return SmtpSettings(
        host=host,
        port=int(config.get("port") or DEFAULT_PORTS.get(security, 25)),
        security=security,
        username=str(config.get("username") or ""),
        password=str(channel.secrets.get("password") or ""),
        ca_file=str(config.get("ca_file") or ""),
    )


def _email_url_settings() -> SmtpSettings | None:
    mailer: dict[str, Any] = settings.MAILERS.get("default", {})
    if mailer.get("BACKEND") != _SMTP_BACKEND:
        return None
    options = mailer.get("OPTIONS", {})
    security = "tls" if options.get("use_ssl") else "starttls" if options.get("use_tls") else "none"
    return SmtpSettings(
        host=str(options.get("host") or "localhost"),
        port=int(options.get("port") or DEFAULT_PORTS[security]),
        security=security,
        username=str(options.get("username") or ""),
        password=str(options.get("password") or ""),
        timeout=float(options.get("timeout") or TIMEOUT_SECONDS),
    )


def recipient_of(job: Job) -> Recipient:
    """The job's recipient; a permanent error for a channel post or an empty address."""
    if job.recipient is None or not job.recipient.email:
        raise TransportError("An e-mail needs a recipient address.", permanent=True)
    return job.recipient


class EmailTransport(Transport):
    """Sends each job as one e-mail. ``open`` connects (or raises a transient
    ``TransportError``); ``send`` reconnects by itself after a dropped connection."""

    kind = "email"

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.server = smtp_settings(channel)
        self.from_addr = str(channel.config.get("from_addr") or settings.DEFAULT_FROM_EMAIL)
        self.reply_to = str(channel.config.get("reply_to") or "") or None
        self._envelope_from = parseaddr(self.from_addr)[1]
        self._mail_from: bytes | None = None  # quoted on first use
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._mailer: BaseEmailBackend | None = None
        self._skeleton: EmailSkeleton | None = None
        # ``send_then``'s hooks for the message being sent.
        self._hooks: _Hooks | None = None

    def open(self) -> None:
        if self.server is None:
            self._django_mailer()
        else:
            self._connection()

    def send(self, job: Job) -> None:
        self.send_email(job)

    def send_then(
        self, job: Job, *, before: Callable[[], None], meanwhile: Callable[[], None]
    ) -> None:
        """As the base class: ``before`` runs just before DATA (after MAIL and RCPT, so
        its wait overlaps theirs), ``meanwhile`` while the SMTP server takes in the
        message (between the end of DATA and its reply)."""
        hooks = _Hooks(before=[before], meanwhile=[meanwhile])  # each emptied once called
        self._hooks = hooks
        try:
            self.send(job)
        finally:
            self._hooks = None
            if hooks.before:  # never got as far as DATA (refused, or not e-mail at all)
                hooks.before.pop()()
            if hooks.meanwhile:
                hooks.meanwhile.pop()()

    def send_email(
        self, job: Job, *, ics: bytes | None = None, ics_method: str = "REQUEST"
    ) -> None:
        """Send ``job`` as an e-mail, with a ``text/calendar`` part when ``ics`` is given."""
        recipient = recipient_of(job)
        if self.server is None:
            self._send_with_django(job, recipient, ics=ics, ics_method=ics_method)
            return
        try:
            data = self.skeleton().build(
                to_name=recipient.name,
                to_addr=recipient.email,
                message_id=job.message_id,
                subject=job.subject,
                text=job.text,
                html=job.html,
                ics=ics,
                ics_method=ics_method,
                headers=job.headers or None,
            )
        except ValueError as error:  # an address or header no retry will fix
            raise TransportError(f"The message cannot be built: {error}", permanent=True) from error
        self._transact(recipient.email, data)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        mailer, self._mailer = self._mailer, None
        if mailer is not None:
            mailer.close()

    def skeleton(self) -> EmailSkeleton:
        """The MIME skeleton for this channel's sender, built once per transport."""
        if self._skeleton is None:
            self._skeleton = EmailSkeleton(from_addr=self.from_addr, reply_to=self.reply_to)
        return self._skeleton

    # SMTP

    def _connection(self) -> smtplib.SMTP:
        idle = time.monotonic() - self._last_used > IDLE_CHECK_SECONDS
        if self._smtp is not None and idle and not _alive(self._smtp):
            self._drop()
        if self._smtp is None:
            assert self.server is not None
            self._smtp = connect(self.server)
        self._last_used = time.monotonic()
        return self._smtp

    def _transact(self, to_addr: str, data: bytes) -> None:
        if self._mail_from is None:
            self._mail_from = envelope_address(self._envelope_from)
        rcpt_to = envelope_address(to_addr)
        smtp = self._connection()
        try:
            _exchange(smtp, self._mail_from, rcpt_to, data, self._hooks)
        except smtplib.SMTPResponseException as refused:
            rcpt = isinstance(refused, StepRefused) and refused.step == "rcpt"
            what = f"refused {to_addr}" if rcpt else "refused the message"
            self._reset()
            raise self._refused(refused.smtp_code, refused.smtp_error, what) from refused
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise TransportError(
                f"The connection to the SMTP server failed: {error}", permanent=False
            ) from error
        self._last_used = time.monotonic()

    def _refused(self, code: int, reply: bytes | str, what: str) -> TransportError:
        """5xx is final; anything else ("try again later") is worth retrying."""
        if code == 421:  # the server is closing the connection
            self._drop()
        return TransportError(
            f"The SMTP server {what}: {code} {_text(reply)}", permanent=500 <= code < 600
        )

    def _reset(self) -> None:
        """After a refusal the transaction is still open on the server: RSET ends it so
        the connection can carry the next message (as ``sendmail`` does)."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    # Django's mail backend (EMAIL_URL is console:// or memory://)

    def _django_mailer(self) -> BaseEmailBackend:
        if self._mailer is None:
            self._mailer = mailers.default
            self._mailer.open()
        return self._mailer

    def _send_with_django(
        self, job: Job, recipient: Recipient, *, ics: bytes | None, ics_method: str
    ) -> None:
        message = EmailMultiAlternatives(
            subject=job.subject,
            body=job.text,
            from_email=self.from_addr,
            to=[display_address(recipient.name, recipient.email)],
            reply_to=[self.reply_to] if self.reply_to else None,
            headers={"Message-ID": job.message_id, **job.headers},
        )
        message.attach_alternative(job.html, "text/html")
        if ics is not None:
            message.attach(calendar_part(ics, ics_method))
        try:
            self._django_mailer().send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            raise TransportError(f"The mail backend failed: {error}", permanent=False) from error


class StepRefused(smtplib.SMTPResponseException):
    """The server turned down one step (``mail``, ``rcpt``, ``data``) of a transaction."""

    def __init__(self, code: int, reply: bytes, step: str) -> None:
        # Named after the step, as smtplib's own refusals are.
        super().__init__(code, reply)
        self.step = step


def envelope_address(address: str) -> bytes:
    """``<address>`` for MAIL FROM / RCPT TO. Addresses come from the directory and the
    channel's settings, not from a message header, so they are not parsed again per
    message (``smtplib.sendmail`` does, at a cost larger than building the message);
    only what could break the command line is refused (and non-ASCII, which needs
    SMTPUTF8). An empty address is the null sender ``<>``."""
    if any(c in address for c in "\r\n<> ") or not address.isascii():
        raise TransportError(f"Not a deliverable address: {address!r}", permanent=True)
    return f"<{address}>".encode()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _exchange(
    smtp: smtplib.SMTP,
    mail_from: bytes,
    rcpt_to: bytes,
    data: bytes,
    hooks: _Hooks | None = None,
) -> None:
    """One mail transaction (MAIL, RCPT, DATA), each reply read and checked before the
    next step; raises ``StepRefused`` for the step the server turned down. The message is
    dot-stuffed and ended with CRLF.CRLF here (what ``smtplib.SMTP.data`` does, without
    its per-call overhead); ``data`` has CRLF line endings already. ``hooks.before`` is
    called before DATA (if it raises, the transaction is reset and nothing is sent),
    ``hooks.meanwhile`` once the whole message is on its way, before the answer."""
    sock = smtp.sock
    if sock is None:
        raise smtplib.SMTPServerDisconnected("not connected")
    sock.sendall(b"MAIL FROM:" + mail_from + b"\r\n")
    code, reply = _reply(smtp)
    if code != 250:
        raise StepRefused(code, reply, "mail")
    sock.sendall(b"RCPT TO:" + rcpt_to + b"\r\n")
    code, reply = _reply(smtp)
    if code not in (250, 251):
        raise StepRefused(code, reply, "rcpt")
    if hooks is not None and hooks.before:
        try:
            hooks.before.pop()()
        except BaseException:
            _abandon(smtp)
            raise
    sock.sendall(b"DATA\r\n")
    code, reply = _reply(smtp)
    if code != 354:
        raise StepRefused(code, reply, "data")
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    ending = b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"
    sock.sendall(data + ending)
    if hooks is not None and hooks.meanwhile:
        hooks.meanwhile.pop()()
    code, reply = _reply(smtp)
    if code != 250:
        raise StepRefused(code, reply, "data")


@dataclass(slots=True)
class _Hooks:
    before: list[Callable[[], None]]
    meanwhile: list[Callable[[], None]]


def _abandon(smtp: smtplib.SMTP) -> None:
    """End a transaction that will not reach DATA (RSET), so the connection stays usable."""
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reply(smtp: smtplib.SMTP) -> tuple[int, bytes]:
    """One (possibly multi-line) reply, as ``getreply`` gives it: its code and text.

    Read straight from the socket: the server says nothing until it has our command, so
    everything that arrives is this reply, and nothing is left behind for smtplib's own
    buffered reader (used by EHLO, RSET, NOOP and QUIT)."""
    sock = smtp.sock
    if sock is None:
        raise smtplib.SMTPServerDisconnected("not connected")
    data = sock.recv(4096)
    if data.endswith(b"\n") and data.find(b"\n") == len(data) - 1 and data[3:4] == b" ":
        try:  # the usual one-line reply
            return int(data[:3]), data[4:].strip(b" \t\r\n")
        except ValueError:
            pass
    while True:
        if not data:
            smtp.close()
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if data.endswith(b"\n"):
            last = data.rfind(b"\n", 0, len(data) - 1) + 1
            if data[last + 3 : last + 4] != b"-":
                break
        if len(data) > MAX_REPLY_LINE:
            smtp.close()
            raise smtplib.SMTPResponseException(500, b"Line too long.")
        chunk = sock.recv(4096)
        if not chunk:
            data = b""
            continue
        data += chunk
    lines = data.split(b"\n")[:-1]
    try:
        code = int(lines[-1][:3])
    except ValueError:
        code = -1
    return code, b"\n".join(line[4:].strip(b" \t\r") for line in lines)


def connect(server: SmtpSettings) -> smtplib.SMTP:
    """A ready SMTP session: connected, TLS as configured, logged in. Raises a transient
    ``TransportError`` with a readable reason when any step fails."""
    where = f"{server.host}:{server.port}"
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _open_socket(server)
        smtp.ehlo_or_helo_if_needed()  # implicit TLS has not greeted yet
        if server.security == "starttls":
            smtp.starttls(context=_tls_context(server))
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password)
    except smtplib.SMTPAuthenticationError as error:
        _close_quietly(smtp)
        raise TransportError(
            f"The SMTP server {where} refused the user name or password "
            f"({error.smtp_code} {_text(error.smtp_error)}).",
            permanent=False,
        ) from error
    except (smtplib.SMTPException, OSError) as error:  # ssl.SSLError is an OSError
        _close_quietly(smtp)
        raise TransportError(
            f"Could not connect to the SMTP server {where}: {error}", permanent=False
        ) from error
    return smtp


def _open_socket(server: SmtpSettings) -> smtplib.SMTP:
    if server.security == "tls":
        return smtplib.SMTP_SSL(
            server.host,
            server.port,
            local_hostname=str(DNS_NAME),
            timeout=server.timeout,
            context=_tls_context(server),
        )
    smtp = smtplib.SMTP(
        server.host, server.port, local_hostname=str(DNS_NAME), timeout=server.timeout
    )
    smtp.ehlo()
    return smtp


def _tls_context(server: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.ca_file or None)


def _alive(smtp: smtplib.SMTP) -> bool:
    try:
        return smtp.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def display_address(name: str, address: str) -> str:
    """``"Name" <address>`` for Django, which encodes non-ASCII names itself."""
    return f'"{quote(name)}" <{address}>' if name else address


def calendar_part(ics: bytes, method: str) -> email.message.MIMEPart:
    """A ``text/calendar`` attachment for Django's ``EmailMessage``."""
    part = email.message.MIMEPart()
    part.set_content(
        ics.decode(), subtype="calendar", params={"method": method}, filename="invite.ics"
    )
    return part
