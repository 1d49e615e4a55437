"""The project's URLs with this app's included, for tests run before (or after) the lead
adds ``path("highlights/", include("inward.highlights.urls"))`` to ``inward/urls.py``."""

from django.urls import URLPattern, URLResolver, include, path

from inward.urls import urlpatterns as project_urlpatterns

_included = any(getattr(each, "namespace", None) == "highlights" for each in project_urlpatterns)
urlpatterns: list[URLPattern | URLResolver] = list(project_urlpatterns)
if not _included:
    urlpatterns.insert(0, path("highlights/", include("inward.highlights.urls")))
