"""The project's URLs with the LRS admin pages mounted where the lead mounts them, so
these tests run whether or not ``inward/urls.py`` has the line yet."""

from __future__ import annotations

from django.urls import include, path

from inward.urls import urlpatterns as project_urls

mounted = any(getattr(p, "namespace", None) == "lrs_admin" for p in project_urls)
urlpatterns = (
    project_urls
    if mounted
    else [path("settings/lrs/", include("inward.xapi.admin_urls")), *project_urls]
)
