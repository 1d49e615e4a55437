from django.urls import path

from inward.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
]
