from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "inward.audiences"
    label = "audiences"
    verbose_name = "Audiences"
