"""Public tracking links (mounted at ``/t/``): the open pixel and click redirects."""

from django.urls import path

from inward.delivery import tracking_views

app_name = "tracking"
urlpatterns = [
    path("o/<str:token>.gif", tracking_views.open_pixel, name="open"),
    path("c/<str:token>", tracking_views.click, name="click"),
]
