from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "inward.learning"
    label = "learning"
    verbose_name = "Learning offerings"
