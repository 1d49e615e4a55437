from django.urls import path

from inward.delivery.views import feed

app_name = "feed"
urlpatterns = [
    path("", feed.inbox, name="inbox"),
    path("<int:item_id>/", feed.item, name="item"),
    path("<int:item_id>/acknowledge/", feed.acknowledge, name="acknowledge"),
    path("preferences/", feed.preferences, name="preferences"),
    path("preferences/<str:token>/", feed.preferences_signed, name="preferences_signed"),
]
