from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "inward.audit"
    label = "audit"
    verbose_name = "Audit"
