from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khaibao.core"
    label = "core"
