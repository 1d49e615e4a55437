from django.urls import path

from inward.delivery.views import channels

app_name = "delivery"
urlpatterns = [
    path("", channels.channel_list, name="channels"),
    path("new/", channels.channel_create, name="channel_create"),
    path("settings/", channels.delivery_settings, name="settings"),
    path("<slug:slug>/edit/", channels.channel_edit, name="channel_edit"),
    path("<slug:slug>/test/", channels.channel_test, name="channel_test"),
]
