"""The Learning Record Store: LMS clients and the statements they send (xAPI 1.0.3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LrsClient(models.Model):
    """An LMS (or other learning activity provider) allowed to use ``/xapi/``.

    It signs in with HTTP Basic: ``key`` as the user name and a random secret as the
    password. Only a SHA-256 of the secret is kept (the secret is 256 random bits, so a
    slow password hash adds nothing); the secret is shown once, when it is made.
    """

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=64, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("LMS client")

    def __str__(self) -> str:
        return self.name


class Statement(models.Model):
    """One stored statement. ``data`` is the statement as the LRS returns it (with
    ``id``, ``stored``, ``authority``, ``version``). ``person`` and ``offering`` are set
    when the actor is a known person and the activity a known offering; statements about
    anyone else are kept with ``person`` empty and listed as unmatched."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    seq = models.BigIntegerField(unique=True, help_text="Store order, for stable paging.")
    client = models.ForeignKey(
        LrsClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    stored = models.DateTimeField()
    timestamp = models.DateTimeField()
    data = models.JSONField()
    verb_id = models.TextField()
    registration = models.UUIDField(null=True, blank=True)
    voided = models.BooleanField(default=False)
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="xapi_statements",
    )
    offering = models.ForeignKey(
        "learning.Offering",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="xapi_statements",
    )

    class Meta:
        ordering = ["-stored", "-seq"]
        # No more: the foreign keys have Django's own indexes, and the verb, registration,
        # agent and activity filters go through StatementIndexEntry.
        indexes = [
            models.Index(fields=["stored", "seq"], name="statement_stored"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class StatementIndexEntry(models.Model):
    """One thing a statement can be found by in ``GET /xapi/statements``.

    ``key`` is a digest of what is matched (see ``inward.xapi.query.index_key``): the
    verb, the registration, an agent's or identified group's identifier, an activity id.
    ``related`` is False for what the plain filters match (actor or object for ``agent``,
    object for ``activity``) and True for what only ``related_agents`` /
    ``related_activities`` match. A statement that targets another one (StatementRef)
    also gets the target's entries, so filters find the statements about a match."""

    # The primary key leads with ``key``: it is also the index the filters use.
    pk = models.CompositePrimaryKey("key", "related", "statement")
    key = models.CharField(max_length=32)
    related = models.BooleanField(default=False)
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="index")

    def __str__(self) -> str:
        return f"{self.statement_id} {self.key}"


class StatementAttachment(models.Model):
    """The content of an attachment sent with a statement, kept once per SHA-256."""

    sha2 = models.CharField(max_length=128, primary_key=True)
    content_type = models.CharField(max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.sha2


class Document(models.Model):
    """A document kept for an LMS through the State, Activity Profile or Agent Profile
    resource (xAPI 1.0.3, Communication 2.2). ``scope`` is a digest of the kind with the
    activity, agent and registration the document belongs to; ``document_id`` is the
    client's stateId or profileId within that scope."""

    class Kind(models.TextChoices):
        STATE = "state", _("State")
        ACTIVITY_PROFILE = "activity_profile", _("Activity profile")
        AGENT_PROFILE = "agent_profile", _("Agent profile")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    scope = models.CharField(max_length=32)
    document_id = models.TextField()
    activity_id = models.TextField(blank=True)
    agent = models.JSONField(null=True, blank=True)
    registration = models.UUIDField(null=True, blank=True)
    content = models.BinaryField()
    content_type = models.CharField(max_length=255)
    etag = models.CharField(max_length=40, help_text="SHA-1 of the content, hex.")
    client = models.ForeignKey(
        LrsClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["scope", "document_id"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "document_id"], name="document_unique_id")
        ]
        indexes = [models.Index(fields=["scope", "updated_at"], name="document_scope_updated")]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id}"
