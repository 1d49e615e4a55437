from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "inward.web"
    label = "web"
    verbose_name = "Web shell"
