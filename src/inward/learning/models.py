"""The catalogue of learning offerings that campaigns promote and xAPI statements are about."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferingKind(models.TextChoices):
    COURSE = "course", _("Course")
    PROGRAMME = "programme", _("Programme")
    EVENT = "event", _("Event")
    RESOURCE = "resource", _("Resource")


class Offering(models.Model):
    """A course, programme, event or resource. ``activity_id`` is the xAPI activity IRI an
    LMS reports it under: statements whose object is this activity (or has it as a parent
    or grouping) count as engagement with this offering."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OfferingKind.choices)
    description = models.TextField(blank=True)
    activity_id = models.URLField(max_length=500, unique=True, verbose_name=_("xAPI activity id"))
    url = models.URLField(max_length=500, blank=True, verbose_name=_("link"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_offerings",
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    personas = models.ManyToManyField(
        "audiences.Persona", through="OfferingPersona", blank=True, related_name="offerings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class OfferingPersona(models.Model):
    """What's in it for one persona, for one offering."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="persona_lines")
    persona = models.ForeignKey("audiences.Persona", on_delete=models.CASCADE, related_name="+")
    wiifm = models.CharField(_("what's in it for me"), max_length=500)

    class Meta:
        ordering = ["offering_id", "persona__name"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "persona"], name="offering_persona_once")
        ]

    def __str__(self) -> str:
        return f"{self.offering} / {self.persona}"
