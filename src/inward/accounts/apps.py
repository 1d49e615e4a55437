from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "inward.accounts"
    label = "accounts"
    verbose_name = "Accounts"
