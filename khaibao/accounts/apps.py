from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "khaibao.accounts"
    label = "accounts"
