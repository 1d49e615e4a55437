from django.apps import AppConfig


class XapiConfig(AppConfig):
    name = "inward.xapi"
    label = "xapi"
    verbose_name = "xAPI Learning Record Store"
