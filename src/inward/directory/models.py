from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A node in the department tree. ``path`` is the full name, e.g. ``Sales/Inside Sales``."""

    name = models.CharField(max_length=200)
    path = models.CharField(max_length=1000, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.path


class Site(models.Model):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    LEFT = "left", _("Left")


class Person(models.Model):
    """An employee in the directory.

    ``email`` is stored lower-case, so equality is case-insensitive. ``tags`` is kept as
    ``;tag;tag;`` (lower-case) so that "has tag" is one indexed-free LIKE on any database.
    """

    # Unique through Meta.constraints, not unique=True: on PostgreSQL the field option also
    # adds a varchar_pattern_ops index that no query uses and every import must maintain.
    # NULL, not "", for "no external id": unique constraints ignore NULLs.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    preferred_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    time_zone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 tag")
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    hire_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    tags = models.CharField(max_length=2000, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="directory_person_email_ci_unique"),
            models.UniqueConstraint(
                fields=["external_id"], name="directory_person_external_id_unique"
            ),
        ]
        # Few indexes on purpose: each one slows a million-row import, and rules compare
        # status and language in ways (90% "active", LOWER(language)) no index helps.
        indexes = [
            models.Index(fields=["hire_date"]),
            models.Index(fields=["last_name", "first_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip() or self.email

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(";") if tag]


def tags_to_column(tags: list[str]) -> str:
    """Store tags as ``;a;b;``: lower-case, unique, sorted."""
    cleaned = sorted({tag.strip().lower() for tag in tags if tag.strip()})
    return f";{';'.join(cleaned)};" if cleaned else ""


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ImportStage(models.TextChoices):
    """The pass ``import_people`` is in, as its ``on_stage`` callback names it."""

    VALIDATE = "validate", _("Checking rows…")
    WRITE = "write", _("Writing…")


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def recent(self) -> ImportJobQuerySet:
        return self.select_related("created_by").order_by("-created_at", "-id")


class ImportJob(models.Model):
    """A web import of a file, run in the background by ``import_job_run``.

    The uploaded file lives under ``MEDIA_ROOT/imports/<stored_name>`` until the run ends.
    ``rows_done`` counts the rows handled in the current ``stage``; ``rows_total`` starts as
    an estimate and becomes exact when the write pass starts. ``report`` holds the outcome
    in the shape ``directory/_import_report.html`` reads.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    filename = models.CharField(max_length=255)
    stored_name = models.CharField(max_length=255)
    mapping = models.JSONField(default=dict, blank=True)
    full_sync = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    stage = models.CharField(max_length=10, choices=ImportStage.choices, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
