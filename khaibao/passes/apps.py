from django.apps import AppConfig


class PassesConfig(AppConfig):
    name = "khaibao.passes"
    label = "passes"
