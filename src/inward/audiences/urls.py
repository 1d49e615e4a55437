from django.urls import path

from inward.audiences import views

app_name = "audiences"
urlpatterns = [
    path("", views.audience_list, name="list"),
    path("personas/", views.persona_list, name="personas"),
]
