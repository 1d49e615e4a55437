from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "inward.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
