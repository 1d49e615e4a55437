from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "inward.delivery"
    label = "delivery"
    verbose_name = "Delivery"
