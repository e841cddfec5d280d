from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "khaibao.backoffice"
    label = "backoffice"
