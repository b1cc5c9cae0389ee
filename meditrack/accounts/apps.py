from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "meditrack.accounts"
    label = "accounts"
