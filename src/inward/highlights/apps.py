from django.apps import AppConfig


class HighlightsConfig(AppConfig):
    name = "inward.highlights"
    label = "highlights"
    verbose_name = "Highlights and stakeholders"
