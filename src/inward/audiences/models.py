from __future__ import annotations

from django.conf import settings
from django.db import models


class Audience(models.Model):
    """A saved rule with a slug; its members are computed, never stored."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rule = models.TextField(help_text="The rule in its text form.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Persona(models.Model):
    """Who we talk to, in marketing terms: needs, pain points, what's in it for them."""

    name = models.CharField(max_length=200)
    needs = models.TextField(blank=True)
    pain_points = models.TextField(blank=True)
    wiifm = models.CharField("what's in it for me", max_length=500, blank=True)
    audience = models.ForeignKey(
        Audience, null=True, blank=True, on_delete=models.SET_NULL, related_name="personas"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
