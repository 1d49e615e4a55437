from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "inward.analytics"
    label = "analytics"
    verbose_name = "Analytics"
