from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.i18n import set_language

from inward.api import api_urls, not_found
from inward.web import views as web_views

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("inward.accounts.urls")),
    path("directory/", include("inward.directory.urls")),
    path("audiences/", include("inward.audiences.urls")),
    path("campaigns/", include("inward.campaigns.urls")),
    path("learning/", include("inward.learning.urls")),
    path("analytics/", include("inward.analytics.urls")),
    path("highlights/", include("inward.highlights.urls")),
    path("channels/", include("inward.delivery.urls")),
    path("feed/", include("inward.delivery.feed_urls")),
    path("t/", include("inward.delivery.tracking_urls")),
    path("xapi/", include("inward.xapi.urls")),
    path("settings/lrs/", include("inward.xapi.admin_urls")),
    path("api/v1/", api_urls()),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("", include("inward.web.urls")),
]
