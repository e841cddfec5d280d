from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "khaibao.privacy"
    label = "privacy"
